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

"""Factory payloads into readings: MQTT JSON and plain numbers, units converted, quality kept.

A device's payload says a value, maybe when it was measured and how good it is. This module
reads them as a mapping entry describes (:class:`PayloadSpec`), converts the value to the unit
perception declares for the sensor, and keeps the device's quality: a payload whose quality
is not good becomes a reading with an error status, never a good reading. Every refusal is a
:class:`PayloadError` that names the reason; nothing here reads a clock (the receipt time is
passed in).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import json
import math
from typing import Any, Literal

from physical_ai_ros.core.errors import PhysicalAiError

#: Largest payload decoded: a device that sends megabytes is refused, not parsed.
MAX_PAYLOAD_BYTES = 64 * 1024
#: Longest JSON number read (digits, sign, exponent): a 400-digit number is refused, not
#: converted (``float()`` of it raises OverflowError, ``int()`` of 5,000 digits ValueError).
MAX_NUMBER_CHARS = 64
#: Device stamps believed: from 2000-01-01 to the end of ROS 2's int32 seconds (2038-01-19).
#: Outside (1e30 ms, microseconds sent as ms, seconds as ms) the reading is stamped on receipt
#: and flagged ``bad stamp``: a stamp that cannot be a ROS time must not abort a recording.
STAMP_WINDOW_NS = (946_684_800 * 1_000_000_000, (2**31 - 1) * 1_000_000_000)

#: Unit conversions (from, to) -> function; the same unit converts to itself.
CONVERSIONS: dict[tuple[str, str], Callable[[float], float]] = {
    ('degF', 'degC'): lambda v: (v - 32.0) * 5.0 / 9.0,
    ('K', 'degC'): lambda v: v - 273.15,
    ('degC', 'K'): lambda v: v + 273.15,
    ('kPa', 'Pa'): lambda v: v * 1e3,
    ('hPa', 'Pa'): lambda v: v * 1e2,
    ('bar', 'Pa'): lambda v: v * 1e5,
    ('psi', 'Pa'): lambda v: v * 6894.757293168,
    ('mm/s', 'm/s'): lambda v: v / 1e3,
    ('g', 'm/s2'): lambda v: v * 9.80665,
    ('%', '1'): lambda v: v / 100.0,
    ('1', '%'): lambda v: v * 100.0,
}


class PayloadError(PhysicalAiError, ValueError):
    """A payload that cannot become a reading; ``reason`` is the counter key."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        super().__init__(f'{reason}: {detail}')


def converter(from_unit: str, to_unit: str) -> Callable[[float], float]:
    """The conversion from ``from_unit`` to ``to_unit``.

    Raises:
        PayloadError: no conversion is known (reason ``unit mismatch``).
    """
    if from_unit == to_unit:
        return lambda v: v
    try:
        return CONVERSIONS[(from_unit, to_unit)]
    except KeyError:
        known = ', '.join(f'{a}->{b}' for a, b in CONVERSIONS)
        raise PayloadError(
            'unit mismatch', f'no conversion {from_unit} -> {to_unit} ({known})'
        ) from None


@dataclass(frozen=True)
class PayloadSpec:
    """How to read one device's payload.

    Attributes:
        format: ``json`` (an object, fields by dotted path), ``number`` (the text of one) or
            ``sparkplug`` (a Sparkplug B metric, see :mod:`.sparkplug`).
        value: dotted path of the value in a JSON payload.
        timestamp: dotted path of the device's timestamp ('' = use the receipt time).
        timestamp_unit: unit of that timestamp since the epoch (``s``, ``ms``, ``ns``).
        quality: dotted path of a quality field ('' = none sent).
        good: the quality values that mean good (anything else: an error reading).
        metric: the Sparkplug B metric's name (``sparkplug`` only).
    """

    format: Literal['json', 'number', 'sparkplug'] = 'json'
    value: str = 'value'
    timestamp: str = ''
    timestamp_unit: Literal['s', 'ms', 'ns'] = 'ms'
    quality: str = ''
    good: tuple[Any, ...] = ('GOOD', 'good', 0, True)
    metric: str = ''


@dataclass(frozen=True)
class DecodedValue:
    """A payload read: the value (device unit), when, whether the device said it is good.

    ``stamp_source`` is ``bad stamp`` where the device's stamp was not believed (see
    :data:`STAMP_WINDOW_NS`): the reading is then stamped on receipt.
    """

    value: float
    stamp_ns: int
    stamp_source: Literal['device', 'receipt', 'bad stamp']
    good: bool


_TO_NS = {'s': 1_000_000_000, 'ms': 1_000_000, 'ns': 1}


