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

"""Actuator command messages built from the gate's per-axis values.

Output types, chosen by parameter: ``geometry_msgs/Twist``, ``geometry_msgs/TwistStamped``
(the default of Jazzy's diff_drive_controller), ``std_msgs/Float64MultiArray`` (ros2_control
forward command controllers, values in joint order) and ``trajectory_msgs/JointTrajectory``
(one point, for arms).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from physical_ai_ros.core.messages.msgtypes import MessageTypes
from physical_ai_ros.core.messages.stamps import make_header, ns_to_sec_nanosec

CommandType = Literal['twist', 'twist_stamped', 'float64_array', 'joint_trajectory']
COMMAND_TYPES: tuple[CommandType, ...] = (
    'twist',
    'twist_stamped',
    'float64_array',
    'joint_trajectory',
)
TWIST_AXES = ('linear.x', 'linear.y', 'linear.z', 'angular.x', 'angular.y', 'angular.z')

#: ROS type of each command type.
MESSAGE_TYPE: dict[str, str] = {
    'twist': 'geometry_msgs/msg/Twist',
    'twist_stamped': 'geometry_msgs/msg/TwistStamped',
    'float64_array': 'std_msgs/msg/Float64MultiArray',
    'joint_trajectory': 'trajectory_msgs/msg/JointTrajectory',
}


def check_axes(command_type: str, axes: Sequence[str]) -> None:
    """Refuse axes a command type cannot carry (twist types take only TWIST_AXES).

    Raises:
        ValueError: naming the bad axis and what is allowed.
    """
    if command_type not in COMMAND_TYPES:
        raise ValueError(
            f'command type {command_type!r}: expected one of {", ".join(COMMAND_TYPES)}'
        )
    if command_type.startswith('twist'):
        bad = [a for a in axes if a not in TWIST_AXES]
        if bad:
            raise ValueError(
                f'{command_type} has no field {bad[0]!r}; fields: {", ".join(TWIST_AXES)}'
            )
    if len(set(axes)) != len(axes):
        raise ValueError(f'axes repeat a name: {list(axes)}')


def build_command(
    command_type: CommandType,
    axes: Sequence[str],
    values: np.ndarray[Any, Any],
    types: MessageTypes,
    *,
    stamp_ns: int,
    frame_id: str = 'base_link',
    trajectory_field: Literal['positions', 'velocities'] = 'velocities',
    time_from_start_ns: int = 100_000_000,
) -> Any:
    """Build the command message carrying ``values`` (one per axis)."""
    t = types.get
    if command_type in ('twist', 'twist_stamped'):
        parts = {'linear': [0.0, 0.0, 0.0], 'angular': [0.0, 0.0, 0.0]}
        for axis, value in zip(axes, values, strict=True):
            group, component = axis.split('.')
            parts[group]['xyz'.index(component)] = float(value)
        vector = t('geometry_msgs/msg/Vector3')
        twist = t('geometry_msgs/msg/Twist')(
            linear=vector(x=parts['linear'][0], y=parts['linear'][1], z=parts['linear'][2]),
            angular=vector(x=parts['angular'][0], y=parts['angular'][1], z=parts['angular'][2]),
        )
        if command_type == 'twist':
            return twist
        return t('geometry_msgs/msg/TwistStamped')(
            header=make_header(stamp_ns, frame_id, types), twist=twist
        )
    if command_type == 'float64_array':
        layout = t('std_msgs/msg/MultiArrayLayout')(
            dim=[
                t('std_msgs/msg/MultiArrayDimension')(
                    label='joints', size=len(axes), stride=len(axes)
                )
            ],
            data_offset=0,
        )
        return t('std_msgs/msg/Float64MultiArray')(
            layout=layout, data=types.array(np.asarray(values, dtype=np.float64))
        )
    sec, nanosec = ns_to_sec_nanosec(time_from_start_ns)
    empty = np.zeros(0, dtype=np.float64)
    names = ('positions', 'velocities', 'accelerations', 'effort')
    fields = {name: types.array(empty) for name in names}
    fields[trajectory_field] = types.array(np.asarray(values, dtype=np.float64))
    point = t('trajectory_msgs/msg/JointTrajectoryPoint')(
        **fields, time_from_start=t('builtin_interfaces/msg/Duration')(sec=sec, nanosec=nanosec)
    )
    # A zero stamp tells joint_trajectory_controller to start the trajectory on receipt, which
    # is what a streamed command wants (a past stamp would make it skip the point).
    return t('trajectory_msgs/msg/JointTrajectory')(
        header=make_header(0, frame_id, types), joint_names=list(axes), points=[point]
    )
