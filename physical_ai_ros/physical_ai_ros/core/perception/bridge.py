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

"""The factory's IoT data into readings: MQTT payloads mapped to sensors, with their meaning.

Each route maps an MQTT topic filter to a sensor (id, quantity, the device's unit and the unit
perception declares, scale and offset) and says how to read the payload
(:class:`~physical_ai_ros.core.messages.payloads.PayloadSpec`). A payload becomes one
:class:`~physical_ai_ros.core.perception.iot.Reading`: converted, stamped by the device when
it says when (else on receipt), and with an error status when the device says its value is
not good; a lost broker connection turns every sensor's last value into a stale reading. Bad
payloads, unknown topics, unit mismatches and readings over a sensor's rate limit are counted
per reason (a fixed set of keys: bounded, whatever the devices send) and never raise.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from physical_ai_ros.core.messages.payloads import (
    converter,
    decode_payload,
    PayloadError,
    PayloadSpec,
    topic_matches,
)
from physical_ai_ros.core.perception.iot import Reading, STATUS_ERROR, STATUS_OK, STATUS_STALE


@dataclass(frozen=True)
class MqttRoute:
    """One mapping entry (see the module docstring).

    ``sensor_id`` may name topic levels: ``oven_{2}`` takes level 2 (from 0) of the topic.
    ``max_rate_hz`` 0 is unlimited.
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


@dataclass
class BridgeStatus:
    """Counts for /diagnostics: accepted readings and rejections per reason (bounded keys)."""

    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    last_rejection: str = ''


class IotBridge:
    """Routes MQTT messages to readings (see the module docstring)."""

    def __init__(self, routes: list[MqttRoute]) -> None:
        """Check every route's unit conversion now: a mapping that cannot work is refused.

        Raises:
            PayloadError: a route's device unit does not convert to its target unit.
        """
        self.routes = routes
        self._convert = [converter(r.unit, r.to_unit) for r in routes]
        self.status = BridgeStatus()
        self.last: dict[str, Reading] = {}  # per sensor id, for stale readings on disconnect
        self._last_accepted_ns: dict[str, int] = {}

    def on_message(self, topic: str, payload: bytes, receipt_ns: int) -> Reading | None:
        """The reading of one MQTT message, or None (counted) if it cannot be one."""
        index = next((k for k, r in enumerate(self.routes) if topic_matches(r.topic, topic)), None)
        if index is None:
            self._reject('unknown topic', topic)
            return None
        route = self.routes[index]
        sensor = _sensor_id(route.sensor_id, topic)
        try:
            decoded = decode_payload(payload, route.payload, receipt_ns)
        except PayloadError as exc:
            self._reject(exc.reason, f'{topic}: {exc}')
            return None
        last = self._last_accepted_ns.get(sensor)
        if (
            route.max_rate_hz > 0
            and last is not None
            and receipt_ns - last < 1e9 / route.max_rate_hz
        ):
            self._reject('rate limit', f'{sensor} over {route.max_rate_hz:g} Hz')
            return None
        value = self._convert[index](decoded.value * route.scale + route.offset)
        status = STATUS_OK if decoded.good else STATUS_ERROR
        reading = Reading(sensor, route.quantity, value, route.to_unit, decoded.stamp_ns, status)
        self._last_accepted_ns[sensor] = receipt_ns
        self.last[sensor] = reading
        self.status.accepted += 1
        return reading

    def on_disconnect(self, now_ns: int) -> list[Reading]:
        """The broker is gone: each known sensor's last value, now marked stale."""
        return [
            Reading(r.sensor_id, r.quantity, r.value, r.unit, now_ns, STATUS_STALE)
            for r in self.last.values()
        ]

    def _reject(self, reason: str, detail: str) -> None:
        self.status.rejected[reason] += 1
        self.status.last_rejection = f'{reason}: {detail}'[:200]


def _sensor_id(template: str, topic: str) -> str:
    if '{' not in template:
        return template
    levels = topic.split('/')
    try:
        return template.format(*levels)
    except (IndexError, ValueError, KeyError):
        return template


__all__ = ['BridgeStatus', 'IotBridge', 'MqttRoute']