def decode_payload(payload: bytes, spec: PayloadSpec, receipt_ns: int) -> DecodedValue:
    """Read ``payload`` as ``spec`` says.

    Raises:
        PayloadError: too large, not UTF-8, not JSON, a missing field, a value that is not a
            finite number, a timestamp that is not a number.
    """
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError('payload too large', f'{len(payload)} bytes > {MAX_PAYLOAD_BYTES}')
    try:
        text = payload.decode('utf-8')
    except UnicodeDecodeError as exc:
        raise PayloadError('bad payload', f'not UTF-8 ({exc.reason})') from None
    if spec.format == 'sparkplug':  # protobuf with births and aliases: the bridge's job
        raise PayloadError('bad payload', 'Sparkplug B is decoded by core.messages.sparkplug')
    if spec.format == 'number':
        return DecodedValue(_finite(text.strip(), 'value'), receipt_ns, 'receipt', True)
    try:
        document = json.loads(text, parse_int=_bounded_int, parse_float=_bounded_float)
    except RecursionError:
        raise PayloadError('bad payload', 'JSON nested too deep') from None
    except PayloadError:
        raise  # a number too long, said by the hooks below
    except ValueError as exc:
        raise PayloadError('bad payload', f'not JSON ({str(exc)[:120]})') from None
    value = _finite(_field(document, spec.value), spec.value)
    stamp, source = receipt_ns, 'receipt'
    if spec.timestamp:
        raw = _field(document, spec.timestamp)
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
            raise PayloadError('bad timestamp', f'{spec.timestamp}={raw!r} is not a number')
        stamp, source = device_stamp(raw * _TO_NS[spec.timestamp_unit], receipt_ns)
    good = True
    if spec.quality:
        good = is_good(_field(document, spec.quality), spec.good)
    return DecodedValue(value, stamp, source, good)  # type: ignore[arg-type]


def device_stamp(stamp_ns: float, receipt_ns: int) -> tuple[int, str]:
    """(stamp, source): the device's stamp, or the receipt time where it is not believable."""
    if not STAMP_WINDOW_NS[0] <= stamp_ns < STAMP_WINDOW_NS[1]:
        return receipt_ns, 'bad stamp'
    return int(stamp_ns), 'device'


def is_good(quality: Any, good: tuple[Any, ...]) -> bool:
    """Whether a quality value is one of ``good``, typed: ``true`` is not 1, ``0`` not false."""
    return any(type(quality) is type(g) and quality == g for g in good)


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise PayloadError('bad value', f'a number of {len(text)} characters')
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise PayloadError('bad value', f'a number of {len(text)} characters')
    return float(text)


def _field(document: Any, path: str) -> Any:
    node = document
    for part in path.split('.'):
        if not isinstance(node, dict) or part not in node:
            raise PayloadError('missing field', f'{path!r} not in the payload')
        node = node[part]
    return node


def _finite(raw: Any, name: str) -> float:
    if isinstance(raw, bool):
        raise PayloadError('bad value', f'{name}={raw!r} is not a number')
    if isinstance(raw, str) and len(raw) > MAX_NUMBER_CHARS:
        raise PayloadError('bad value', f'{name}: a number of {len(raw)} characters')
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError):
        raise PayloadError('bad value', f'{name}={str(raw)[:40]!r} is not a number') from None
    if not math.isfinite(value):
        raise PayloadError('bad value', f'{name}={raw!r} is not finite')
    return value


def robot_state_payload(
    stamp_ns: int,
    *,
    gate: str,
    stopping: bool,
    stops: dict[str, int],
    backend: str,
    iot_out_of_range: list[str],
) -> bytes:
    """The robot's state for MES/SCADA, as the JSON the bridge publishes (retained).

    ``gate`` is the safety gate's message (why it stops, or that it passes), ``stops`` its
    stop counts by reason, ``backend`` where the policy runs, ``iot_out_of_range`` the sensors
    whose readings were refused as out of range. Keys are sorted: the same state, the same
    bytes.
    """
    state = {
        'state': 'online',
        'stamp_ns': stamp_ns,
        'gate': {'stopping': stopping, 'message': gate, 'stops': dict(sorted(stops.items()))},
        'policy_backend': backend,
        'iot_out_of_range': sorted(iot_out_of_range),
    }
    return json.dumps(state, sort_keys=True, separators=(',', ':')).encode()


#: What the broker publishes for the robot when its connection is lost (the last will).
OFFLINE_PAYLOAD = b'{"state":"offline"}'


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT topic matching: ``+`` one level, ``#`` the rest (the last level only)."""
    levels, parts = topic_filter.split('/'), topic.split('/')
    for k, level in enumerate(levels):
        if level == '#':
            return True
        if k >= len(parts) or (level != '+' and level != parts[k]):
            return False
    return len(levels) == len(parts)


__all__ = [
    'CONVERSIONS',
    'MAX_NUMBER_CHARS',
    'MAX_PAYLOAD_BYTES',
    'STAMP_WINDOW_NS',
    'DecodedValue',
    'PayloadError',
    'PayloadSpec',
    'converter',
    'decode_payload',
    'device_stamp',
    'is_good',
    'topic_matches',
]  # fmt: skip
