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

"""The IoT bridge's mapping file: MQTT topics and OPC UA nodes to sensors, with file and line.

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
        publish_as: sensor_msgs/msg/Temperature   # also on iot/SENSOR_ID (fixed ids only)
      - topic: spBv1.0/plant1/DDATA/edge7/press3   # Sparkplug B: the sender's DATA topic
        sensor_id: press3_oil
        quantity: temperature
        unit: degC
        payload: {format: sparkplug, metric: Oil/Temperature}
    opcua:
      - node_id: 'ns=2;s=Press3.Pressure'
        sensor_id: press3_pressure
        quantity: pressure
        unit: bar
        to_unit: Pa
        sampling_interval_ms: 100            # how often the server samples it

A wrong entry is refused with ``FILE:LINE: mqtt[k].key=value: what is allowed`` (or
``opcua[k]``).
"""

from __future__ import annotations

from dataclasses import dataclass
import difflib
import math
from pathlib import Path
from typing import Any

import yaml

from physical_ai_ros.core.errors import PhysicalAiError
from physical_ai_ros.core.files import load_yaml_file
from physical_ai_ros.core.messages.payloads import converter, PayloadError, PayloadSpec
from physical_ai_ros.core.messages.sparkplug import NAMESPACE
from physical_ai_ros.core.perception.bridge import MqttRoute, OpcUaRoute, template_problem
from physical_ai_ros.core.perception.iot import SCALAR_TYPES

SENSOR_KEYS = {
    'sensor_id', 'quantity', 'unit', 'to_unit', 'scale', 'offset', 'max_rate_hz', 'publish_as',
}  # fmt: skip
ROUTE_KEYS = SENSOR_KEYS | {'topic', 'payload'}
OPCUA_KEYS = SENSOR_KEYS | {'node_id', 'sampling_interval_ms'}
PAYLOAD_KEYS = {'format', 'value', 'timestamp', 'timestamp_unit', 'quality', 'good', 'metric'}


class MappingError(PhysicalAiError, ValueError):
    """A mapping entry is refused: where (file:line), which key, the value, what is allowed."""


@dataclass(frozen=True)
class IotMapping:
    """A checked mapping file: its MQTT routes and its OPC UA routes."""

    mqtt: tuple[MqttRoute, ...]
    opcua: tuple[OpcUaRoute, ...]


#: Quantities the message definitions name (IotReading.msg, the sensor_msgs scalar types)
#: and the units each may come in. Others are allowed (a plant's own); a near miss of one of
#: these (``temprature``) or a unit that cannot measure it (temperature in Pa) is refused.
KNOWN_QUANTITIES: dict[str, tuple[str, ...]] = {
    'temperature': ('degC', 'K', 'degF'),
    'pressure': ('Pa', 'kPa', 'hPa', 'bar', 'psi'),
    'relative_humidity': ('1', '%'),
    'illuminance': ('lx',),
    'vibration_rms': ('m/s2', 'g', 'mm/s'),
}


def load_mapping(path: Path | str) -> IotMapping:
    """Read and check a mapping file.

    Raises:
        MappingError: the first problem, with its file and line (:func:`check_mapping` gives
            every one).
    """
    mapping, problems = check_mapping(path)
    if problems:
        raise MappingError(problems[0])
    assert mapping is not None
    return mapping


def check_mapping(path: Path | str) -> tuple[IotMapping | None, list[str]]:
    """Read and check a mapping file: the mapping (None if any problem) and every problem.

    Raises:
        MappingError: the file cannot be read or is not a mapping of mqtt/opcua lists.
    """
    path = Path(path)
    data, node = load_yaml_file(path, MappingError)
    if not isinstance(data, dict) or not data or set(data) - {'mqtt', 'opcua'}:
        raise MappingError(f'{path}:1: expected a mapping with the keys mqtt and/or opcua')
    problems: list[str] = []
    sections: dict[str, list[Any]] = {}
    for section in ('mqtt', 'opcua'):
        entries = data.get(section) or []
        if not isinstance(entries, list):
            line = _entry_lines(node, section).get(-1, 1)
            raise MappingError(f'{path}:{line}: {section}: a list of entries')
        lines = _entry_lines(node, section)
        sections[section] = []
        for k, entry in enumerate(entries):
            where = f'{path}:{lines.get(k, 1)}: {section}[{k}]'
            try:
                route = (_route if section == 'mqtt' else _opcua)(entry, where)
            except MappingError as exc:
                problems.append(str(exc))
                continue
            problems.extend(_quantity_problems(route, where))
            sections[section].append(route)
    node_ids = [r.node_id for r in sections['opcua']]
    for k, node_id in enumerate(node_ids):
        if node_id in node_ids[:k]:
            line = _entry_lines(node, 'opcua').get(k, 1)
            problems.append(f'{path}:{line}: opcua[{k}].node_id={node_id!r}: mapped twice')
    if problems:
        return None, problems
    return IotMapping(tuple(sections['mqtt']), tuple(sections['opcua'])), []


