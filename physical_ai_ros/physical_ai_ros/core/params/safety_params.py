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


"""safety_node's parameters, their cross checks, and the :class:`SafetyConfig` built from them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from physical_ai_ros.core.messages.commands import check_axes, COMMAND_TYPES
from physical_ai_ros.core.params.monitor_params import check_monitor, MONITOR_PARAMS
from physical_ai_ros.core.params.spec import CrossCheck, ParamError, ParamSet, ParamSpec
from physical_ai_ros.core.safety.gate import SafetyConfig

P = ParamSpec


def check_safety(values: Mapping[str, Any]) -> list[ParamError]:
    """Cross-parameter checks of resolved safety_node values (one value per axis); [] when fine."""
    check = CrossCheck('safety_node', values)
    axes = values['axes']
    check.need('axes', len(axes) >= 1, 'at least one axis')
    try:
        check_axes(values['output_type'], axes)
    except ValueError as exc:
        check.errors.append(ParamError(check.node, 'axes', axes, str(exc)))
    for name in ('min_velocity', 'max_velocity', 'max_accel', 'max_decel'):
        check.need(name, len(values[name]) == len(axes), f'one value per axis ({len(axes)})')
    check.need(
        'max_jerk',
        len(values['max_jerk']) in (0, len(axes)),
        f'empty or one value per axis ({len(axes)})',
    )
    check.need(
        'min_velocity',
        all(v <= 0 for v in values['min_velocity']),
        'values <= 0 (zero must be allowed)',
    )
    check.need(
        'max_velocity',
        all(v >= 0 for v in values['max_velocity']),
        'values >= 0 (zero must be allowed)',
    )
    for name in ('max_accel', 'max_decel'):
        check.need(name, all(v > 0 for v in values[name]), 'values > 0')
    check.need('max_jerk', all(v > 0 for v in values['max_jerk']), 'values > 0')
    if not check.errors:  # the monitor's checks read the limits per axis
        check_monitor(check)
    return check.errors


# One line or two per parameter, so that the table reads on a screen.
# fmt: off
SAFETY = ParamSet(
    'safety_node',
    (
        P('axes', 'string_array', ['linear.x', 'angular.z'], 'Command axes, in the order of the '
          'policy output (twist fields or joint names).', read_only=True),
        P('output_type', 'string', 'twist_stamped', 'Actuator message type.',
          choices=COMMAND_TYPES, read_only=True),
        P('frame_id', 'string', 'base_link', 'frame_id of stamped commands.'),
        P('rate_hz', 'double', 50.0, 'Rate at which commands are published: a new policy '
          'command goes out at once and takes a slot; ticks come 0.8 to 1.1 periods after an '
          'output.', 'Hz', 1.0, 1000.0, read_only=True),
        P('thread_priority', 'int', 50, "SCHED_FIFO priority of the gate's executor thread, so "
          "its ticks are on time on a loaded computer (as ros2_control's thread_priority); "
          '0 = the normal scheduler. Without the right to it the node warns and runs '
          'normally. Not used by replay.', '', 0, 99, read_only=True),
        P('min_velocity', 'double_array', [-0.2, -1.0], 'Per axis lowest command (<= 0).',
          'unit/s'),
        P('max_velocity', 'double_array', [0.8, 1.0], 'Per axis highest command (>= 0).',
          'unit/s'),
        P('max_accel', 'double_array', [0.8, 2.0], 'Per axis largest increase of |command| per '
          'second (> 0).', 'unit/s2'),
        P('max_decel', 'double_array', [1.5, 4.0], 'Per axis largest decrease of |command| per '
          'second (> 0).', 'unit/s2'),
        P('max_jerk', 'double_array', [], 'Per axis largest change of acceleration per second; '
          'empty = off.', 'unit/s3'),
        P('command_timeout_s', 'double', 0.5, 'A policy command older than this is not used.', 's',
          0.01, 10.0),
        P('input_timeout_s', 'double', 1.0, 'Stop when the policy status is older than this.', 's',
          0.01, 60.0),
        P('stop_mode', 'string', 'decelerate', 'On timeouts and faults: ramp down at max_decel, '
          'or zero at once.', choices=('decelerate', 'immediate')),
        P('trajectory_field', 'string', 'velocities', 'JointTrajectory point field the values '
          'go to. The gate limits velocities and stops at zero: use positions only with a '
          'controller that reads them as increments.', choices=('positions', 'velocities')),
        P('trajectory_time_from_start_s', 'double', 0.1, 'time_from_start of the '
          'JointTrajectory point.', 's', 0.0, 10.0),
        *MONITOR_PARAMS,
    ),
    checks=check_safety,
)
# fmt: on


def safety_config(values: Mapping[str, Any]) -> SafetyConfig:
    """The :class:`SafetyConfig` of resolved ``safety_node`` values."""
    return SafetyConfig(
        axes=tuple(values['axes']),
        min_velocity=tuple(values['min_velocity']),
        max_velocity=tuple(values['max_velocity']),
        max_accel=tuple(values['max_accel']),
        max_decel=tuple(values['max_decel']),
        max_jerk=tuple(values['max_jerk']),
        command_timeout_s=values['command_timeout_s'],
        stop_mode=values['stop_mode'],
    )
