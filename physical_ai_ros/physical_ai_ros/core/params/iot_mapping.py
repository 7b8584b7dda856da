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

"""The IoT bridge's mapping file: MQTT topics to sensors, checked with file and line.

::

    mqtt:
      - topic: factory/line3/+/temperature   # + one level, # the rest
        sensor_id: 'oven_{2}'                # level 2 of the topic
        quantity: temperature
        unit: degF                           # as the device sends it
        to_unit: degC                        # as perception declares it
        payload: {format: json, value: data.t, timestamp: ts, timestamp_unit: ms,
                  quality: q, good: [GOOD]}
        max_rate_hz: 50                      # more often is dropped and counted

A wrong entry is refused with ``FILE:LINE: mqtt[k].key=value: what is allowed``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from physical_ai_ros.core.errors import PhysicalAiError
from physical_ai_ros.core.files import compose_limited, read_text_limited
from physical_ai_ros.core.messages.payloads import converter, PayloadError, PayloadSpec
from physical_ai_ros.core.perception.bridge import MqttRoute

ROUTE_KEYS = {
    'topic', 'sensor_id', 'quantity', 'unit', 'to_unit', 'payload', 'scale', 'offset',
    'max_rate_hz',
}  # fmt: skip
PAYLOAD_KEYS = {'format', 'value', 'timestamp', 'timestamp_unit', 'quality', 'good'}


class MappingError(PhysicalAiError, ValueError):
    """A mapping entry is refused: where (file:line), which key, the value, what is allowed."""


def load_mapping(path: Path | str) -> list[MqttRoute]:
    """Read and check a mapping file.

    Raises:
        MappingError: the first problem, with its file and line.
    """
    path = Path(path)
    text = read_text_limited(path, lambda reason: MappingError(f'{path}: {reason}'))
    try:
        node = compose_limited(text, lambda reason: MappingError(f'{path}: {reason}'))
        data = yaml.safe_load(text) if node is not None else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, 'problem_mark', None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, 'problem', None) or 'not YAML'
        raise MappingError(f'{path}:{line}: {problem}') from None
    if not isinstance(data, dict) or set(data) - {'mqtt'}:
        raise MappingError(f'{path}:1: expected a mapping with the key mqtt')
    lines = _entry_lines(node)
    routes = []
    for k, entry in enumerate(data.get('mqtt') or []):
        where = f'{path}:{lines.get(k, 1)}: mqtt[{k}]'
        routes.append(_route(entry, where))
    return routes


def _entry_lines(node: Any) -> dict[int, int]:
    """Line (1-based) of each entry of the ``mqtt`` sequence."""
    for key, value in getattr(node, 'value', []) or []:
        if getattr(key, 'value', None) == 'mqtt' and isinstance(value, yaml.SequenceNode):
            return {k: item.start_mark.line + 1 for k, item in enumerate(value.value)}
    return {}


def _route(entry: Any, where: str) -> MqttRoute:
    if not isinstance(entry, dict):
        raise MappingError(f'{where}: expected a mapping, got {entry!r}')
    unknown = set(entry) - ROUTE_KEYS
    if unknown:
        key = sorted(map(str, unknown))[0]
        raise MappingError(f'{where}.{key}: unknown key; known: {", ".join(sorted(ROUTE_KEYS))}')
    text = {}
    for key in ('topic', 'sensor_id', 'quantity', 'unit'):
        value = entry.get(key)
        if not isinstance(value, str) or not value:
            raise MappingError(f'{where}.{key}={value!r}: a non-empty string is required')
        text[key] = value
    if '#' in text['topic'][:-1] or any(
        '+' in level and level != '+' for level in text['topic'].split('/')
    ):
        raise MappingError(f"{where}.topic={text['topic']!r}: '+' a whole level, '#' last only")
    to_unit = entry.get('to_unit', text['unit'])
    try:
        converter(text['unit'], str(to_unit))
    except PayloadError as exc:
        raise MappingError(f'{where}.to_unit={to_unit!r}: {exc}') from None
    numbers = {}
    for key, default, low in (('scale', 1.0, -math.inf), ('offset', 0.0, -math.inf),
                              ('max_rate_hz', 0.0, 0.0)):  # fmt: skip
        value = entry.get(key, default)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or value < low:
            raise MappingError(f'{where}.{key}={value!r}: a finite number >= {low:g}')
        numbers[key] = float(value)
    return MqttRoute(
        topic=text['topic'], sensor_id=text['sensor_id'], quantity=text['quantity'],
        unit=text['unit'], to_unit=str(to_unit), payload=_payload(entry.get('payload'), where),
        scale=numbers['scale'], offset=numbers['offset'], max_rate_hz=numbers['max_rate_hz'],
    )  # fmt: skip


def _payload(entry: Any, where: str) -> PayloadSpec:
    where = f'{where}.payload'
    if entry is None:
        return PayloadSpec()
    if not isinstance(entry, dict) or set(entry) - PAYLOAD_KEYS:
        raise MappingError(f'{where}={entry!r}: a mapping of {", ".join(sorted(PAYLOAD_KEYS))}')
    fmt = entry.get('format', 'json')
    if fmt not in ('json', 'number'):
        raise MappingError(f"{where}.format={fmt!r}: 'json' or 'number'")
    unit = entry.get('timestamp_unit', 'ms')
    if unit not in ('s', 'ms', 'ns'):
        raise MappingError(f"{where}.timestamp_unit={unit!r}: 's', 'ms' or 'ns'")
    good = entry.get('good', list(PayloadSpec().good))
    if not isinstance(good, list) or not good:
        raise MappingError(f'{where}.good={good!r}: a non-empty list of quality values')
    paths = {}
    for key, default in (('value', 'value'), ('timestamp', ''), ('quality', '')):
        value = entry.get(key, default)
        if not isinstance(value, str):
            raise MappingError(f'{where}.{key}={value!r}: a dotted field path')
        paths[key] = value
    return PayloadSpec(fmt, paths['value'], paths['timestamp'], unit, paths['quality'],
                       tuple(good))  # fmt: skip


__all__ = ['MappingError', 'load_mapping']
