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

"""Comparison of a replay's output bag against a golden one, field by field.

Messages of a topic are paired in order, and a pair whose log times differ by more than the
alignment window is a divergence too. Numbers compare within ``abs + rel * |expected|``
(per-topic and per-field tolerances from a YAML); everything else must be equal. The first
divergence per topic, and the first of all, say time, topic, field, expected and got.

Tolerances file::

    time_window_s: 0.0005        # allowed log-time difference of paired messages
    default: {abs: 1.0e-9, rel: 0.0}
    topics:
      /cmd_vel: {abs: 1.0e-4}
      /grid: {fields: {data: {abs: 0.01}}}
      /diagnostics: {skip: true}
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math
from pathlib import Path
import time
from typing import Any

import numpy as np
from rosbags.rosbag2 import Reader
import yaml

from physical_ai_ros.core.errors import PhysicalAiError
from physical_ai_ros.core.files import load_yaml_limited, read_text_limited, yaml_problem
from physical_ai_ros.core.messages.stamps import NS_PER_S
from physical_ai_ros.replay.baginfo import format_ns
from physical_ai_ros.replay.errors import BagError
from physical_ai_ros.replay.typestore import make_typestore, TypestoreTypes


class ToleranceError(PhysicalAiError, ValueError):
    """A tolerances file is invalid."""


@dataclass(frozen=True)
class Tolerance:
    """Allowed difference of numbers: ``|got - expected| <= abs + rel * |expected|``."""

    abs: float = 1e-9
    rel: float = 0.0

    def ok(self, expected: float, got: float) -> bool:
        """Whether ``got`` is close enough (NaN equals NaN, inf equals inf)."""
        if math.isnan(expected) or math.isnan(got):
            return math.isnan(expected) and math.isnan(got)
        if math.isinf(expected) or math.isinf(got):
            return expected == got
        return abs(got - expected) <= self.abs + self.rel * abs(expected)


@dataclass(frozen=True)
class Tolerances:
    """Tolerances by topic and field (see the module docstring)."""

    time_window_ns: int = 500_000
    default: Tolerance = Tolerance()
    topics: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | str | None) -> Tolerances:
        """Read a tolerances YAML (``None``: the defaults).

        Raises:
            ToleranceError: unreadable, or keys/values of the wrong kind.
        """
        if path is None:
            return cls()

        def refused(reason: str) -> ToleranceError:
            return ToleranceError(f'tolerances {path}: {reason}')

        try:
            data = load_yaml_limited(read_text_limited(Path(path), refused), refused) or {}
        except yaml.YAMLError as exc:
            line, problem = yaml_problem(exc)
            raise ToleranceError(f'tolerances {path}:{line or 1}: {problem}') from None
        if not isinstance(data, dict) or set(data) - {'time_window_s', 'default', 'topics'}:
            raise ToleranceError(
                f'tolerances {path}: expected keys time_window_s, default, topics'
            )
        try:
            window = float(data.get('time_window_s', 0.0005))
            default = Tolerance(**(data.get('default') or {}))
            topics = dict(data.get('topics') or {})
        except (TypeError, ValueError) as exc:
            raise ToleranceError(f'tolerances {path}: {exc}') from exc
        return cls(int(window * NS_PER_S), default, topics)

    def skip(self, topic: str) -> bool:
        """Whether the topic is not compared."""
        return bool(self.topics.get(topic, {}).get('skip', False))

    def for_field(self, topic: str, field_path: str) -> Tolerance:
        """The tolerance of one field (by its path without indices), else the topic's."""
        spec = self.topics.get(topic, {})
        base = {k: spec[k] for k in ('abs', 'rel') if k in spec}
        fields = spec.get('fields', {})
        plain = '.'.join(part.split('[')[0] for part in field_path.split('.'))
        if plain in fields:
            base.update(fields[plain])
        if not base:
            return self.default
        return Tolerance(
            abs=base.get('abs', self.default.abs), rel=base.get('rel', self.default.rel)
        )


@dataclass(frozen=True)
class Divergence:
    """Where output and golden first differ on a topic."""

    time_ns: int
    topic: str
    field: str
    expected: Any
    got: Any
    start_ns: int = 0  # the bags' first log time: times are said relative to it, as the plots

    @property
    def offset_s(self) -> float:
        """Seconds from the start of the bags to the divergence."""
        return (self.time_ns - self.start_ns) / NS_PER_S

    def __str__(self) -> str:
        when = f't={self.offset_s:.6f} s (log time {format_ns(self.time_ns)})'
        return f'{when} {self.topic} {self.field}: expected {self.expected!r}, got {self.got!r}'


@dataclass
class TopicComparison:
    """The comparison of one topic."""

    topic: str
    compared: int = 0
    divergence: Divergence | None = None
    seconds: float = 0.0  # wall time the comparison took, for JUnit; never part of a verdict

    @property
    def passed(self) -> bool:
        """No divergence."""
        return self.divergence is None