def _quantity_problems(route: MqttRoute | OpcUaRoute, where: str) -> list[str]:
    """A quantity that misspells a known one, or a unit that cannot measure it."""
    quantity = route.quantity
    units = KNOWN_QUANTITIES.get(quantity)
    if units is None:
        near = difflib.get_close_matches(quantity, KNOWN_QUANTITIES, n=1, cutoff=0.8)
        if near:
            return [f'{where}.quantity={quantity!r}: not a known quantity; did you mean '
                    f'{near[0]!r}? (known: {", ".join(KNOWN_QUANTITIES)})']  # fmt: skip
        return []
    wrong = [u for u in (route.unit, route.to_unit) if u not in units]
    if wrong:
        return [f'{where}.unit={wrong[0]!r}: {quantity} is measured in {", ".join(units)}']
    return []


def _entry_lines(node: Any, section: str) -> dict[int, int]:
    """Line (1-based) of each entry of a section's sequence (-1: the section itself)."""
    for key, value in getattr(node, 'value', []) or []:
        if getattr(key, 'value', None) == section:
            lines = {-1: value.start_mark.line + 1}
            if isinstance(value, yaml.SequenceNode):
                lines.update({k: item.start_mark.line + 1 for k, item in enumerate(value.value)})
            return lines
    return {}


def _route(entry: Any, where: str) -> MqttRoute:
    text, numbers = _sensor(entry, where, ROUTE_KEYS, 'topic')
    topic = text['topic']
    if '#' in topic[:-1] or any('+' in level and level != '+' for level in topic.split('/')):
        raise MappingError(f"{where}.topic={topic!r}: '+' a whole level, '#' last only")
    problem = template_problem(text['sensor_id'], topic)
    if problem:
        raise MappingError(f'{where}.sensor_id={text["sensor_id"]!r}: {problem}')
    payload = _payload(entry.get('payload'), where)
    parts = topic.split('/')
    if payload.format == 'sparkplug' and not (
        parts[0] == NAMESPACE and (parts[2:3], len(parts)) in ((['NDATA'], 4), (['DDATA'], 5))
    ):
        raise MappingError(
            f"{where}.topic={topic!r}: a Sparkplug route names its sender's DATA topic, "
            f'{NAMESPACE}/GROUP/NDATA/EDGE or {NAMESPACE}/GROUP/DDATA/EDGE/DEVICE (+ allowed)'
        )
    return MqttRoute(
        topic=topic, sensor_id=text['sensor_id'], quantity=text['quantity'], unit=text['unit'],
        to_unit=text['to_unit'], payload=payload, scale=numbers['scale'],
        offset=numbers['offset'], max_rate_hz=numbers['max_rate_hz'],
        publish_as=text['publish_as'],
    )  # fmt: skip


def _opcua(entry: Any, where: str) -> OpcUaRoute:
    text, numbers = _sensor(entry, where, OPCUA_KEYS, 'node_id')
    if not _looks_like_node_id(text['node_id']):
        raise MappingError(
            f'{where}.node_id={text["node_id"]!r}: an OPC UA node id such as '
            "'ns=2;s=Press3.Temperature', 'ns=3;i=1001' or 'nsu=urn:plant:press3;s=Temp'"
        )
    interval = entry.get('sampling_interval_ms', 100.0)
    if (
        isinstance(interval, bool)
        or not isinstance(interval, (int, float))
        or not (math.isfinite(interval) and interval >= 0)
    ):
        raise MappingError(f'{where}.sampling_interval_ms={interval!r}: a finite number >= 0 '
                           '(0 = as fast as the server samples)')  # fmt: skip
    return OpcUaRoute(
        node_id=text['node_id'], sensor_id=text['sensor_id'], quantity=text['quantity'],
        unit=text['unit'], to_unit=text['to_unit'], scale=numbers['scale'],
        offset=numbers['offset'], max_rate_hz=numbers['max_rate_hz'],
        sampling_interval_ms=float(interval), publish_as=text['publish_as'],
    )  # fmt: skip


