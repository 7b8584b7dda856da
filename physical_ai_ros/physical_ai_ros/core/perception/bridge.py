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

"""The factory's IoT data into readings: MQTT, Sparkplug B and OPC UA mapped to sensors.

Each route maps a source to a sensor (id, quantity, the device's unit and the unit perception
declares, scale and offset): an MQTT topic filter with a payload format
(:class:`~physical_ai_ros.core.messages.payloads.PayloadSpec`: JSON, a plain number, or a
Sparkplug B metric) or an OPC UA node id. A value becomes one
:class:`~physical_ai_ros.core.perception.iot.Reading`: converted, stamped by the device when
it says when (else on receipt; :attr:`BridgeStatus.stamped` counts which), and never a good
reading when the source says it is not: a JSON quality field outside ``good`` or an OPC UA Bad
status is an error reading, OPC UA Uncertain a warning, a Sparkplug DEATH or a lost
connection turns the sender's last values into stale readings. Bad payloads, unknown topics,
unit mismatches and readings over a sensor's rate limit are counted per reason (a fixed set
of keys: bounded, whatever the devices send) and never raise; the sensors and Sparkplug
senders remembered are bounded too (:data:`MAX_SENSORS`, :data:`MAX_SPARKPLUG_SENDERS`).

A retained MQTT message is what the broker kept from some time ago, delivered on subscribing:
with a device stamp it is judged by that stamp like any reading (perception then finds it old
or not); without one its age is unknown, so it becomes a stale reading (counted as stamped
``retained``), never a fresh value stamped on receipt. ``retained='drop'`` refuses them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
import math
import re
from typing import Any, Literal

from physical_ai_ros.core.messages import sparkplug
from physical_ai_ros.core.messages.payloads import (
    converter,
    decode_payload,
    device_stamp,
    PayloadError,
    PayloadSpec,
    topic_matches,
)
from physical_ai_ros.core.perception.iot import (
    Reading,
    STATUS_ERROR,
    STATUS_OK,
    STATUS_STALE,
    STATUS_WARN,
)

#: Distinct sensor ids remembered (last value, rate limit); more are refused and counted.
MAX_SENSORS = 4096
#: Sparkplug B senders whose BIRTH is kept (to name aliases); more are refused and counted.
MAX_SPARKPLUG_SENDERS = 1024

#: A node is asked for a rebirth at most this often (receipt time) [ns].
REBIRTH_HOLDOFF_NS = 5 * 1_000_000_000
_NOT_BORN = object()  # a node whose NBIRTH was not seen, or whose NDEATH was

#: Longest sensor id a template may build from a topic's levels.
MAX_SENSOR_ID_CHARS = 128
_LEVEL = re.compile(r'\{(\d{1,3})\}')

#: Where a sensor's values come from: ('mqtt',), ('opcua',) or ('sparkplug', g, edge, dev).
Origin = tuple[str, ...]


@dataclass(frozen=True)
class MqttRoute:
    """One MQTT mapping entry (see the module docstring).

    ``sensor_id`` may name topic levels: ``oven_{2}`` takes level 2 (from 0) of the topic.
    ``max_rate_hz`` 0 is unlimited. ``publish_as`` names a sensor_msgs scalar type the node
    also publishes the sensor's good readings as (on ``iot/SENSOR_ID``), '' for none. A
    Sparkplug route's ``topic`` is the sender's DATA topic (``spBv1.0/GROUP/DDATA/EDGE/DEVICE``
    or ``.../NDATA/EDGE``) and ``payload.metric`` the metric's name; its BIRTH and DEATH topics
    follow.
    """

    topic: str
    sensor_id: str
    quantity: str
    unit: str
    to_unit: str
    payload: PayloadSpec = field(default_factory=PayloadSpec)
    scale: float = 1.0
    offset: float = 0.0
    max_rate_hz: float = 0.0
    publish_as: str = ''


@dataclass(frozen=True)
class OpcUaRoute:
    """One OPC UA mapping entry: a node id monitored every ``sampling_interval_ms``."""

    node_id: str
    sensor_id: str
    quantity: str
    unit: str
    to_unit: str
    scale: float = 1.0
    offset: float = 0.0
    max_rate_hz: float = 0.0
    sampling_interval_ms: float = 100.0
    publish_as: str = ''


#: Any route: what each says about its sensor is the same (id, quantity, units, rate).
SensorRoute = MqttRoute | OpcUaRoute


@dataclass
class BridgeStatus:
    """Counts for /diagnostics: accepted readings, their stamps' source, rejections per reason."""

    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    #: 'device', 'receipt', 'bad stamp', 'retained'
    stamped: Counter[str] = field(default_factory=Counter)
    last_rejection: str = ''


