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

"""The IoT bridge's core: payloads, units, quality, topics, rate limits, bounded counters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from physical_ai_ros.core.messages.payloads import (
    converter,
    decode_payload,
    PayloadError,
    PayloadSpec,
    topic_matches,
)
from physical_ai_ros.core.params.iot_mapping import load_mapping, MappingError
from physical_ai_ros.core.perception.bridge import (
    IotBridge,
    MAX_SENSORS,
    MqttRoute,
    opcua_status,
    OpcUaRoute,
)
from physical_ai_ros.core.perception.iot import (
    STATUS_ERROR,
    STATUS_OK,
    STATUS_STALE,
    STATUS_WARN,
)

T = 1_700_000_000_000_000_000
SPEC = PayloadSpec('json', 'data.t', 'ts', 'ms', 'q', ('GOOD',))


def test_a_json_payload_gives_value_device_time_and_quality() -> None:
    raw = json.dumps({'data': {'t': 71.6}, 'ts': 1_700_000_001_500, 'q': 'GOOD'}).encode()
    decoded = decode_payload(raw, SPEC, T)
    assert decoded.value == 71.6 and decoded.good
    assert decoded.stamp_ns == 1_700_000_001_500_000_000 and decoded.stamp_source == 'device'
    bad = decode_payload(raw.replace(b'GOOD', b'BAD'), SPEC, T)
    assert not bad.good
    plain = decode_payload(b' 12.5\n', PayloadSpec('number'), T)
    assert (plain.value, plain.stamp_ns, plain.stamp_source) == (12.5, T, 'receipt')


@pytest.mark.parametrize(
    ('payload', 'reason'),
    [
        (b'\xff\xfe', 'bad payload'),
        (b'{not json', 'bad payload'),
        (b'{"data": {}}', 'missing field'),
        (b'{"data": {"t": "hot"}, "ts": 1, "q": "GOOD"}', 'bad value'),
        (b'{"data": {"t": NaN}, "ts": 1, "q": "GOOD"}', 'bad value'),
        (b'{"data": {"t": 1}, "ts": "now", "q": "GOOD"}', 'bad timestamp'),
        (b'1' * 70_000, 'payload too large'),
    ],
)
def test_a_bad_payload_is_refused_with_its_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(PayloadError) as refused:
        decode_payload(payload, SPEC, T)
    assert refused.value.reason == reason


def test_units_convert_and_unknown_pairs_are_refused() -> None:
    assert converter('degF', 'degC')(212.0) == pytest.approx(100.0)
    assert converter('bar', 'Pa')(1.5) == pytest.approx(150_000.0)
    assert converter('degC', 'degC')(21.0) == 21.0
    with pytest.raises(PayloadError, match='no conversion lx -> degC'):
        converter('lx', 'degC')


@pytest.mark.parametrize(
    ('topic_filter', 'topic', 'match'),
    [
        ('a/+/c', 'a/b/c', True), ('a/+/c', 'a/b/d', False), ('a/#', 'a/b/c/d', True),
        ('a/b', 'a/b/c', False), ('+/+', 'a/b', True), ('a/+', 'a', False),
    ],
)  # fmt: skip
def test_mqtt_topic_filters(topic_filter: str, topic: str, match: bool) -> None:
    assert topic_matches(topic_filter, topic) is match


def route(**overrides: object) -> MqttRoute:
    base: dict[str, object] = {
        'topic': 'factory/line3/+/temperature', 'sensor_id': 'oven_{2}',
        'quantity': 'temperature', 'unit': 'degF', 'to_unit': 'degC', 'payload': SPEC,
    }  # fmt: skip
    base.update(overrides)
    return MqttRoute(**base)  # type: ignore[arg-type]


def message(t: float, q: str = 'GOOD', ts: int = 1_700_000_000_000) -> bytes:
    return json.dumps({'data': {'t': t}, 'ts': ts, 'q': q}).encode()


def test_the_bridge_maps_converts_and_keeps_quality() -> None:
    bridge = IotBridge([route()])
    (reading,) = bridge.on_message('factory/line3/o7/temperature', message(212.0), T)
    assert reading.sensor_id == 'oven_o7'
    assert reading.unit == 'degC' and reading.value == pytest.approx(100.0)
    assert reading.status == STATUS_OK and reading.stamp_ns == 1_700_000_000_000_000_000
    (bad,) = bridge.on_message('factory/line3/o7/temperature', message(50.0, q='BAD'), T + 1)
    assert bad.status == STATUS_ERROR  # never a good reading
    assert bridge.status.stamped == {'device': 2}
    (stale,) = bridge.on_disconnect(T + 2)
    assert stale.status == STATUS_STALE and stale.sensor_id == 'oven_o7'


def test_garbage_unknown_topics_and_floods_are_counted_never_raised() -> None:
    bridge = IotBridge([route(max_rate_hz=10.0)])
    assert bridge.on_message('factory/line3/o1/temperature', b'garbage', T) == []
    for k in range(10_000):  # 10,000 distinct topics: the counters do not grow per topic
        assert bridge.on_message(f'elsewhere/{k}', b'1', T) == []
    assert bridge.on_message('factory/line3/o1/temperature', message(70.0), T)
    assert bridge.on_message('factory/line3/o1/temperature', message(71.0), T + 50_000_000) == []
    assert bridge.on_message('factory/line3/o1/temperature', message(72.0), T + 10**8)
    assert dict(bridge.status.rejected) == {
        'bad payload': 1, 'unknown topic': 10_000, 'rate limit': 1,
    }  # fmt: skip
    assert bridge.status.accepted == 2 and len(bridge.last) == 1


def test_a_mapping_file_is_checked_with_its_line(tmp_path: Path) -> None:
    good = tmp_path / 'bridge.yaml'
    good.write_text(
        'mqtt:\n'
        '  - topic: factory/+/temp\n'
        "    sensor_id: 't_{1}'\n"
        '    quantity: temperature\n'
        '    unit: degF\n'
        '    to_unit: degC\n'
        '    payload: {format: number}\n'
    )
    (only,) = load_mapping(good).mqtt
    assert only.payload.format == 'number' and only.to_unit == 'degC'
    bad = tmp_path / 'bad.yaml'
    bad.write_text(
        'mqtt:\n'
        '  - {topic: a/b, sensor_id: s, quantity: temperature, unit: degC}\n'
        '  - {topic: a/c, sensor_id: s, quantity: temperature, unit: lx, to_unit: degC}\n'
    )
    with pytest.raises(MappingError, match=r"bad\.yaml:3: mqtt\[1\]\.to_unit='degC'"):
        load_mapping(bad)
    bad.write_text('mqtt:\n  - {topic: a/b+, sensor_id: s, quantity: q, unit: degC}\n')
    with pytest.raises(MappingError, match=r"bad\.yaml:2: mqtt\[0\]\.topic='a/b\+'"):
        load_mapping(bad)


def test_sensors_are_bounded_when_a_wildcard_meets_a_flood_of_devices() -> None:
    fixed = route(topic='factory/line3/press/temperature', sensor_id='press')
    bridge = IotBridge([fixed, route(topic='factory/line3/+/temperature')])
    assert bridge.on_message('factory/line3/press/temperature', message(60.0), T)
    for k in range(MAX_SENSORS + 500):  # each topic level is a new sensor id
        bridge.on_message(f'factory/line3/o{k}/temperature', message(70.0), T + k)
    # the table stays bounded: the least recently seen made-up ids go, never refused
    assert len(bridge.last) == MAX_SENSORS and bridge.status.rejected == {'evicted': 502}
    assert 'press' in bridge.last  # a sensor the mapping names is never evicted
    assert 'oven_o0' not in bridge.last and f'oven_o{MAX_SENSORS + 499}' in bridge.last
    # a new legitimate sensor after the flood is accepted (it was refused forever before)
    assert bridge.on_message('factory/line3/fresh/temperature', message(80.0), T + 10**9)
    assert 'oven_fresh' in bridge.last and len(bridge.last) == MAX_SENSORS


OPCUA = OpcUaRoute('ns=2;s=Press3.Pressure', 'press3', 'pressure', 'bar', 'Pa')


@pytest.mark.parametrize(
    ('code', 'status'),
    [
        (0x00000000, STATUS_OK), (0x00300000, STATUS_OK),          # Good, GoodClamped
        (0x40000000, STATUS_WARN), (0x40920000, STATUS_WARN),      # Uncertain, ...InitialValue
        (0x40900000, STATUS_STALE),                                # UncertainLastUsableValue
        (0x80000000, STATUS_ERROR), (0x808A0000, STATUS_ERROR),    # Bad, BadNotConnected
        (0x80310000, STATUS_ERROR),                                # BadNoCommunication
    ],
)  # fmt: skip
def test_opcua_status_codes_by_severity(code: int, status: int) -> None:
    assert opcua_status(code) == status


def test_opcua_values_keep_their_quality_and_source_time() -> None:
    bridge = IotBridge([], [OPCUA])
    good = bridge.on_opcua('ns=2;s=Press3.Pressure', 2.5, 0, 1_700_000_000 * 10**9, T)
    assert good is not None and good.value == pytest.approx(2.5e5) and good.unit == 'Pa'
    assert good.stamp_ns == 1_700_000_000 * 10**9 and good.status == STATUS_OK
    bad = bridge.on_opcua('ns=2;s=Press3.Pressure', None, 0x80310000, None, T + 1)
    assert bad is not None and bad.status == STATUS_ERROR and bad.stamp_ns == T + 1
    assert bridge.status.stamped == {'device': 1, 'receipt': 1}
    assert bridge.on_opcua('ns=2;s=Press3.Pressure', 'high', 0, None, T + 2) is None
    assert bridge.on_opcua('ns=2;s=Other', 1.0, 0, None, T + 3) is None
    assert bridge.status.rejected == {'bad value': 1, 'unknown node': 1}
    assert bridge.on_disconnect(T + 4, 'mqtt') == []  # OPC UA sensors are not the broker's
    (stale,) = bridge.on_disconnect(T + 4, 'opcua')
    assert stale.status == STATUS_STALE and stale.sensor_id == 'press3'


def test_a_mapping_with_opcua_and_sparkplug_is_checked(tmp_path: Path) -> None:
    path = tmp_path / 'bridge.yaml'
    path.write_text(
        'mqtt:\n'
        '  - topic: spBv1.0/plant1/DDATA/+/press3\n'
        '    sensor_id: oil_{3}\n'
        '    quantity: temperature\n'
        '    unit: degF\n'
        '    to_unit: degC\n'
        '    payload: {format: sparkplug, metric: Oil/Temperature}\n'
        'opcua:\n'
        "  - node_id: 'nsu=urn:plant:press3;s=Press3.Pressure'\n"
        '    sensor_id: press3\n'
        '    quantity: pressure\n'
        '    unit: bar\n'
        '    to_unit: Pa\n'
        '    sampling_interval_ms: 50\n'
        '    publish_as: sensor_msgs/msg/FluidPressure\n'
    )
    mapping = load_mapping(path)
    assert mapping.mqtt[0].payload.metric == 'Oil/Temperature'
    node = 'nsu=urn:plant:press3;s=Press3.Pressure'  # by namespace URI: resolved at connect
    assert mapping.opcua == (OpcUaRoute(node, 'press3', 'pressure', 'bar', 'Pa',
                                        sampling_interval_ms=50.0,
                                        publish_as='sensor_msgs/msg/FluidPressure'),)  # fmt: skip
    bridge = IotBridge(mapping.mqtt, mapping.opcua)
    assert bridge.scalar_outputs() == {'press3': 'sensor_msgs/msg/FluidPressure'}
    assert bridge.subscriptions() == ['spBv1.0/plant1/+/+/press3', 'spBv1.0/plant1/NDEATH/+']


@pytest.mark.parametrize(
    ('text', 'error'),
    [
        ("opcua:\n  - {node_id: 'Press3', sensor_id: s, quantity: q, unit: bar}\n",
         r"bad\.yaml:2: opcua\[0\]\.node_id='Press3': an OPC UA node id"),
        ("opcua:\n  - {node_id: 'nsu=;s=Press3', sensor_id: s, quantity: q, unit: bar}\n",
         r"bad\.yaml:2: opcua\[0\]\.node_id='nsu=;s=Press3': an OPC UA node id"),
        ("opcua:\n  - {node_id: 'ns=2;i=7', sensor_id: s, quantity: q, unit: bar}\n"
         "  - {node_id: 'ns=2;i=7', sensor_id: t, quantity: q, unit: bar}\n",
         r"bad\.yaml:3: opcua\[1\]\.node_id='ns=2;i=7': mapped twice"),
        ("opcua:\n  - {node_id: 'i=7', sensor_id: s, quantity: q, unit: bar,\n"
         '     sampling_interval_ms: -1}\n',
         r'bad\.yaml:2: opcua\[0\]\.sampling_interval_ms=-1'),
        ('mqtt:\n  - {topic: plant/DDATA/e/d, sensor_id: s, quantity: q, unit: bar,\n'
         '     payload: {format: sparkplug, metric: m}}\n',
         r"bad\.yaml:2: mqtt\[0\]\.topic='plant/DDATA/e/d': a Sparkplug route names"),
        ('mqtt:\n  - {topic: a/b, sensor_id: s, quantity: q, unit: bar,\n'
         '     payload: {format: sparkplug}}\n',
         r"bad\.yaml:2: mqtt\[0\]\.payload\.metric='': the Sparkplug metric name"),
        ('opcua: 3\n', r'bad\.yaml:1: opcua: a list of entries'),
        ("opcua:\n  - {node_id: 'i=7', sensor_id: p, quantity: pressure, unit: bar,\n"
         '     publish_as: sensor_msgs/msg/FluidPressure}\n',
         r"opcua\[0\]\.publish_as='sensor_msgs/msg/FluidPressure': carries quantity pressure "
         r'in Pa; this route gives pressure in bar'),
        ("mqtt:\n  - {topic: a/+, sensor_id: 't_{1}', quantity: temperature, unit: degC,\n"
         '     publish_as: sensor_msgs/msg/Temperature}\n',
         r'mqtt\[0\]\.publish_as=.*needs a fixed sensor_id'),
        ('mqtt:\n  - {topic: a, sensor_id: t, quantity: temperature, unit: degC,\n'
         '     publish_as: std_msgs/msg/Float64}\n',
         r"mqtt\[0\]\.publish_as='std_msgs/msg/Float64': one of sensor_msgs/msg/Temperature"),
        ('modbus: []\n', r'bad\.yaml:1: expected a mapping with the keys mqtt and/or opcua'),
    ],
)  # fmt: skip
def test_wrong_opcua_and_sparkplug_entries_name_file_line_and_key(
    tmp_path: Path, text: str, error: str
) -> None:
    bad = tmp_path / 'bad.yaml'
    bad.write_text(text)
    with pytest.raises(MappingError, match=error):
        load_mapping(bad)
