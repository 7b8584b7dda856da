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


"""Why perception did not use something: a dropped message, or a source left out of an update.

Reasons travel as data (a kind and its fields: the source, the stamp it had, what was expected)
from where they arise to the edge; nodes, diagnostics and the replay report render them with
``str()``, and code decides by ``kind``, never by reading text back.
"""

from __future__ import annotations

from dataclasses import dataclass
import enum


class DropKind(enum.Enum):
    """Why one input message was dropped (its text is the diagnostics key)."""

    BAD_HEADER = 'bad header'
    DUPLICATE = 'duplicate'
    OUT_OF_ORDER = 'out of order'
    STALE_ON_ARRIVAL = 'stale on arrival'
    FUTURE_STAMP = 'stamped in the future'
    NOT_CONFIGURED = 'not a configured camera'
    WRONG_FRAME = 'wrong frame'
    MALFORMED = 'malformed'
    MALFORMED_READING = 'malformed reading'
    NON_FINITE_POSE = 'non-finite pose'
    # IoT readings, checked against their sensor's configuration
    UNKNOWN_SENSOR = 'unknown sensor'
    WRONG_QUANTITY = 'wrong quantity'
    WRONG_UNIT = 'wrong unit'
    SENSOR_STATUS = 'sensor status'
    NOT_FINITE = 'not finite'
    OUT_OF_RANGE = 'out of range'


#: Drops that say a stamp did not advance: ``got`` is the stamp, ``expected`` the newest one.
ORDERING_DROPS = (DropKind.DUPLICATE, DropKind.OUT_OF_ORDER)


@dataclass(frozen=True)
class Drop:
    """One input message that was not used.

    Attributes:
        source: the source (lidar, camera, ``odom``, ``iot``) or IoT sensor id.
        kind: why.
        got: the offending value (a stamp [ns] for ordering drops, an age [ns] for a stale
            arrival, a value or unit for IoT).
        expected: what was expected (the newest stamp [ns], the timeout [s], the configured
            unit, a range).
        detail: the codec's own message for malformed input.
    """

    source: str
    kind: DropKind
    got: object = None
    expected: object = None
    detail: str = ''

    @property
    def jump_back_ns(self) -> int:
        """How far an ordering drop's stamp lies behind the newest one [ns]; 0 otherwise."""
        if self.kind in ORDERING_DROPS and isinstance(self.got, int):
            assert isinstance(self.expected, int)
            return self.expected - self.got
        return 0

    def __str__(self) -> str:
        kind = self.kind
        if kind in ORDERING_DROPS:
            return f'{kind.value}: stamp {self.got} not after {self.expected}'
        if kind is DropKind.FUTURE_STAMP:
            assert isinstance(self.got, int)
            return f'stamped {self.got / 1e9:.3f} s ahead of the clock (max {self.expected:g} s)'
        if kind is DropKind.STALE_ON_ARRIVAL:
            assert isinstance(self.got, int)
            return f'stale on arrival: {self.got / 1e6:.0f} ms old (timeout {self.expected:g} s)'
        if kind is DropKind.NOT_CONFIGURED:
            return str(kind.value)
        if kind is DropKind.UNKNOWN_SENSOR:
            return f'unknown sensor: {self.source!r} is not configured'
        if kind in (DropKind.WRONG_QUANTITY, DropKind.WRONG_UNIT, DropKind.WRONG_FRAME):
            return f'{kind.value}: {self.got!r}, expected {self.expected!r}'
        if kind is DropKind.OUT_OF_RANGE:
            assert isinstance(self.got, float) and isinstance(self.expected, tuple)
            low, high, unit = self.expected
            return f'out of range: {self.got:g} {unit} outside [{low:g}, {high:g}]'
        if kind in (DropKind.SENSOR_STATUS, DropKind.NOT_FINITE, DropKind.NON_FINITE_POSE):
            return f'{kind.value}: {self.got}'
        return f'{kind.value}: {self.detail}' if self.detail else kind.value


class StaleKind(enum.Enum):
    """Why a source was left out of an update."""

    NEVER_RECEIVED = 'no message received'
    TOO_OLD = 'too old'
    SKEW = 'too far from the key stamp'
    NO_EXTRINSIC = 'no extrinsic yet (no TF and no parameter)'
    NO_CAMERA_INFO = 'no CameraInfo yet'
    NO_IMAGE = 'no image received'
    MALFORMED_CLOUD = 'malformed cloud'
    BLIND = 'blind'
    UNDECODABLE_IMAGE = 'undecodable image'
    SIZE_MISMATCH = 'image size differs from its CameraInfo'
    NO_FRESH_READING = 'no fresh reading'
    NO_UPDATE = 'no update yet'
    NO_EGO_MOTION = 'not updated: odometry lost (odom_loss_grace_s)'


@dataclass(frozen=True)
class Stale:
    """A source left out of an update.

    Attributes:
        kind: why.
        age_ns: how old its newest data was, or how far from the key stamp [ns].
        limit_s: the timeout or maximum skew it exceeded [s].
        detail: the codec's own message for malformed data.
    """

    kind: StaleKind
    age_ns: int | None = None
    limit_s: float | None = None
    detail: str = ''

    def __str__(self) -> str:
        if self.kind is StaleKind.TOO_OLD:
            assert self.age_ns is not None
            return f'last message {self.age_ns / 1e9:.2f} s old (timeout {self.limit_s:g} s)'
        if self.kind is StaleKind.SKEW:
            assert self.age_ns is not None
            return f'{self.age_ns / 1e6:.0f} ms from the key stamp (max skew {self.limit_s:g} s)'
        if self.detail:
            return f'{self.kind.value}: {self.detail}'
        return str(self.kind.value)