def opcua_status(code: int) -> int:
    """The IotReading status of an OPC UA StatusCode: its severity (top two bits).

    Good is OK, Uncertain a warning (the server doubts the value), Bad an error; the
    Uncertain code that means "last usable value" is stale.
    """
    if code == 0x40900000:  # UncertainLastUsableValue: an old value repeated
        return STATUS_STALE
    return {0: STATUS_OK, 1: STATUS_WARN}.get(code >> 30 & 0b11, STATUS_ERROR)


class IotBridge:
    """Routes MQTT messages and OPC UA values to readings (see the module docstring)."""

    def __init__(
        self,
        routes: Iterable[MqttRoute],
        opcua: Iterable[OpcUaRoute] = (),
        *,
        retained: Literal['judge', 'drop'] = 'judge',
    ) -> None:
        """Check every route's unit conversion now: a mapping that cannot work is refused.

        ``retained``: what to do with a retained MQTT message (see the module docstring).

        Raises:
            PayloadError: a route's device unit does not convert to its target unit.
        """
        self.routes = list(routes)
        self.retained = retained
        self.opcua_routes = {r.node_id: r for r in opcua}
        every: list[SensorRoute] = [*self.routes, *self.opcua_routes.values()]
        self._convert: dict[int, Callable[[float], float]] = {
            id(r): converter(r.unit, r.to_unit) for r in every
        }
        self._plain = [r for r in self.routes if r.payload.format != 'sparkplug']
        self._sparkplug = [r for r in self.routes if r.payload.format == 'sparkplug']
        self.status = BridgeStatus()
        self.last: dict[str, Reading] = {}  # per sensor id, for stale readings on disconnect
        self._origin: dict[str, Origin] = {}
        self._last_accepted_ns: dict[str, int] = {}
        self._births: dict[tuple[str, str, str], sparkplug.Birth] = {}
        self._configured = {r.sensor_id for r in every if '{' not in r.sensor_id}
        # Sparkplug host duties: the nodes alive, with their NBIRTH's bdSeq (None: not seen or
        # none sent), and each one's next seq
        self._bd_seq: dict[tuple[str, str], int | None] = {}
        self._next_seq: dict[tuple[str, str], int] = {}
        self._rebirth_asked: dict[tuple[str, str], int] = {}
        #: (group, edge node) to send ``Node Control/Rebirth`` to; the MQTT client drains it
        self.rebirth_requests: list[tuple[str, str]] = []

    def scalar_outputs(self) -> dict[str, str]:
        """Sensor id -> sensor_msgs scalar type, for the routes that ask for one."""
        every: list[SensorRoute] = [*self.routes, *self.opcua_routes.values()]
        return {r.sensor_id: r.publish_as for r in every if r.publish_as}

    def subscriptions(self) -> list[str]:
        """The MQTT topic filters to subscribe to (Sparkplug routes add births and deaths)."""
        filters: list[str] = []
        for route in self.routes:
            wanted = [route.topic]
            if route.payload.format == 'sparkplug':
                wanted = sparkplug.subscriptions(route.topic)
            filters.extend(f for f in wanted if f not in filters)
        return filters

    def on_message(
        self, topic: str, payload: bytes, receipt_ns: int, *, retained: bool = False
    ) -> list[Reading]:
        """The readings of one MQTT message ([] and counted if it gives none).

        ``retained``: the broker delivered it from its store (MQTT's retain flag on delivery).
        """
        spb = sparkplug.parse_topic(topic) if self._sparkplug else None
        if spb is not None:  # Sparkplug payloads always carry their time: judged by it
            return self._on_sparkplug(spb, payload, receipt_ns)
        routes = [r for r in self._plain if topic_matches(r.topic, topic)]
        if not routes:
            self._reject('unknown topic', topic)
            return []
        if retained and self.retained == 'drop':
            self._reject('retained', topic)
            return []
        readings = []
        for route in routes:  # every route on the topic, in the mapping's order
            try:
                decoded = decode_payload(payload, route.payload, receipt_ns)
            except PayloadError as exc:
                self._reject(exc.reason, f'{topic}: {exc}')
                continue
            sensor = sensor_id_of(route.sensor_id, topic)
            if sensor is None:
                self._reject('bad sensor id', f'{topic}: {route.sensor_id!r} names no id')
                continue
            status = STATUS_OK if decoded.good else STATUS_ERROR
            stamp_source: str = decoded.stamp_source
            if retained and stamp_source == 'receipt':  # kept since who knows when
                stamp_source, status = 'retained', STATUS_STALE
            reading = self._accept(
                route, sensor, decoded.value, decoded.stamp_ns, stamp_source, status,
                receipt_ns, ('mqtt',),
            )  # fmt: skip
            if reading is not None:
                readings.append(reading)
        return readings

    def on_opcua(
        self, node_id: str, value: Any, status_code: int, source_ns: int | None, receipt_ns: int
    ) -> Reading | None:
        """The reading of one OPC UA data change, or None (counted) if it cannot be one."""
        route = self.opcua_routes.get(node_id)
        if route is None:
            self._reject('unknown node', node_id)
            return None
        status = opcua_status(status_code)
        number = _finite_or_none(value)
        if number is None:
            if status == STATUS_OK:
                self._reject('bad value', f'{node_id}: {value!r} is not a finite number')
                return None
            number = math.nan  # a Bad value often comes without one; its status says why
        stamp, source = (
            device_stamp(source_ns, receipt_ns) if source_ns else (receipt_ns, 'receipt')
        )
        return self._accept(route, route.sensor_id, number, stamp, source, status, receipt_ns,
                            ('opcua',))  # fmt: skip

    def on_disconnect(self, now_ns: int, source: str = 'mqtt') -> list[Reading]:
        """A connection is gone: the last value of each sensor it fed, now marked stale.

        ``source`` is ``mqtt`` (plain and Sparkplug routes) or ``opcua``.
        """
        kinds = ('mqtt', 'sparkplug') if source == 'mqtt' else (source,)
        return self._stale(lambda origin: origin[0] in kinds, now_ns)

    def _on_sparkplug(
        self, topic: sparkplug.SparkplugTopic, payload: bytes, receipt_ns: int
    ) -> list[Reading]:
        node = topic.source[:2]
        if topic.kind == 'NDEATH':
            bd_seq = sparkplug.death_bd_seq(payload)
            born = self._bd_seq.get(node, _NOT_BORN)
            if born is _NOT_BORN or (bd_seq is not None and born is not None and bd_seq != born):
                # a second copy (overlapping subscriptions), or the will of an older session
                self._reject('stale death', f'{topic.as_data()}: bdSeq {bd_seq}')
                return []
            del self._bd_seq[node]
        if topic.kind in sparkplug.DEATHS:  # the node (and its devices) or one device
            dead = topic.source if topic.kind == 'DDEATH' else None
            for key in [k for k in self._births if k[:2] == topic.source[:2]]:
                if dead is None or key == dead:
                    del self._births[key]
            return self._stale(
                lambda o: o[0] == 'sparkplug' and o[1:3] == topic.source[:2]
                and (dead is None or o[1:] == dead),
                receipt_ns,
            )  # fmt: skip
        data_topic = topic.as_data()
        routes = [r for r in self._sparkplug if topic_matches(r.topic, data_topic)]
        if not routes:
            self._reject('unknown topic', data_topic)
            return []
        try:
            decoded, birth = sparkplug.decode(topic, payload, self._births.get(topic.source))
        except PayloadError as exc:
            self._reject(exc.reason, f'{data_topic}: {exc}')
            if exc.reason == 'no birth':  # an alias it cannot name: ask for the births again
                self._request_rebirth(node, receipt_ns)
            return []
        self._check_seq(topic, decoded, receipt_ns)
        if topic.kind in sparkplug.BIRTHS:
            if topic.source not in self._births and len(self._births) >= MAX_SPARKPLUG_SENDERS:
                self._reject('too many senders', data_topic)
                return []
            self._births[topic.source] = birth
        by_name = {m.name: m for m in decoded.metrics}
        readings = []
        for route in routes:
            metric = by_name.get(route.payload.metric)
            if metric is None:
                continue  # DATA carries the metrics that changed
            if metric.historical:  # a stored value sent late: not the sensor's present
                self._reject('historical', f'{data_topic}: {metric.name}')
                continue
            if metric.value is None or not math.isfinite(metric.value):
                self._reject('bad value', f'{data_topic}: {metric.name} is not a finite number')
                continue
            stamp_ms = metric.timestamp_ms or decoded.timestamp_ms
            stamp, source = device_stamp(stamp_ms * 1_000_000, receipt_ns)
            sensor = sensor_id_of(route.sensor_id, data_topic)
            if sensor is None:
                self._reject('bad sensor id', f'{data_topic}: {route.sensor_id!r} names no id')
                continue
            reading = self._accept(route, sensor, metric.value, stamp, source,
                                   _quality_status(metric.quality), receipt_ns,
                                   ('sparkplug', *topic.source))  # fmt: skip
            if reading is not None:
                readings.append(reading)
        return readings

    def _accept(
        self, route: SensorRoute, sensor: str, value: float, stamp_ns: int, stamp_source: str,
        status: int, receipt_ns: int, origin: Origin,
    ) -> Reading | None:  # fmt: skip
        if sensor not in self.last and len(self.last) >= MAX_SENSORS and not self._evict():
            self._reject('too many sensors', sensor)
            return None
        last = self._last_accepted_ns.get(sensor)
        if (
            route.max_rate_hz > 0
            and last is not None
            and receipt_ns - last < 1e9 / route.max_rate_hz
        ):
            self._reject('rate limit', f'{sensor} over {route.max_rate_hz:g} Hz')
            return None
        value = self._convert[id(route)](value * route.scale + route.offset)
        if stamp_source == 'bad stamp' and status == STATUS_OK:
            status = STATUS_WARN  # the value is fine; when it was measured is not known
        reading = Reading(sensor, route.quantity, value, route.to_unit, stamp_ns, status)
        self._last_accepted_ns[sensor] = receipt_ns
        self.last.pop(sensor, None)  # newest last: the table evicts from the front
        self.last[sensor] = reading
        self._origin[sensor] = origin
        self.status.accepted += 1
        self.status.stamped[stamp_source] += 1
        return reading

    def _check_seq(
        self, topic: sparkplug.SparkplugTopic, decoded: sparkplug.Decoded, receipt_ns: int
    ) -> None:
        """Births, data and deaths of a node count ``seq`` 0-255; a gap asks for a rebirth."""
        node = topic.source[:2]
        if topic.kind == 'NBIRTH':
            self._bd_seq[node] = decoded.bd_seq
            if decoded.seq is not None:
                self._next_seq[node] = (decoded.seq + 1) % 256
            return
        self._bd_seq.setdefault(node, None)  # alive (its NBIRTH came before this host did)
        expected = self._next_seq.get(node)
        if decoded.seq is None or expected is None:
            return
        self._next_seq[node] = (decoded.seq + 1) % 256
        if decoded.seq != expected:
            self._reject('seq gap', f'{topic.as_data()}: seq {decoded.seq}, expected {expected}')
            self._request_rebirth(node, receipt_ns)

    def _request_rebirth(self, node: tuple[str, str], receipt_ns: int) -> None:
        """Ask ``node`` (group, edge node) for its births, at most once per hold-off."""
        last = self._rebirth_asked.get(node)
        if last is not None and receipt_ns - last < REBIRTH_HOLDOFF_NS:
            return
        self._rebirth_asked[node] = receipt_ns
        self.rebirth_requests.append(node)

    def _evict(self) -> bool:
        """Forget the least recently seen sensor a template named; False if there is none.

        Sensors the mapping names outright are never forgotten: a flood of made-up ids on a
        templated topic cannot lock out a configured sensor.
        """
        victim = next((s for s in self.last if s not in self._configured), None)
        if victim is None:
            return False
        del self.last[victim]
        self._origin.pop(victim, None)
        self._last_accepted_ns.pop(victim, None)
        self.status.rejected['evicted'] += 1
        return True

    def _stale(self, fed_by: Callable[[Origin], bool], now_ns: int) -> list[Reading]:
        return [
            Reading(r.sensor_id, r.quantity, r.value, r.unit, now_ns, STATUS_STALE)
            for sensor, r in self.last.items()
            if fed_by(self._origin[sensor])
        ]

    def _reject(self, reason: str, detail: str) -> None:
        self.status.rejected[reason] += 1
        self.status.last_rejection = f'{reason}: {detail}'[:200]


