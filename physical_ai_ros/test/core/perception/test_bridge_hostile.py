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

"""A plant's network is hostile or merely different: no payload stops the bridge.

A seeded corpus of 100,000 messages (deep nesting, huge numbers, wrong types, bad stamps,
random bytes, long topic levels) goes through the bridge: no exception escapes, and every
message is accounted for, as a reading or as a rejection by reason.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
import random

import pytest

from physical_ai_ros.core.messages.payloads import decode_payload, PayloadError, PayloadSpec
from physical_ai_ros.core.params.iot_mapping import load_mapping, MappingError
from physical_ai_ros.core.perception.bridge import IotBridge, MAX_SENSOR_ID_CHARS, MqttRoute
from physical_ai_ros.core.perception.iot import STATUS_ERROR, STATUS_OK, STATUS_WARN

T = 1_700_000_000_000_000_000
SPEC = PayloadSpec('json', 'value', 'ts', 'ms', 'q', ('GOOD', 0))
ROUTE = MqttRoute('plant/+/t', 'oven_{1}', 'temperature', 'degC', 'degC', SPEC)


def hostile(seed: int, count: int) -> Iterator[tuple[str, bytes]]:
    """``count`` (topic, payload) pairs, seeded: the kinds a hostile network sends."""
    rng = random.Random(seed)
    deep = b'[' * 30_000 + b']' * 30_000  # 60 kB
    for k in range(count):
        kind = k % 12
        level = f'o{rng.randrange(10_000)}'
        good = {'value': 21.5, 'ts': 1_700_000_000_000, 'q': 'GOOD'}
        if kind == 0:
            payload = b'{"value": ' + b'9' * rng.randrange(65, 600) + b'}'  # huge number
        elif kind == 1:
            payload = deep if k % 1200 == 1 else b'{"value":' * 50 + b'1' + b'}' * 50
        elif kind == 2:
            payload = json.dumps({**good, 'value': rng.choice([[], {}, 'x', None, True])}).encode()
        elif kind == 3:
            payload = json.dumps(
                {**good, 'ts': rng.choice([1e30, -1e30, 1.7e15, 17, 'x'])}
            ).encode()
        elif kind == 4:
            payload = rng.randbytes(rng.randrange(0, 300))
        elif kind == 5:
            payload = json.dumps({**good, 'q': rng.choice([1, True, False, 'BAD', None])}).encode()
        elif kind == 6:
            level = 'x' * rng.randrange(100, 5000)  # a topic level longer than any sensor id
            payload = json.dumps(good).encode()
        elif kind == 7:
            payload = b'{"value": NaN}' if rng.random() < 0.5 else b'{"value": 1e999}'
        elif kind == 8:
            payload = b'x' * 70_000  # over the payload limit
        else:
            payload = json.dumps({**good, 'value': rng.uniform(-50, 300)}).encode()
        yield f'plant/{level}/t', payload


def test_a_hundred_thousand_hostile_messages_raise_nothing_and_are_all_accounted_for() -> None:
    bridge = IotBridge([ROUTE])
    readings = 0
    for k, (topic, payload) in enumerate(hostile(25, 100_000)):
        readings += len(bridge.on_message(topic, payload, T + k))
    status = bridge.status
    rejected = sum(n for reason, n in status.rejected.items() if reason != 'evicted')
    assert readings == status.accepted and readings + rejected == 100_000
    assert set(status.rejected) <= {
        'bad payload', 'bad value', 'bad timestamp', 'missing field', 'payload too large',
        'bad sensor id', 'evicted',
    }  # fmt: skip
    assert status.stamped['bad stamp'] > 0 and status.accepted > 40_000


@pytest.mark.parametrize(
    ('payload', 'reason'),
    [
        (b'{"value": ' + b'9' * 400 + b'}', 'bad value: a number of 400 characters'),
        (b'{"value": "' + b'9' * 400 + b'"}', 'bad value: value: a number of 400 characters'),
        (b'{"value": 1e999}', 'bad value: value=inf is not finite'),
        (b'[' * 30_000 + b']' * 30_000, 'bad payload: JSON nested too deep'),
    ],
)  # fmt: skip
def test_a_payload_that_once_killed_the_network_thread_is_a_typed_refusal(
    payload: bytes, reason: str
) -> None:
    with pytest.raises(PayloadError) as refused:
        decode_payload(payload, SPEC, T)
    assert str(refused.value) == reason


@pytest.mark.parametrize(
    ('ts', 'stamp', 'source'),
    [
        (1_700_000_001_500, 1_700_000_001_500_000_000, 'device'),
        (1e30, T, 'bad stamp'),  # a broken clock
        (1_700_000_001_500_000, T, 'bad stamp'),  # microseconds sent as milliseconds
        (1_700_000_001, T, 'bad stamp'),  # seconds sent as milliseconds: January 1970
    ],
)
def test_a_device_stamp_outside_ros_time_is_a_flagged_reading_stamped_on_receipt(
    ts: float, stamp: int, source: str
) -> None:
    payload = json.dumps({'value': 20.0, 'ts': ts, 'q': 'GOOD'}).encode()
    decoded = decode_payload(payload, SPEC, T)
    assert (decoded.stamp_ns, decoded.stamp_source) == (stamp, source)
    (reading,) = IotBridge([ROUTE]).on_message('plant/o1/t', payload, T)
    assert reading.status == (STATUS_OK if source == 'device' else STATUS_WARN)


@pytest.mark.parametrize(
    ('quality', 'good'),
    [('GOOD', True), (0, True), (1, False), (True, False), (False, False), (0.0, False)],
)
def test_quality_is_compared_by_type_a_boolean_is_not_a_number(
    quality: object, good: bool
) -> None:
    payload = json.dumps({'value': 20.0, 'ts': 1_700_000_000_000, 'q': quality}).encode()
    assert decode_payload(payload, SPEC, T).good is good
    (reading,) = IotBridge([ROUTE]).on_message('plant/o1/t', payload, T)
    assert reading.status == (STATUS_OK if good else STATUS_ERROR)


def test_every_route_on_a_topic_gives_its_reading_in_mapping_order() -> None:
    celsius = MqttRoute('plant/+/t', 'oven_{1}', 'temperature', 'degC', 'degC', SPEC)
    kelvin = MqttRoute('plant/o1/t', 'oven_k', 'temperature', 'degC', 'K', SPEC)
    payload = json.dumps({'value': 20.0, 'ts': 1_700_000_000_000, 'q': 'GOOD'}).encode()
    readings = IotBridge([celsius, kelvin]).on_message('plant/o1/t', payload, T)
    assert [(r.sensor_id, r.value, r.unit) for r in readings] == [
        ('oven_o1', 20.0, 'degC'), ('oven_k', pytest.approx(293.15), 'K'),
    ]  # fmt: skip


def test_a_sensor_id_from_a_very_long_topic_level_is_refused_not_built() -> None:
    bridge = IotBridge([ROUTE])
    payload = json.dumps({'value': 20.0, 'ts': 1_700_000_000_000, 'q': 'GOOD'}).encode()
    assert bridge.on_message(f'plant/{"x" * MAX_SENSOR_ID_CHARS}/t', payload, T) == []
    assert bridge.status.rejected == {'bad sensor id': 1}


@pytest.mark.parametrize(
    ('template', 'problem'),
    [
        ('{1.nope}', 'only {N} fields'),
        ('{1:>1500000000}', 'only {N} fields'),
        ('{1!r}', 'only {N} fields'),
        ('oven_{}', 'only {N} fields'),
        ('oven_{3}', "{3}: the topic 'plant/+/t' has levels 0 to 2"),
    ],
)
def test_a_sensor_id_template_names_topic_levels_only(
    template: str, problem: str, tmp_path: Path
) -> None:
    path = tmp_path / 'bridge.yaml'
    path.write_text(
        f"mqtt:\n  - {{topic: plant/+/t, sensor_id: '{template}', quantity: temperature,"
        ' unit: degC}\n'
    )
    with pytest.raises(MappingError) as refused:
        load_mapping(path)
    message = str(refused.value)
    assert 'mqtt[0].sensor_id=' in message and problem in message and '\n' not in message