def _looks_like_node_id(text: str) -> bool:
    """OPC UA's string form: ``ns=N;`` or ``nsu=URI;`` (optional), then ``i=``, ``s=`` ...

    The rest is ``i=``, ``s=``, ``g=`` or ``b=``; a namespace URI is resolved to its index
    when the bridge connects (the server assigns indexes; URIs stay).
    """
    prefixed = text.startswith(('ns=', 'nsu='))
    head, _, tail = text.partition(';') if prefixed else ('', '', text)
    if head.startswith('ns=') and not head[3:].isdigit():
        return False
    if head.startswith('nsu=') and len(head) == 4:
        return False
    return (
        tail[:2] in ('i=', 's=', 'g=', 'b=')
        and len(tail) > 2
        and (tail[:2] != 'i=' or tail[2:].isdigit())
    )


def _sensor(
    entry: Any, where: str, allowed: set[str], source_key: str
) -> tuple[dict[str, str], dict[str, float]]:
    """The keys every route has: its source, the sensor, its units and numbers."""
    if not isinstance(entry, dict):
        raise MappingError(f'{where}: expected a mapping, got {entry!r}')
    unknown = set(entry) - allowed
    if unknown:
        key = sorted(map(str, unknown))[0]
        raise MappingError(f'{where}.{key}: unknown key; known: {", ".join(sorted(allowed))}')
    text = {}
    for key in (source_key, 'sensor_id', 'quantity', 'unit'):
        value = entry.get(key)
        if not isinstance(value, str) or not value:
            raise MappingError(f'{where}.{key}={value!r}: a non-empty string is required')
        text[key] = value
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
    text['to_unit'] = str(to_unit)
    text['publish_as'] = _publish_as(entry.get('publish_as', ''), text, where)
    return text, numbers


def _publish_as(value: Any, text: dict[str, str], where: str) -> str:
    """A sensor_msgs scalar type the reading fits: its quantity and unit, a fixed sensor id."""
    if value == '':
        return ''
    if value not in SCALAR_TYPES:
        raise MappingError(f'{where}.publish_as={value!r}: one of {", ".join(SCALAR_TYPES)}')
    _, quantity, unit = SCALAR_TYPES[value]
    if (text['quantity'], text['to_unit']) != (quantity, unit):
        raise MappingError(
            f'{where}.publish_as={value!r}: carries quantity {quantity} in {unit}; this route '
            f'gives {text["quantity"]} in {text["to_unit"]}'
        )
    sensor = text['sensor_id']
    if not sensor.replace('_', 'a').isalnum() or not sensor[0].isalpha():
        raise MappingError(
            f'{where}.publish_as={value!r}: the topic iot/{sensor} needs a fixed sensor_id of '
            'letters, digits and _ (no {n} templates), starting with a letter'
        )
    return str(value)


def _payload(entry: Any, where: str) -> PayloadSpec:
    where = f'{where}.payload'
    if entry is None:
        return PayloadSpec()
    if not isinstance(entry, dict) or set(entry) - PAYLOAD_KEYS:
        raise MappingError(f'{where}={entry!r}: a mapping of {", ".join(sorted(PAYLOAD_KEYS))}')
    fmt = entry.get('format', 'json')
    if fmt not in ('json', 'number', 'sparkplug'):
        raise MappingError(f"{where}.format={fmt!r}: 'json', 'number' or 'sparkplug'")
    metric = entry.get('metric', '')
    if (fmt == 'sparkplug') != (isinstance(metric, str) and bool(metric)):
        raise MappingError(f'{where}.metric={metric!r}: the Sparkplug metric name, with '
                           'format: sparkplug only')  # fmt: skip
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
                       tuple(good), metric)  # fmt: skip


__all__ = ['KNOWN_QUANTITIES', 'IotMapping', 'MappingError', 'check_mapping', 'load_mapping']
