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

"""launch_testing of a namespaced bringup, separate and composed: the params file applies.

``namespace:=robot1`` makes the nodes ``/robot1/perception_node`` ...; the shipped params file
is keyed ``perception_node:``, which rcl would not match to them, so bringup rewrites its keys
for any namespace. Here the nodes must report the file's values (not their defaults) and
the robot must drive on ``/robot1/cmd_vel`` from clouds on ``/robot1/lidar/points``: with
the defaults the lidar has no extrinsics and no TF, so it never would. Runs where ROS 2 is
installed and the workspace sourced (``launch_test`` on this file); skipped elsewhere.
"""

from __future__ import annotations

from pathlib import Path
import sys
import unittest

import pytest

pytest.importorskip('launch_testing', reason='launch_testing is not installed (no ROS 2 here)')
rclpy = pytest.importorskip('rclpy', reason='rclpy is not installed (no ROS 2 here)')

import launch  # noqa: E402, I100 (after the skips above)
import launch_testing  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # launch_helpers
from launch_helpers import bringup_test_description, floor_cloud, spin_until, standing_odometry  # noqa: E402, I100

from physical_ai_ros.core.messages.msgtypes import ImportedMessageTypes  # noqa: E402
from physical_ai_ros.core.messages.stamps import ns_to_stamp  # noqa: E402

NAMESPACE = 'robot1'
FILE_EXTRINSICS = [0.2, 0.0, 0.6, 0.0, 0.0, 0.0]  # perception_node lidar.extrinsics there


@pytest.mark.launch_test
@launch_testing.parametrize('composed', ['false', 'true'])
def generate_test_description(composed: str) -> tuple[launch.LaunchDescription, dict]:
    return bringup_test_description(
        namespace=NAMESPACE,
        composed=composed,
        enable_camera='false',
        enable_iot='false',
    )


class TestNamespacedBringup(unittest.TestCase):
    """The namespaced nodes run on the params file and drive the namespaced robot."""

    @classmethod
    def setUpClass(cls) -> None:
        from geometry_msgs.msg import TwistStamped
        from nav_msgs.msg import Odometry
        from sensor_msgs.msg import PointCloud2

        rclpy.init()
        cls.node = rclpy.create_node('namespace_tester')
        types = ImportedMessageTypes()
        cloud, standing = floor_cloud(0.6), standing_odometry()  # the file: lidar 0.6 m up
        cls.commands: dict[str, list[float]] = {'namespaced': [], 'global': []}
        for key, topic in (('namespaced', f'/{NAMESPACE}/cmd_vel'), ('global', '/cmd_vel')):
            cls.node.create_subscription(
                TwistStamped, topic, lambda m, k=key: cls.commands[k].append(m.twist.linear.x), 50
            )
        clouds = cls.node.create_publisher(PointCloud2, f'/{NAMESPACE}/lidar/points', 1)
        odometry = cls.node.create_publisher(Odometry, f'/{NAMESPACE}/odom', 10)

        def publish() -> None:
            now = cls.node.get_clock().now()
            standing.header.stamp = now.to_msg()
            odometry.publish(standing)
            cloud.header.stamp = ns_to_stamp(now.nanoseconds, types)
            clouds.publish(cloud)

        cls.timer = cls.node.create_timer(0.1, publish)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.node.destroy_node()
        rclpy.shutdown()

    def test_1_the_nodes_report_the_params_files_values(self) -> None:
        from rcl_interfaces.srv import GetParameters

        client = self.node.create_client(
            GetParameters, f'/{NAMESPACE}/perception_node/get_parameters'
        )
        self.assertTrue(client.wait_for_service(timeout_sec=30.0), 'no /robot1/perception_node')
        future = client.call_async(GetParameters.Request(names=['lidar.extrinsics']))
        self.assertTrue(spin_until(self.node, future.done, 10.0, 0.05))
        value = list(future.result().values[0].double_array_value)
        self.assertEqual(value, FILE_EXTRINSICS)  # the default is [] (from TF)

    def test_2_the_namespaced_robot_drives(self) -> None:
        moving = spin_until(
            self.node, lambda: any(x > 0.3 for x in self.commands['namespaced'][-5:]), 60.0, 0.05
        )
        self.assertTrue(moving, f'/{NAMESPACE}/cmd_vel: {self.commands["namespaced"][-5:]}')
        self.assertEqual(self.commands['global'], [])  # nothing outside the namespace
