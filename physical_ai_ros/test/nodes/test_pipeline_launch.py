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

"""launch_testing of the real nodes: sensors in, commands out; e-stop; a bad parameter refused.

Runs where ROS 2 (rclpy, launch_testing) is installed and the workspace is sourced:
``colcon test --packages-select physical_ai_ros`` or ``launch_test`` on this file. Skipped
elsewhere.
"""

from __future__ import annotations

from pathlib import Path
import sys
import unittest

import pytest

pytest.importorskip('launch_testing', reason='launch_testing is not installed (no ROS 2 here)')
rclpy = pytest.importorskip('rclpy', reason='rclpy is not installed (no ROS 2 here)')

import launch  # noqa: E402, I100 (after the skips above)

sys.path.insert(0, str(Path(__file__).resolve().parent))  # launch_helpers
from launch_helpers import bringup_test_description, floor_cloud, spin_until, standing_odometry  # noqa: E402, I100


@pytest.mark.launch_test
def generate_test_description() -> tuple[launch.LaunchDescription, dict]:
    return bringup_test_description(enable_camera='false', enable_iot='false')


class TestPipeline(unittest.TestCase):
    """Drive the launched nodes through their topics and services."""

    @classmethod
    def setUpClass(cls) -> None:
        rclpy.init()
        cls.node = rclpy.create_node('pipeline_tester')

    @classmethod
    def tearDownClass(cls) -> None:
        cls.node.destroy_node()
        rclpy.shutdown()

    def spin_until(self, condition, timeout: float) -> bool:
        return spin_until(self.node, condition, timeout, 0.05)

    def test_cloud_in_command_out_estop_stops_and_bad_parameter_is_refused(self) -> None:
        from geometry_msgs.msg import TwistStamped
        from nav_msgs.msg import Odometry
        from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
        from rcl_interfaces.srv import SetParameters
        from sensor_msgs.msg import PointCloud2
        from std_msgs.msg import Bool

        from physical_ai_ros_interfaces.msg import PolicyStatus

        commands: list[TwistStamped] = []
        statuses: list[PolicyStatus] = []
        self.node.create_subscription(TwistStamped, 'cmd_vel', commands.append, 10)
        self.node.create_subscription(PolicyStatus, 'policy/status', statuses.append, 10)
        clouds = self.node.create_publisher(PointCloud2, 'lidar/points', 10)
        estop = self.node.create_publisher(Bool, 'estop', 10)
        odom = self.node.create_publisher(Odometry, 'odom', 10)
        standing = standing_odometry()

        def publish_clouds() -> None:
            # odometry too: use_odometry is on, and without it the grid is not updated
            standing.header.stamp = self.node.get_clock().now().to_msg()
            odom.publish(standing)
            # the floor where mobile_base.yaml puts it (lidar 0.6 m up): the collision monitor
            # takes returns 0.1 m above its floor for obstacles
            clouds.publish(floor_cloud(0.6, self.node.get_clock().now().nanoseconds))

        timer = self.node.create_timer(0.1, publish_clouds)
        moving = self.spin_until(lambda: any(c.twist.linear.x > 0.2 for c in commands), 30.0)
        self.assertTrue(moving, f'no forward command; last status: {statuses[-1:]}')

        estop.publish(Bool(data=True))
        commands.clear()
        stopped = self.spin_until(
            lambda: len(commands) > 5 and commands[-1].twist.linear.x == 0.0, 5.0
        )
        self.assertTrue(stopped, 'the e-stop did not stop the robot')
        self.node.destroy_timer(timer)

        client = self.node.create_client(SetParameters, '/safety_node/set_parameters')
        self.assertTrue(client.wait_for_service(timeout_sec=5.0))
        bad = Parameter(
            name='command_timeout_s',
            value=ParameterValue(type=ParameterType.PARAMETER_DOUBLE, double_value=-1.0),
        )
        future = client.call_async(SetParameters.Request(parameters=[bad]))
        self.assertTrue(self.spin_until(future.done, 5.0))
        result = future.result().results[0]
        self.assertFalse(result.successful)
        self.assertIn('command_timeout_s', result.reason)
