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

"""Values that are allowed but unlikely: warned about by check-config, never refused.

The schema's ranges say what a node can run with; a technician who types 8 where 0.8 was
meant gets a valid file and a robot eight times faster than intended. These checks name the
value, why it looks wrong, and what the shipped files use; the file still passes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from physical_ai_ros.core.params.config_check import check_params_file, load_node_params
from physical_ai_ros.core.params.schema import resolve


@dataclass(frozen=True)
class Plausible:
    """One check: a node's parameter, a test of its resolved values, and why it warns."""

    node: str
    name: str
    looks_wrong: Callable[[Mapping[str, Any]], bool]
    why: str


def _fastest(values: Mapping[str, Any], prefix: str) -> float:
    """The largest limit magnitude of the axes whose names start with ``prefix``."""
    axes = values['axes']
    limits = [*values['max_velocity'], *values['min_velocity']]
    return max(
        (abs(v) for k, v in enumerate(limits) if axes[k % len(axes)].startswith(prefix)),
        default=0.0,
    )


CHECKS = (
    Plausible('safety_node', 'max_velocity', lambda v: _fastest(v, 'linear') > 3.0,
              'a linear limit above 3 m/s, faster than mobile bases run among people '
              '(config/mobile_base.yaml: 0.8); a misplaced decimal point?'),
    Plausible('safety_node', 'max_velocity', lambda v: _fastest(v, 'angular') > 6.3,
              'an angular limit above 6.3 rad/s (a turn per second; the shipped base: 1.0)'),
    Plausible('safety_node', 'max_decel', lambda v: max(v['max_decel']) > 10.0,
              'a deceleration above 10 m/s2 (1 g): the base cannot brake that hard, so the '
              'protective field, sized from it, would be too short'),
    Plausible('safety_node', 'command_timeout_s', lambda v: v['command_timeout_s'] > 5.0,
              'the robot keeps the last command for more than 5 s when the policy falls silent'),
    Plausible('perception_node', 'grid.width',
              lambda v: v['grid.width'] * v['grid.height'] > 4_000_000,
              'more than 4 million grid cells: seconds per update on an edge CPU'),
    Plausible('policy_node', 'deadline_ms', lambda v: v['deadline_ms'] > 1000.0,
              'a policy may take over a second per step before the gate stops the robot'),
)  # fmt: skip


def plausibility_warnings(path: Path | str) -> list[str]:
    """One line per value of ``path`` that is valid but unlikely ([] when none or invalid)."""
    if check_params_file(path):
        return []  # problems come first; check-config reports them
    warnings = []
    for check in CHECKS:
        values = resolve(check.node, load_node_params(path, check.node))
        if check.looks_wrong(values):
            warnings.append(f'{path}: warning: {check.node}: {check.name}='
                            f'{values[check.name]!r}: {check.why}')  # fmt: skip
    return warnings


__all__ = ['CHECKS', 'Plausible', 'plausibility_warnings']
