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

"""Actuator command messages: Twist, TwistStamped, Float64MultiArray, JointTrajectory."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from physical_ai_ros.core.messages.commands import build_command, check_axes, MESSAGE_TYPE


def roundtrip(types: Any, msg: Any) -> Any:
    return types.deserialize(types.serialize(msg), msg.__msgtype__)


def test_twist_and_twist_stamped(types: Any) -> None:
    values = np.array([0.4, -0.3])
    twist = roundtrip(
        types, build_command('twist', ('linear.x', 'angular.z'), values, types, stamp_ns=5)
    )
    assert (twist.linear.x, twist.linear.y, twist.angular.z) == (0.4, 0.0, -0.3)
    stamped = roundtrip(
        types,
        build_command(
            'twist_stamped',
            ('angular.z', 'linear.y'),
            values,
            types,
            stamp_ns=7_000_000_001,
            frame_id='base',
        ),
    )
    assert stamped.header.frame_id == 'base' and stamped.header.stamp.sec == 7
    assert (stamped.twist.angular.z, stamped.twist.linear.y) == (0.4, -0.3)
    assert stamped.__msgtype__ == MESSAGE_TYPE['twist_stamped']


def test_float64_array_in_joint_order(types: Any) -> None:
    msg = roundtrip(
        types,
        build_command(
            'float64_array', ('j1', 'j2', 'j3'), np.array([1.0, 2.0, 3.0]), types, stamp_ns=0
        ),
    )
    np.testing.assert_array_equal(msg.data, [1.0, 2.0, 3.0])
    assert msg.layout.dim[0].size == 3


@pytest.mark.parametrize('field', ['positions', 'velocities'])
def test_joint_trajectory_single_point(types: Any, field: str) -> None:
    msg = build_command(
        'joint_trajectory', ('shoulder', 'elbow'), np.array([0.1, -0.2]), types,
        stamp_ns=123, trajectory_field=field,  # type: ignore[arg-type]
        time_from_start_ns=250_000_000,
    )  # fmt: skip
    msg = roundtrip(types, msg)
    assert msg.joint_names == ['shoulder', 'elbow']
    assert (msg.header.stamp.sec, msg.header.stamp.nanosec) == (0, 0)  # start on receipt
    point = msg.points[0]
    np.testing.assert_array_equal(getattr(point, field), [0.1, -0.2])
    assert point.time_from_start.nanosec == 250_000_000


@pytest.mark.parametrize(
    ('command_type', 'axes', 'match'),
    [
        ('twist', ('linear.x', 'yaw'), "twist has no field 'yaw'"),
        ('speed', ('linear.x',), "command type 'speed'"),
        ('float64_array', ('j1', 'j1'), 'axes repeat a name'),
    ],
)
def test_bad_axes_are_refused(command_type: str, axes: tuple[str, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        check_axes(command_type, axes)
