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


"""The collision monitor's sources: raw range sensors, turned into obstacle points.

A ``PointCloud2`` (any lidar), a ``LaserScan`` (a safety scanner) or a ``Range`` (ultrasonic,
ToF) becomes the ``(N, 2)`` base-frame x, y of its returns inside the height band, with the
robot's own body and NaN / zero returns left out. Nothing here reads the perception grid or
the policy: :class:`SourceTracker` keeps each source's newest points and says when a source
is silent (no message within its timeout) or blind (fewer returns than it needs), which the
monitor turns into a stop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import enum
import math
from typing import Any, Literal

import numpy as np

from physical_ai_ros.core.errors import MessageFormatError, PointCloudError
from physical_ai_ros.core.messages.pointcloud import cloud_to_array
from physical_ai_ros.core.messages.stamps import NS_PER_S, stamp_to_ns
from physical_ai_ros.core.safety.motion import moved, Scan, ScanHistory
from physical_ai_ros.core.safety.returns import Returns
from physical_ai_ros.core.safety.shapes import Points, Shape

SourceKind = Literal['cloud', 'scan', 'range']

#: A point this close to its sensor is no return (drivers write zeros for "nothing") [m].
MIN_RETURN_RANGE = 0.05


@dataclass(frozen=True)
class Band:
    """Which returns are obstacles: a height band and a reach around the robot's body.

    Attributes:
        min_height: lowest obstacle point above the floor, base frame z [m].
        max_height: highest obstacle point (the robot's height and some) [m].
        box: ``(x_min, y_min, x_max, y_max)`` in the base frame: the region the field (at
            the highest speed) and the zones can reach; returns outside it are ignored [m].
        body: the robot's footprint; returns within ``body_padding`` of it are its own body.
        body_padding: how far outside the footprint a return still counts as the body [m].
    """

    min_height: float
    max_height: float
    box: tuple[float, float, float, float]
    body: Shape
    body_padding: float = 0.0


def cloud_points(msg: Any, matrix: np.ndarray[Any, Any], band: Band) -> tuple[Points, int]:
    """A PointCloud2's obstacle points in the base frame, and its number of returns.

    ``matrix`` is the 4x4 base <- sensor transform. Base-frame x, y, z are computed for every
    point in float32 and tested against the band and the box in one mask: NaN and Inf fail
    every comparison, and a zero return lands on the sensor, inside the robot's body. Only the
    few returns near the robot go on to the body test. The number of returns (blindness) is
    counted on every 16th point of a large cloud, times 16: the threshold is coarse and the
    full count would cost a pass of its own (``bench/monitor.py``). No BLAS: element-wise
    arithmetic.

    Raises:
        PointCloudError: the cloud is malformed or lacks x, y or z.
    """
    points = cloud_to_array(msg)
    names = points.dtype.names or ()
    if not all(axis in names for axis in 'xyz'):
        raise PointCloudError('fields', list(names), 'lacks x, y or z')
    x, y, z = points['x'], points['y'], points['z']
    step = 16 if points.shape[0] > 8192 else 1
    sample = points[::step]
    sx, sy, sz = sample['x'], sample['y'], sample['z']
    # a NaN range compares False: NaN, Inf and zero returns are not returns
    returns = step * int(np.count_nonzero((sx * sx + sy * sy + sz * sz) > MIN_RETURN_RANGE**2))
    r = np.asarray(matrix, dtype=np.float64).astype(np.float32)
    x0, y0, x1, y1 = (np.float32(v) for v in band.box)
    keep = _between(_row(r[2], x, y, z), band.min_height, band.max_height)
    xb, yb = _row(r[0], x, y, z), _row(r[1], x, y, z)
    keep &= (xb >= x0) & (xb <= x1) & (yb >= y0) & (yb <= y1)
    xy = np.empty((int(np.count_nonzero(keep)), 2), dtype=np.float64)
    xy[:, 0], xy[:, 1] = xb[keep], yb[keep]
    return _outside_body(xy, band, boxed=True), returns


def _row(r: np.ndarray[Any, Any], x: Any, y: Any, z: Any) -> np.ndarray[Any, Any]:
    """One base-frame coordinate of every point: ``r . (x, y, z, 1)``.

    Zero terms are skipped and unit ones not multiplied: a sensor mounted level and facing
    forward costs one addition per coordinate, not three multiplications and three.
    """
    out: np.ndarray[Any, Any] | None = None
    for coefficient, values in zip(r[:3], (x, y, z), strict=True):
        if coefficient == 0.0:
            continue
        term = values if coefficient == 1.0 else values * coefficient
        out = term if out is None else out + term
    if out is None:
        out = np.zeros(x.shape, np.float32)
    return out + r[3] if r[3] else out


def _between(values: np.ndarray[Any, Any], low: float, high: float) -> np.ndarray[Any, Any]:
    out: np.ndarray[Any, Any] = (values >= np.float32(low)) & (values <= np.float32(high))
    return out


def scan_points(msg: Any, matrix: np.ndarray[Any, Any], band: Band) -> tuple[Points, int]:
    """A LaserScan's obstacle points in the base frame, and its number of returns.

    A return is a finite range within ``[range_min, range_max]``, or +Inf ("nothing within
    range", REP 117); NaN is no return. Only finite in-range returns are obstacles.

    Raises:
        MessageFormatError: angles or ranges that do not describe a scan.
    """
    ranges = np.asarray(msg.ranges, dtype=np.float32)
    angle_min, increment = float(msg.angle_min), float(msg.angle_increment)
    lo, hi = float(msg.range_min), float(msg.range_max)
    if not (math.isfinite(angle_min) and math.isfinite(increment)) or ranges.ndim != 1:
        raise MessageFormatError('sensor_msgs/msg/LaserScan', 'angle_increment', increment,
                                 'finite angles and a 1-D ranges array')  # fmt: skip
    obstacle = np.isfinite(ranges) & (ranges >= lo) & (ranges <= hi)
    returns = int(np.count_nonzero(obstacle | np.isposinf(ranges)))
    angles = angle_min + increment * np.flatnonzero(obstacle)
    distance = ranges[obstacle].astype(np.float64)
    local = np.stack([distance * np.cos(angles), distance * np.sin(angles), np.zeros_like(angles)])
    return _in_band(local, matrix, band), returns


#: Points across a Range sensor's field of view (its cone's cross-section at the range).
RANGE_RAYS = 5


def range_points(msg: Any, matrix: np.ndarray[Any, Any], band: Band) -> tuple[Points, int]:
    """A Range reading's obstacle points (an arc across its field of view), and 1 or 0 returns.

    REP 117: +Inf (or beyond ``max_range``) is nothing in range; -Inf (or below
    ``min_range``) is an object closer than ``min_range``, placed at ``min_range``; NaN is no
    return.
    """
    value, lo, hi = float(msg.range), float(msg.min_range), float(msg.max_range)
    fov = float(msg.field_of_view)
    if math.isnan(value) or not math.isfinite(fov):
        return np.zeros((0, 2)), 0
    if value > hi:
        return np.zeros((0, 2)), 1
    distance = max(value, lo) if math.isfinite(lo) else 0.0
    angles = np.linspace(-fov / 2.0, fov / 2.0, RANGE_RAYS)
    local = np.stack([distance * np.cos(angles), distance * np.sin(angles), np.zeros_like(angles)])
    return _in_band(local, matrix, band, floor=False), 1


def _in_band(
    local: np.ndarray[Any, Any], matrix: np.ndarray[Any, Any], band: Band, *, floor: bool = True
) -> Points:
    """Sensor-frame (3, N) points -> base-frame x, y of those in the band, body left out."""
    r = np.asarray(matrix, dtype=np.float64)
    base = np.einsum('ij,jn->in', r[:3, :3], local) + r[:3, 3:4]  # einsum: no BLAS
    # a range sensor's cone seen as an arc at its own height: the band's floor does not
    # apply (a low ultrasonic sensor is there to see low things); its ceiling does
    low = band.min_height if floor else -math.inf
    keep = (base[2] >= low) & (base[2] <= band.max_height)
    return _outside_body(np.ascontiguousarray(base[:2, keep].T), band)


def _outside_body(xy: Points, band: Band, *, boxed: bool = False) -> Points:
    """Points within the box (already, if ``boxed``) and outside the robot's own body.

    Only the points within the body's bounding box (grown by the padding) are measured
    against the body: a few, where the returns near the robot are tens of thousands.
    """
    if not boxed:
        x0, y0, x1, y1 = band.box
        xy = xy[(xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)]
    pad = band.body_padding
    b0, c0, b1, c1 = band.body.bounds()
    near = (xy[:, 0] >= b0 - pad) & (xy[:, 0] <= b1 + pad)
    near &= (xy[:, 1] >= c0 - pad) & (xy[:, 1] <= c1 + pad)
    candidates = np.flatnonzero(near)
    if candidates.size:
        body = candidates[band.body.signed_distance(xy[candidates]) <= pad]
        if body.size:
            xy = np.delete(xy, body, axis=0)
    return xy


class SourceProblem(enum.Enum):
    """Why a source cannot vouch for the space around the robot."""

    NO_DATA = 'no message yet'
    SILENT = 'silent'
    BLIND = 'blind'
    NO_TRANSFORM = 'no transform to the base frame'
    MALFORMED = 'malformed message'
    STALE = 'stale on arrival'


@dataclass(frozen=True)
class SourceConfig:
    """One range sensor of the monitor.

    Attributes:
        name: its name; the node subscribes to ``<name>/points``, ``<name>/scan`` or
            ``<name>/range`` by ``kind``.
        kind: ``cloud`` (PointCloud2), ``scan`` (LaserScan) or ``range`` (Range).
        extrinsic: the 4x4 base <- sensor transform; None: from TF
            (:meth:`SourceTracker.set_extrinsic`).
        timeout_s: no message for this long is a silent source [s].
        min_returns: a message with fewer returns is blind (0: never).
    """

    name: str
    kind: SourceKind
    extrinsic: np.ndarray[Any, Any] | None
    timeout_s: float
    min_returns: int


@dataclass
class _SourceState:
    config: SourceConfig
    matrix: np.ndarray[Any, Any] | None
    points: Points = field(default_factory=lambda: np.zeros((0, 2)))
    received_ns: int | None = None
    stamp_ns: int | None = None
    returns: int = 0
    problem: SourceProblem | None = SourceProblem.NO_DATA
    detail: str = ''
    grouped: Returns | None = None  # ``points`` in cells, made with them
    history: ScanHistory = field(default_factory=ScanHistory)


READERS = {'cloud': cloud_points, 'scan': scan_points, 'range': range_points}


class SourceTracker:
    """Every source's newest obstacle points, and which sources are silent or blind."""

    def __init__(self, sources: tuple[SourceConfig, ...], band: Band) -> None:
        self.band = band
        self._sources = {s.name: _SourceState(s, s.extrinsic) for s in sources}
        self._returns: Returns | None = None  # every source's, grouped; None: to be made
        self._moving: tuple[tuple[int, tuple[float, float]], Returns] | None = None
        #: counts the messages taken: the returns are unchanged while it is
        self.version = 0
        #: messages refused per (source, problem)
        self.refused: dict[tuple[str, SourceProblem], int] = {}

    @property
    def names(self) -> tuple[str, ...]:
        """The sources' names."""
        return tuple(self._sources)

    def kind(self, name: str) -> SourceKind:
        """The kind of source ``name``."""
        return self._sources[name].config.kind

    def needs_transform(self, name: str) -> bool:
        """Whether source ``name`` still waits for its transform from TF."""
        return self._sources[name].matrix is None

    def set_extrinsic(self, name: str, matrix: np.ndarray[Any, Any]) -> None:
        """The base <- sensor transform of a source configured to take it from TF."""
        self._sources[name].matrix = np.asarray(matrix, dtype=np.float64)

    def on_message(self, name: str, msg: Any, now_ns: int) -> SourceProblem | None:
        """Take a message of source ``name`` received at ``now_ns``; its problem, if any.

        A malformed message, one without a transform, or one stamped further from ``now_ns``
        than the source's timeout (old data delivered late, or a clock far ahead) leaves the
        source's earlier points in place and its silence timer running: the source is silent
        until a good one comes.
        """
        state = self._sources[name]
        problem: SourceProblem | None = None
        detail = ''
        try:
            stamp = stamp_to_ns(msg.header.stamp)
            if abs(now_ns - stamp) > state.config.timeout_s * NS_PER_S:
                problem = SourceProblem.STALE
                detail = f'stamped {(now_ns - stamp) / NS_PER_S:.2f} s before it arrived'
            elif state.matrix is None:
                problem, detail = SourceProblem.NO_TRANSFORM, str(msg.header.frame_id)
            else:
                points, returns = READERS[state.config.kind](msg, state.matrix, self.band)
        except (MessageFormatError, AttributeError, TypeError, ValueError) as exc:
            problem, detail = SourceProblem.MALFORMED, f'{type(exc).__name__}: {exc}'[:160]
        if problem is not None:
            self.refused[(name, problem)] = self.refused.get((name, problem), 0) + 1
            state.detail = detail
            return problem
        state.points, state.returns, state.stamp_ns = points, returns, stamp
        state.grouped = Returns.of(points, self.band.box)
        state.history.add(Scan(stamp, state.grouped))
        self._returns = None
        self.version += 1
        state.received_ns = now_ns
        blind = returns < state.config.min_returns
        state.problem = SourceProblem.BLIND if blind else None
        state.detail = f'{returns} returns < {state.config.min_returns}' if blind else ''
        return state.problem

    def problems(self, now_ns: int) -> dict[str, tuple[SourceProblem, str]]:
        """Sources that cannot vouch for the space now: name -> (problem, detail)."""
        out = {}
        for name, state in self._sources.items():
            if state.received_ns is None:
                out[name] = (SourceProblem.NO_DATA, state.detail)
                continue
            age = now_ns - state.received_ns
            if age > state.config.timeout_s * NS_PER_S or age < 0:
                out[name] = (SourceProblem.SILENT, f'last message {age / 1e9:.2f} s ago')
            elif state.problem is not None:
                out[name] = (state.problem, state.detail)
        return out

    def points(self) -> Points:
        """The newest obstacle points of every source, in one array."""
        arrays = [s.points for s in self._sources.values() if s.points.shape[0]]
        if not arrays:
            return np.zeros((0, 2))
        return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)

    def returns(self) -> Returns:
        """:meth:`points` grouped into cells, made once per new message (not per check)."""
        if self._returns is None:
            grouped = [s.grouped for s in self._sources.values() if s.grouped is not None]
            if len(grouped) == 1 and grouped[0].size == self.points().shape[0]:
                self._returns = grouped[0]  # one source: its own cells
            else:
                self._returns = Returns.of(self.points(), self.band.box)
        return self._returns

    def moving_returns(self, velocity: tuple[float, float]) -> Returns:
        """The returns that were not where they are a moment ago (:mod:`.motion`), grouped.

        ``velocity`` is the robot's (the gate's output): its own motion is taken out first.
        Made once per new message and velocity.
        """
        key = (self.version, velocity)
        if self._moving is None or self._moving[0] != key:
            parts = []
            for state in self._sources.values():
                if state.stamp_ns is None or state.grouped is None or not state.grouped.size:
                    continue
                now = Scan(state.stamp_ns, state.grouped)
                mask = moved(now, state.history.baseline(), velocity, self.band.box)
                parts.append(state.grouped.subset(mask))
            if len(parts) == 1:
                moving = parts[0]
            else:
                points = [p.points for p in parts]
                moving = Returns.of(np.concatenate(points) if points else np.zeros((0, 2)),
                                    self.band.box)  # fmt: skip
            self._moving = (key, moving)
        return self._moving[1]

    def ages_s(self, now_ns: int) -> dict[str, float]:
        """Seconds since each source's last good message (-1: never)."""
        return {
            name: (now_ns - s.received_ns) / NS_PER_S if s.received_ns is not None else -1.0
            for name, s in self._sources.items()
        }
