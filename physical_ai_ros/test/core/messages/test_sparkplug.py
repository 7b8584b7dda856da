# Copyright 2026 physical_ai_ros contributors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""Sparkplug B: payloads another implementation encoded, decoded here; births, deaths, stale."""

from __future__ import annotations

import math

import pytest

protobuf = pytest.importorskip('google.protobuf', reason='protobuf is not installed')

from physical_ai_ros.core.messages import sparkplug  # noqa: E402
from physical_ai_ros.core.messages.payloads import PayloadError, PayloadSpec  # noqa: E402
from physical_ai_ros.core.perception.bridge import IotBridge, MqttRoute  # noqa: E402
from physical_ai_ros.core.perception.iot import (  # noqa: E402
    STATUS_ERROR,
    STATUS_OK,
    STATUS_STALE,
    STATUS_WARN,
)

# Encoded by pysparkplug 0.6.1 (DBirth(...).encode(), DData(...).encode(include_dtypes=False)):
# a press announcing Oil/Temperature DOUBLE 212.0 (alias 1, stamped 1796040000000 ms),
# Pressure FLOAT 2.5 (alias 2), Running BOOLEAN true, Count INT64 -5, Label STRING and a null
# Spare; then data naming metrics by alias only, without data types: Oil/Temperature 230.0
# (stamped 1796040000950) and Pressure 3.0, payload stamped 1796040001000.
DBIRTH = bytes.fromhex(
    '088084cee2a23412250a0f4f696c2f54656d70657261747572651001188084cee2a234200a6900000000008'
    '06a4012130a085072657373757265100220096500002040120f0a0752756e6e696e671003200b700112160a'
    '05436f756e741004200458fbffffffffffffffff0112140a054c6162656c1005200c7a07707265737320331'
    '20d0a0553706172651006200a38011801'
)
DDATA = bytes.fromhex(
    '08e88bcee2a2341212100118b68bcee2a234690000000000c06c401207100265000040401802'
)
NDEATH = bytes.fromhex('08d093cee2a234120b0a05626453657120045800')
DEVICE = 'spBv1.0/plant1/{}/edge7/press3'


def topic(kind: str) -> sparkplug.SparkplugTopic:
    parsed = sparkplug.parse_topic(DEVICE.format(kind))
    assert parsed is not None
    return parsed


def test_a_birth_then_aliased_data_decode_as_the_encoder_meant() -> None:
    born, birth = sparkplug.decode(topic('DBIRTH'), DBIRTH, None)
    values = {m.name: m.value for m in born.metrics}
    assert values['Oil/Temperature'] == 212.0 and values['Pressure'] == 2.5
    assert values['Running'] == 1.0 and values['Count'] == -5.0  # two's complement INT64
    assert math.isnan(values['Label']) and values['Spare'] is None  # a string, a null
    assert born.metrics[0].timestamp_ms == 1_796_040_000_000
    data, _ = sparkplug.decode(topic('DDATA'), DDATA, birth)
    assert [(m.name, m.value, m.timestamp_ms) for m in data.metrics] == [
        ('Oil/Temperature', 230.0, 1_796_040_000_950), ('Pressure', 3.0, None),
    ]  # fmt: skip
    assert data.timestamp_ms == 1_796_040_001_000


def test_data_without_its_birth_and_garbage_are_refused_by_reason() -> None:
    with pytest.raises(PayloadError, match=r'no birth: .*alias 1'):
        sparkplug.decode(topic('DDATA'), DDATA, None)
    with pytest.raises(PayloadError, match='bad payload'):
        sparkplug.decode(topic('DDATA'), b'\xff\xff\xff garbage', None)
    with pytest.raises(PayloadError, match='no payload timestamp'):
        sparkplug.decode(topic('DDATA'), b'', None)


@pytest.mark.parametrize(
    ('text', 'parsed'),
    [
        ('spBv1.0/g/DDATA/e/d', ('g', 'DDATA', 'e', 'd')),
        ('spBv1.0/g/NDEATH/e', ('g', 'NDEATH', 'e', '')),
        ('spBv1.0/g/DDATA/e', None),      # a device message needs its device
        ('spBv1.0/g/NDATA/e/d', None),    # a node message has none
        ('spBv1.0/STATE/host', None),     # a host application's state
        ('spAv1.0/g/DDATA/e/d', None),
    ],
)  # fmt: skip
def test_topics(text: str, parsed: tuple[str, ...] | None) -> None:
    got = sparkplug.parse_topic(text)
    assert (None if got is None else (got.group, got.kind, got.edge_node, got.device)) == parsed


def route(metric: str, sensor: str, unit: str = 'degF', to_unit: str = 'degC') -> MqttRoute:
    return MqttRoute(DEVICE.format('DDATA'), sensor, 'temperature', unit, to_unit,
                     PayloadSpec('sparkplug', metric=metric))  # fmt: skip