def _quality_status(quality: int | None) -> int:
    """A Sparkplug ``Quality`` property as an IotReading status: Bad an error, else a warning."""
    if quality is None or quality == sparkplug.QUALITY_GOOD:
        return STATUS_OK
    return STATUS_ERROR if quality == sparkplug.QUALITY_BAD else STATUS_WARN


def _finite_or_none(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def template_problem(template: str, topic_filter: str) -> str | None:
    """Why ``template`` cannot name sensors from ``topic_filter``'s topics (None: it can).

    A template may only name topic levels, as ``{N}``: no attribute access, no index, no
    format spec (``{1.nope}`` raised, ``{1:>1500000000}`` built a 1.5 GB id per message).
    """
    rest = _LEVEL.sub('', template)
    if '{' in rest or '}' in rest:
        return 'only {N} fields (topic level N, from 0) may appear; no attributes or formats'
    levels = topic_filter.split('/')
    for index in map(int, _LEVEL.findall(template)):
        if index >= len(levels) and levels[-1] != '#':
            return f'{{{index}}}: the topic {topic_filter!r} has levels 0 to {len(levels) - 1}'
    return None


def sensor_id_of(template: str, topic: str) -> str | None:
    """The sensor id ``template`` names for ``topic``; None where too long or levels missing."""
    if '{' not in template:
        return template
    levels = topic.split('/')
    try:
        sensor = _LEVEL.sub(lambda m: levels[int(m.group(1))], template)
    except IndexError:
        return None
    return sensor if len(sensor) <= MAX_SENSOR_ID_CHARS else None


__all__ = [
    'MAX_SENSORS',
    'MAX_SENSOR_ID_CHARS',
    'MAX_SPARKPLUG_SENDERS',
    'BridgeStatus',
    'IotBridge',
    'MqttRoute',
    'OpcUaRoute',
    'opcua_status',
    'template_problem',
]  # fmt: skip
