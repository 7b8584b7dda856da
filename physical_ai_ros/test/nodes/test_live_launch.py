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

"""launch_testing of the live graph under load: the gate's rate, a lowered limit, a blind lidar.

Big clouds (64x2048, 4.2 MB) at 10 Hz load perception while the gate must keep publishing; a
lowered ``max_velocity`` must show in the next command; a lidar that returns only NaN must
stop the robot; the gate's /diagnostics say how the kernel schedules its thread (SCHED_FIFO
at ``thread_priority`` where that is allowed). Runs where ROS 2 is installed and the
workspace sourced (``launch_test`` on this file, or ``colcon test``); skipped elsewhere. The
bounds are generous: they catch a starved gate or an ignored parameter, not a slow machine
(``bench/live.py`` measures).
"""

from __future__ import annotations

import os
from pathlib import Path
import sys
import unittest

import pytest

pytest.importorskip('launch_testing', reason='launch_testing is not installed (no ROS 2 here)')
rclpy = pytest.importorskip('rclpy', reason='rclpy is not installed (no ROS 2 here)')

import launch  # noqa: E402, I100 (after the skips above)

sys.path.insert(0, str(Path(__file__).resolve().parent))  # launch_helpers
from launch_helpers import bringup_test_description, spin_until, standing_odometry  # noqa: E402, I100
import numpy as np  # noqa: E402

from physical_ai_ros.core.messages.msgtypes import ImportedMessageTypes  # noqa: E402
from physical_ai_ros.core.messages.pointcloud import array_to_cloud  # noqa: E402
from physical_ai_ros.core.messages.stamps import make_header, ns_to_stamp  # noqa: E402

RATE_HZ = 50.0  # safety_node.rate_hz in mobile_base.yaml


@pytest.mark.launch_test
def generate_test_description() -> tuple[launch.LaunchDescription, dict]:
    return bringup_test_description(
        enable_camera='false',
        enable_iot='false',
        dds_profile='cyclonedds',
    )


def big_cloud(types: ImportedMessageTypes, nan: bool = False) -> object:
    """A 64x2048 organized cloud of a floor 0.6 m below the lidar (or all NaN)."""
    elevation = np.radians(np.linspace(-2.0, -25.0, 64))[:, None]
    azimuth = np.linspace(-np.pi, np.pi, 2048, endpoint=False)[None, :]
    distance = 0.6 / np.sin(-elevation) * np.ones_like(azimuth)
    points = np.zeros((64, 2048), dtype=[('x', '<f4'), ('y', '<f4'), ('z', '<f4'), ('i', '<f4')])
    points['x'] = distance * np.cos(elevation) * np.cos(azimuth)
    points['y'] = distance * np.cos(elevation) * np.sin(azimuth)
    points['z'] = -0.6
    points['i'] = 100.0
    if nan:
        for axis in 'xyz':
            points[axis] = np.nan
    return array_to_cloud(points, make_header(0, 'lidar_link', types), types)


def safety_node_pids() -> list[int]:
    """The process ids of the running safety_node executables."""
    pids = []
    for entry in Path('/proc').iterdir():
        try:
            argv = (entry / 'cmdline').read_bytes().split(b'\0')
        except OSError:  # not a process, or it ended
            continue
        if any(arg.endswith(b'/safety_node') for arg in argv[:2]):  # the script, or python's
            pids.append(int(entry.name))
    return pids