def test_the_bridge_follows_births_data_and_deaths() -> None:
    bridge = IotBridge([route('Oil/Temperature', 'oil'), route('Pressure', 'p', 'bar', 'bar')])
    assert bridge.on_message(DEVICE.format('DDATA'), DDATA, 1) == []  # not born yet
    assert bridge.status.rejected == {'no birth': 1}
    born = bridge.on_message(DEVICE.format('DBIRTH'), DBIRTH, 2)
    assert [(r.sensor_id, round(r.value, 6), r.unit) for r in born] == [
        ('oil', 100.0, 'degC'), ('p', 2.5, 'bar'),
    ]  # fmt: skip
    assert born[0].stamp_ns == 1_796_040_000_000 * 10**6  # the metric's own time
    assert born[1].stamp_ns == 1_796_040_000_000 * 10**6  # else the payload's
    data = bridge.on_message(DEVICE.format('DDATA'), DDATA, 3)
    assert [(r.sensor_id, round(r.value, 6), r.status) for r in data] == [
        ('oil', 110.0, STATUS_OK), ('p', 3.0, STATUS_OK),
    ]  # fmt: skip
    dead = bridge.on_message('spBv1.0/plant1/NDEATH/edge7', NDEATH, 4)  # the node, its devices
    assert {(r.sensor_id, r.status, r.stamp_ns) for r in dead} == {
        ('oil', STATUS_STALE, 4), ('p', STATUS_STALE, 4),
    }  # fmt: skip
    assert bridge.on_message(DEVICE.format('DDATA'), DDATA, 5) == []  # dead: born again first
    assert bridge.status.rejected == {'no birth': 2}
    assert bridge.status.stamped == {'device': 4}


def test_a_device_death_leaves_other_devices_alone() -> None:
    other = MqttRoute('spBv1.0/plant1/DDATA/edge7/press4', 'oil4', 'temperature', 'degF',
                      'degC', PayloadSpec('sparkplug', metric='Oil/Temperature'))  # fmt: skip
    bridge = IotBridge([route('Oil/Temperature', 'oil'), other])
    bridge.on_message(DEVICE.format('DBIRTH'), DBIRTH, 1)
    bridge.on_message('spBv1.0/plant1/DBIRTH/edge7/press4', DBIRTH, 1)
    (stale,) = bridge.on_message(DEVICE.format('DDEATH'), NDEATH, 2)
    assert stale.sensor_id == 'oil' and stale.status == STATUS_STALE
    assert len(bridge.on_message('spBv1.0/plant1/DDATA/edge7/press4', DDATA, 3)) == 1


def _birth_with(metrics: list[tuple[str, int, str, int]]) -> bytes:
    """A DBIRTH encoded with the published schema: (name, datatype, value field, raw value)."""
    payload = sparkplug._payload_class()()
    payload.timestamp, payload.seq = 1_796_040_000_000, 0
    for name, datatype, field, raw in metrics:
        metric = payload.metrics.add()
        metric.name, metric.datatype = name, datatype
        setattr(metric, field, raw)
    return bytes(payload.SerializeToString())


@pytest.mark.parametrize(
    ('datatype', 'field', 'raw', 'value'),
    [
        (1, 'int_value', -5 & 0xFFFF_FFFF, -5.0),  # Int8 as Tahu's Java encoder sends it
        (1, 'int_value', -5 + 2**8, -5.0),  # Int8 as Tahu's Python encoder sends it
        (2, 'int_value', -300 & 0xFFFF_FFFF, -300.0),  # Int16, Java
        (2, 'int_value', -300 + 2**16, -300.0),  # Int16, Python
        (3, 'int_value', -70_000 & 0xFFFF_FFFF, -70_000.0),  # Int32
        (4, 'long_value', -5 & 0xFFFF_FFFF_FFFF_FFFF, -5.0),  # Int64
        (7, 'int_value', 4_000_000_000, 4e9),  # UInt32 in int_value
        (7, 'long_value', 4_000_000_000, 4e9),  # UInt32 in long_value (was refused)
        (5, 'int_value', 255, 255.0),  # UInt8
        (1, 'int_value', 1000, math.nan),  # not an Int8 in either encoding
        (5, 'int_value', 256, math.nan),  # not a UInt8
    ],
)
def test_integers_decode_as_tahu_encodes_them(
    datatype: int, field: str, raw: int, value: float
) -> None:
    born, _ = sparkplug.decode(topic('DBIRTH'), _birth_with([('m', datatype, field, raw)]), None)
    (metric,) = born.metrics
    assert metric.value == value or (math.isnan(value) and math.isnan(metric.value))


NODE = 'spBv1.0/plant1/{}/edge7'


