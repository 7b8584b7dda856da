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

"""A learned policy beside another on a recorded bag: what each made the gate send.

``physical-ai compare BAG --model bc.onnx [--against OTHER.onnx] --params P`` replays the bag
twice through the same pipeline and gate (deterministic, bag time as the clock), once per
policy, and reports for each: how many commands the gate sent, whether every one was finite
and within the gate's velocity limits, how often the gate intervened (stopping, by reason,
and changing a command to keep a limit), the largest command per axis; then how far apart
the two policies' commands were (at each of the first policy's gate ticks, the second's
latest command). On a real recording that is the first check that a policy learned in
simulation behaves on the robot's own data before it drives the robot.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from physical_ai_ros.core.params.config_check import load_node_params
from physical_ai_ros.core.params.schema import resolve
from physical_ai_ros.policies.reference import SHIPPED
from physical_ai_ros.replay.runner import replay, ReplayOptions, ReplayResult


@dataclass(frozen=True)
class PolicyOnBag:
    """What one policy made the gate send over a bag."""

    name: str
    model: Path
    commands: int
    finite: bool
    within_limits: bool
    stops: dict[str, int]  # gate outputs that were stops, by reason
    limited: int  # gate outputs a velocity, acceleration or jerk limit changed
    largest: tuple[float, ...]  # largest |command| per axis

    @property
    def stopped(self) -> int:
        """Gate outputs that were stops, any reason."""
        return sum(self.stops.values())


@dataclass(frozen=True)
class BagComparison:
    """Two policies on one bag (see the module docstring)."""

    bag: Path
    axes: tuple[str, ...]
    first: PolicyOnBag
    second: PolicyOnBag
    mean_difference: tuple[float, ...]  # per axis, over the first policy's gate ticks
    max_difference: tuple[float, ...]

    @property
    def safe(self) -> bool:
        """Every command of both was finite and within the gate's velocity limits."""
        return all(p.finite and p.within_limits for p in (self.first, self.second))

    def describe(self) -> str:
        """A table for the terminal."""
        lines = [f'{self.bag}: {", ".join(self.axes)}']
        for p in (self.first, self.second):
            share = 100.0 * p.stopped / max(p.commands, 1)
            reasons = ', '.join(f'{r} {n}' for r, n in sorted(p.stops.items())) or 'none'
            largest = ', '.join(f'{v:.3f}' for v in p.largest)
            lines.append(
                f'  {p.name:<9} {p.model.name}: {p.commands} commands, '
                f'{"all finite" if p.finite else "NOT FINITE"}, '
                f'{"within limits" if p.within_limits else "OUTSIDE LIMITS"}; gate stopping '
                f'{share:.1f}% ({reasons}), limiting {p.limited}; largest |command| {largest}'
            )
        mean = ', '.join(f'{v:.3f}' for v in self.mean_difference)
        most = ', '.join(f'{v:.3f}' for v in self.max_difference)
        lines.append(f'  |{self.first.name} - {self.second.name}|: mean {mean}, max {most}')
        return '\n'.join(lines)


def compare_on_bag(
    bag: Path, out_dir: Path, options: ReplayOptions, model: Path, against: Path | None = None
) -> BagComparison:
    """Replay ``bag`` with ``model`` then ``against`` (default: the reference policy).

    Outputs go to ``out_dir/learned`` and ``out_dir/reference``; ``options`` (params,
    remaps, restamp...) apply to both, their ``model`` replaced.

    Raises:
        BagError: the bag is unreadable.
        PhysicalAiError: bad parameters or model.
    """
    safety = resolve(
        'safety_node', load_node_params(options.params, 'safety_node') if options.params else {}
    )  # fmt: skip
    runs = []
    for name, path in (('learned', model), ('reference', against or SHIPPED)):
        result = replay(bag, out_dir / name, replace(options, model=path))
        runs.append(_summarise(name, path, result, safety))
    first, second = (r for r, _, _ in runs)
    (_, a_stamps, a_values), (_, b_stamps, b_values) = runs[0], runs[1]
    axes = tuple(safety['axes'])
    if len(a_stamps) and len(b_stamps):
        # the second's latest command at each of the first's ticks (zero before its first)
        index = np.searchsorted(b_stamps, a_stamps, side='right') - 1
        held = np.where(index[:, None] >= 0, b_values[np.maximum(index, 0)], 0.0)
        difference = np.abs(a_values - held)
        mean = tuple(float(v) for v in difference.mean(axis=0))
        most = tuple(float(v) for v in difference.max(axis=0))
    else:
        mean = most = tuple(0.0 for _ in axes)
    return BagComparison(bag, axes, first, second, mean, most)


def _summarise(
    name: str, model: Path, result: ReplayResult, safety: dict[str, Any]
) -> tuple[PolicyOnBag, np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The policy's summary, and its gate's (stamps, commands)."""
    axes = len(safety['axes'])
    stamps = np.array([stamp for stamp, _, _ in result.commands], np.int64)
    values = np.array([v for _, v, _ in result.commands], np.float64).reshape(-1, axes)
    low = np.asarray(safety['min_velocity'], np.float64)
    high = np.asarray(safety['max_velocity'], np.float64)
    finite = bool(np.all(np.isfinite(values)))
    within = bool(np.all((values >= low - 1e-9) & (values <= high + 1e-9)))
    stops = Counter(reason for _, _, reason in result.commands if reason != 'NONE')
    largest = tuple(float(v) for v in np.abs(values).max(axis=0)) if len(values) else (0.0,) * axes
    summary = PolicyOnBag(name, model, len(values), finite, within, dict(stops), result.limited,
                          largest)  # fmt: skip
    return summary, stamps, values


__all__ = ['BagComparison', 'PolicyOnBag', 'compare_on_bag']