class TestLiveGraph(unittest.TestCase):
    """The gate under load, a lowered speed limit, a blind lidar: in this order."""

    @classmethod
    def setUpClass(cls) -> None:
        from geometry_msgs.msg import TwistStamped
        from nav_msgs.msg import Odometry
        from sensor_msgs.msg import PointCloud2

        rclpy.init()
        cls.node = rclpy.create_node('live_tester')
        cls.types = ImportedMessageTypes()
        cls.clouds = {False: big_cloud(cls.types), True: big_cloud(cls.types, nan=True)}
        cls.blind = False
        cls.commands: list[tuple[int, float]] = []  # (gate stamp, linear.x)
        cls.node.create_subscription(
            TwistStamped,
            'cmd_vel',
            lambda m: cls.commands.append(
                (m.header.stamp.sec * 10**9 + m.header.stamp.nanosec, m.twist.linear.x)
            ),
            100,
        )
        publisher = cls.node.create_publisher(PointCloud2, 'lidar/points', 1)
        odom = cls.node.create_publisher(Odometry, 'odom', 10)
        standing = standing_odometry()

        def publish() -> None:
            now = cls.node.get_clock().now()
            standing.header.stamp = now.to_msg()  # use_odometry is on: the grid needs it
            odom.publish(standing)
            cloud = cls.clouds[cls.blind]
            cloud.header.stamp = ns_to_stamp(now.nanoseconds, cls.types)
            publisher.publish(cloud)

        cls.timer = cls.node.create_timer(0.1, publish)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.node.destroy_node()
        rclpy.shutdown()

    def spin_until(self, condition, timeout: float) -> bool:
        return spin_until(self.node, condition, timeout, 0.01)

    def spin_for(self, seconds: float) -> None:
        self.spin_until(lambda: False, seconds)

    def test_1_gate_keeps_its_rate_while_perception_is_loaded(self) -> None:
        moving = self.spin_until(lambda: any(x > 0.3 for _, x in self.commands[-5:]), 60.0)
        self.assertTrue(moving, 'the robot never moved on the floor clouds')
        self.commands.clear()
        self.spin_for(5.0)
        stamps = np.array([s for s, _ in self.commands], dtype=np.int64)
        gaps_ms = np.diff(stamps) / 1e6
        rate = (len(stamps) - 1) / ((stamps[-1] - stamps[0]) / 1e9)
        self.assertGreaterEqual(rate, 0.9 * RATE_HZ, f'gate at {rate:.1f} Hz')
        self.assertLessEqual(gaps_ms.max(), 3 * 1000 / RATE_HZ, f'largest gap {gaps_ms.max()} ms')

    def test_2_a_lowered_max_velocity_shows_in_the_next_command(self) -> None:
        from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
        from rcl_interfaces.srv import SetParameters

        self.assertTrue(self.spin_until(lambda: self.commands[-1][1] > 0.5, 30.0))
        before = self.commands[-1][1]
        client = self.node.create_client(SetParameters, '/safety_node/set_parameters')
        self.assertTrue(client.wait_for_service(timeout_sec=5.0))
        value = ParameterValue(
            type=ParameterType.PARAMETER_DOUBLE_ARRAY, double_array_value=[0.3, 1.0]
        )
        future = client.call_async(
            SetParameters.Request(parameters=[Parameter(name='max_velocity', value=value)])
        )
        self.assertTrue(self.spin_until(future.done, 5.0))
        self.assertTrue(future.result().results[0].successful, future.result().results[0])
        answered = self.node.get_clock().now().nanoseconds
        # the gate's next output (within one period and the time to get here) is lower
        self.assertTrue(self.spin_until(lambda: self.commands[-1][0] > answered, 1.0))
        later = [x for stamp, x in self.commands if stamp > answered]
        self.assertLess(later[0], before)
        # and the speed reaches the new limit at max_decel (1.5 m/s2), not at once
        reach_s = (before - 0.3) / 1.5
        self.assertTrue(self.spin_until(lambda: self.commands[-1][1] <= 0.3 + 1e-6, reach_s + 1))
        self.assertGreater(later[0], 0.3)

    def test_3_the_gate_says_how_its_thread_is_scheduled_and_it_is_true(self) -> None:
        from diagnostic_msgs.msg import DiagnosticArray

        said: list[str] = []

        def on_diagnostics(msg: DiagnosticArray) -> None:
            for status in msg.status:
                if status.name.endswith('safety'):
                    said.extend(kv.value for kv in status.values if kv.key == 'scheduling')

        subscription = self.node.create_subscription(
            DiagnosticArray, '/diagnostics', on_diagnostics, 10
        )
        self.assertTrue(self.spin_until(lambda: bool(said), 5.0), 'no scheduling in diagnostics')
        self.node.destroy_subscription(subscription)
        policies = {  # the kernel's word: the scheduling policy of every safety_node thread
            os.sched_getscheduler(int(task.name))
            for pid in safety_node_pids()
            for task in Path(f'/proc/{pid}/task').iterdir()
        }
        self.assertTrue(policies, 'no safety_node process found')
        if said[-1] == 'SCHED_FIFO 50':  # thread_priority's default
            self.assertIn(os.SCHED_FIFO, policies)
        else:  # not allowed here: the node says so and runs normally
            self.assertTrue(said[-1].startswith('normal (SCHED_FIFO 50 refused'), said[-1])
            self.assertNotIn(os.SCHED_FIFO, policies)

    def test_4_a_lidar_that_returns_only_nan_stops_the_robot(self) -> None:
        self.assertTrue(self.spin_until(lambda: self.commands[-1][1] > 0.2, 30.0))
        type(self).blind = True
        stopped = self.spin_until(lambda: self.commands[-1][1] == 0.0, 5.0)
        self.assertTrue(stopped, f'still commanding {self.commands[-1][1]} on NaN clouds')