def _payload(
    seq: int | None, metrics: list[dict[str, object]], timestamp: int = 1_796_040_000_000
) -> bytes:
    """A payload encoded from the published schema, field by field as Tahu's encoders set them."""
    message = sparkplug._payload_class()()
    message.timestamp = timestamp
    if seq is not None:
        message.seq = seq
    for spec in metrics:
        metric = message.metrics.add()
        for key, value in spec.items():
            if key == 'quality':
                metric.properties.keys.append('Quality')
                metric.properties.values.add(type=3, int_value=int(value) & 0xFFFF_FFFF)
            else:
                setattr(metric, key, value)
    return bytes(message.SerializeToString())


def _node_bridge() -> IotBridge:
    spec = PayloadSpec('sparkplug', metric='t')
    return IotBridge(
        [MqttRoute(NODE.format('NDATA'), 'temp', 'temperature', 'degC', 'degC', spec)]
    )


def _birth(bd_seq: int) -> bytes:
    return _payload(0, [
        {'name': 'bdSeq', 'datatype': 8, 'long_value': bd_seq},
        {'name': 't', 'alias': 1, 'datatype': 10, 'double_value': 20.0},
    ])  # fmt: skip


def test_an_ndeath_counts_only_with_its_births_bdseq_and_only_once() -> None:
    bridge = _node_bridge()
    assert bridge.on_message(NODE.format('NBIRTH'), _birth(3), 1)
    old_will = _payload(None, [{'name': 'bdSeq', 'datatype': 8, 'long_value': 2}])
    assert bridge.on_message(NODE.format('NDEATH'), old_will, 2) == []  # an older session's
    assert 'temp' in bridge.last and bridge.status.rejected == {'stale death': 1}
    death = _payload(None, [{'name': 'bdSeq', 'datatype': 8, 'long_value': 3}])
    (stale,) = bridge.on_message(NODE.format('NDEATH'), death, 3)
    assert stale.status == STATUS_STALE
    assert bridge.on_message(NODE.format('NDEATH'), death, 4) == []  # the second copy
    assert bridge.status.rejected == {'stale death': 2}


def test_a_seq_gap_or_an_unknown_alias_asks_the_node_for_a_rebirth() -> None:
    bridge = _node_bridge()
    bridge.on_message(NODE.format('NBIRTH'), _birth(0), 1)
    data = [{'alias': 1, 'double_value': 21.0}]
    assert bridge.on_message(NODE.format('NDATA'), _payload(1, data), 2)
    assert bridge.rebirth_requests == []
    assert bridge.on_message(NODE.format('NDATA'), _payload(3, data), 3)  # seq 2 was lost
    assert bridge.status.rejected['seq gap'] == 1
    assert bridge.rebirth_requests == [('plant1', 'edge7')]
    bridge.on_message(NODE.format('NDATA'), _payload(9, data), 4)  # within the hold-off
    assert bridge.rebirth_requests == [('plant1', 'edge7')]
    fresh = _node_bridge()  # a host that joined late: DATA by alias, no BIRTH seen
    assert fresh.on_message(NODE.format('NDATA'), _payload(5, data), 1) == []
    assert fresh.status.rejected == {'no birth': 1} and fresh.rebirth_requests == [
        ('plant1', 'edge7')
    ]
    request = sparkplug._payload_class()()
    request.ParseFromString(sparkplug.encode_rebirth(7))
    (metric,) = request.metrics
    assert (metric.name, metric.datatype, metric.boolean_value) == (
        'Node Control/Rebirth',
        11,
        True,
    )


@pytest.mark.parametrize(
    ('quality', 'status'),
    [(192, STATUS_OK), (0, STATUS_ERROR), (64, STATUS_WARN), (None, STATUS_OK)],
)
def test_the_quality_property_sets_the_readings_status(quality: int | None, status: int) -> None:
    bridge = _node_bridge()
    bridge.on_message(NODE.format('NBIRTH'), _birth(0), 1)
    metric: dict[str, object] = {'alias': 1, 'double_value': 21.0}
    if quality is not None:
        metric['quality'] = quality
    (reading,) = bridge.on_message(NODE.format('NDATA'), _payload(1, [metric]), 2)
    assert reading.status == status


def test_a_historical_value_is_not_taken_for_the_present() -> None:
    bridge = _node_bridge()
    bridge.on_message(NODE.format('NBIRTH'), _birth(0), 1)
    old = [
        {'alias': 1, 'double_value': 99.0, 'is_historical': True, 'timestamp': 1_796_000_000_000}
    ]
    assert bridge.on_message(NODE.format('NDATA'), _payload(1, old), 2) == []
    assert bridge.status.rejected == {'historical': 1} and bridge.last['temp'].value == 20.0