@dataclass
class Comparison:
    """The comparison of two bags."""

    topics: list[TopicComparison]

    @property
    def passed(self) -> bool:
        """Every topic matched."""
        return all(t.passed for t in self.topics)

    @property
    def first(self) -> Divergence | None:
        """The earliest divergence of all topics."""
        found = [t.divergence for t in self.topics if t.divergence is not None]
        return min(found, key=lambda d: (d.time_ns, d.topic)) if found else None


def _read(path: Path, types: TypestoreTypes) -> dict[str, list[tuple[int, Any]]]:
    out: dict[str, list[tuple[int, Any]]] = {}
    try:
        with Reader(path) as reader:
            for connection, log_ns, raw in reader.messages():
                out.setdefault(connection.topic, []).append(
                    (log_ns, types.deserialize(raw, connection.msgtype))
                )
    except Exception as exc:
        raise BagError(path, f'not a readable rosbag2 ({exc})') from exc
    return out


def _diff(
    expected: Any, got: Any, path: str, topic: str, tolerances: Tolerances
) -> tuple[str, Any, Any] | None:
    """First differing field below ``path``: (field, expected, got), or None."""
    if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
        e, g = np.asarray(expected), np.asarray(got)
        if e.shape != g.shape:
            return f'{path}.shape' if path else 'shape', e.shape, g.shape
        if e.dtype.kind in 'fiu' and g.dtype.kind in 'fiu':
            tol = tolerances.for_field(topic, path)
            ef, gf = e.astype(np.float64).ravel(), g.astype(np.float64).ravel()
            with np.errstate(invalid='ignore'):
                close = (gf == ef) | (np.abs(gf - ef) <= tol.abs + tol.rel * np.abs(ef))
            close |= np.isnan(ef) & np.isnan(gf)
            if not close.all():
                i = int(np.flatnonzero(~close)[0])
                return f'{path}[{i}]', float(ef[i]), float(gf[i])
            return None
        if not np.array_equal(e, g):
            return path, e.tolist(), g.tolist()
        return None
    if hasattr(expected, '__dataclass_fields__'):
        for name in expected.__dataclass_fields__:
            found = _diff(
                getattr(expected, name),
                getattr(got, name),
                f'{path}.{name}' if path else name,
                topic,
                tolerances,
            )
            if found:
                return found
        return None
    if isinstance(expected, list):
        if len(expected) != len(got):
            return f'{path}.length' if path else 'length', len(expected), len(got)
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            found = _diff(e, g, f'{path}[{i}]', topic, tolerances)
            if found:
                return found
        return None
    if isinstance(expected, float) or isinstance(got, float):
        if not tolerances.for_field(topic, path).ok(float(expected), float(got)):
            return path, expected, got
        return None
    return None if expected == got else (path, expected, got)


def compare_bags(
    output: Path | str, golden: Path | str, tolerances: Tolerances | None = None
) -> Comparison:
    """Compare every topic of ``golden`` with ``output``.

    Raises:
        BagError: either bag is unreadable.
    """
    tolerances = tolerances or Tolerances()
    types = TypestoreTypes(make_typestore())
    got_all, expected_all = _read(Path(output), types), _read(Path(golden), types)
    start = min((msgs[0][0] for msgs in (*got_all.values(), *expected_all.values())), default=0)
    results = []
    for topic in sorted(set(expected_all) | set(got_all)):
        if tolerances.skip(topic):
            continue
        began = time.perf_counter()
        result = TopicComparison(topic)
        expected, got = expected_all.get(topic, []), got_all.get(topic, [])
        for (e_ns, e_msg), (g_ns, g_msg) in zip(expected, got, strict=False):
            result.compared += 1
            if abs(e_ns - g_ns) > tolerances.time_window_ns:
                result.divergence = Divergence(e_ns, topic, '<log time>', e_ns, g_ns, start)
                break
            found = _diff(e_msg, g_msg, '', topic, tolerances)
            if found:
                result.divergence = Divergence(e_ns, topic, *found, start_ns=start)
                break
        if result.divergence is None and len(expected) != len(got):
            n = min(len(expected), len(got))
            when = expected[n][0] if len(expected) > n else got[n][0]
            result.divergence = Divergence(
                when, topic, '<message count>', len(expected), len(got), start
            )
        result.seconds = time.perf_counter() - began
        results.append(result)
    return Comparison(results)


def command_series(
    path: Path | str, topic: str, axes: tuple[str, ...]
) -> list[tuple[int, list[float]]]:
    """Command values per axis over time from a bag's command topic (for plots)."""
    types = TypestoreTypes(make_typestore())
    series = []
    for log_ns, msg in _read(Path(path), types).get(topic, []):
        series.append((log_ns, command_values(msg, axes)))
    return series


def command_values(msg: Any, axes: tuple[str, ...]) -> list[float]:
    """The per-axis values of a Twist, TwistStamped, Float64MultiArray or JointTrajectory."""
    if hasattr(msg, 'twist'):
        msg = msg.twist
    if hasattr(msg, 'linear'):
        return [float(getattr(getattr(msg, a.split('.')[0]), a.split('.')[1])) for a in axes]
    if hasattr(msg, 'points'):
        point = msg.points[0]
        values = point.velocities if len(point.velocities) else point.positions
        return [float(v) for v in values]
    return [float(v) for v in msg.data]
