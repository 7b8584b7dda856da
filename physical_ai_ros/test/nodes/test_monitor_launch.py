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


"""launch_testing of the collision monitor: a policy that drives at a wall is stopped by it.

The policy is the ``forward`` adversary (full speed ahead, whatever it sees), so nothing but
the monitor in ``safety_node`` stands between it and the obstacle; separate and composed. On
a floor the robot drives; a cloud with a wall inside the protective field (0.13 m ahead of the
footprint: inside it standing too, while the policy asks to go) makes the gate brake within a
gate period of the cloud's arrival; with ``perception_node`` killed the monitor still names
the obstacle; a silent lidar is a stop with its reason. Runs where ROS 2 is installed and the
workspace sourced (``launch_test`` on this file, or ``colcon test``); skipped elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path
import signal
import sys
import tempfile
import unittest

import pytest

pytest.importorskip('launch_testing', reason='launch_testing is not installed (no ROS 2 here)')
rclpy = pytest.importorskip('rclpy', reason='rclpy is not installed (no ROS 2 here)')
pytest.importorskip('onnx', reason='onnx builds the adversarial policy (the test extra)')

import launch  # noqa: E402, I100 (after the skips above)
import launch_testing  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # launch_helpers
from launch_helpers import (  # noqa: E402, I100
    bringup_test_description,
    floor_cloud,
    pids_of,
    spin_until,
    standing_odometry,
)
import numpy as np  # noqa: E402

from physical_ai_ros.core.messages.msgtypes import ImportedMessageTypes  # noqa: E402
from physical_ai_ros.core.messages.pointcloud import array_to_cloud, cloud_to_array  # noqa: E402
from physical_ai_ros.core.messages.stamps import make_header, ns_to_stamp  # noqa: E402
from physical_ai_ros.policies.adversarial import write_adversary  # noqa: E402

PERIOD_MS = 20.0  # safety_node.rate_hz 50 in mobile_base.yaml
LIDAR_HEIGHT = 0.6  # the lidar's extrinsic z in mobile_base.yaml
MODEL = Path(tempfile.mkdtemp(prefix='monitor_launch_')) / 'forward.onnx'


@pytest.mark.launch_test
@launch_testing.parametrize('composed', ['false', 'true'])
def generate_test_description(composed: str) -> tuple[launch.LaunchDescription, dict]:
    write_adversary('forward', MODEL)
    return bringup_test_description(
        enable_camera='false',
        enable_iot='false',
        dds_profile='cyclonedds',
        model=str(MODEL),
        composed=composed,
    )


def wall_cloud(ahead: float) -> object:
    """The floor, and a wall ``ahead`` m in front of the base (0.1 to 1.0 m high, 1.2 m wide)."""
    types = ImportedMessageTypes()
    floor = floor_cloud(LIDAR_HEIGHT)
    ys, zs = np.meshgrid(np.arange(-0.6, 0.6, 0.02), np.arange(0.1, 1.0, 0.05))
    wall = np.zeros(ys.size, dtype=[('x', '<f4'), ('y', '<f4'), ('z', '<f4')])
    wall['x'], wall['y'] = ahead - 0.2, ys.ravel()  # the lidar sits 0.2 m ahead of the base
    wall['z'] = zs.ravel() - LIDAR_HEIGHT
    points = np.concatenate([cloud_to_array(floor).astype(wall.dtype), wall])
    return array_to_cloud(points, make_header(0, 'lidar_link', types), types)


class TestMonitorLive(unittest.TestCase):
    """A forward-only policy, a wall, a dead perception node, a silent lidar: in this order."""

    @classmethod
    def setUpClass(cls) -> None:
        from diagnostic_msgs.msg import DiagnosticArray
        from geometry_msgs.msg import TwistStamped
        from nav_msgs.msg import Odometry
        from sensor_msgs.msg import PointCloud2

        rclpy.init()
        cls.node = rclpy.create_node('monitor_tester')
        cls.types = ImportedMessageTypes()
        cls.clouds = {'floor': floor_cloud(LIDAR_HEIGHT), 'wall': wall_cloud(0.45)}
        cls.showing = 'floor'
        cls.published: dict[str, int] = {}  # kind -> first publish time of the current kind
        cls.commands: list[tuple[int, float]] = []  # (gate stamp, linear.x)
        cls.safety: list[str] = []  # the gate's /diagnostics messages
        cls.node.create_subscription(
            TwistStamped, 'cmd_vel',
            lambda m: cls.commands.append(
                (m.header.stamp.sec * 10**9 + m.header.stamp.nanosec, m.twist.linear.x)
            ),
            100,
        )  # fmt: skip

        def on_diagnostics(msg: DiagnosticArray) -> None:
            cls.safety += [s.message for s in msg.status if s.name.endswith('safety')]

        cls.node.create_subscription(DiagnosticArray, '/diagnostics', on_diagnostics, 10)
        cloud_pub = cls.node.create_publisher(PointCloud2, 'lidar/points', 1)
        odom = cls.node.create_publisher(Odometry, 'odom', 10)
        standing = standing_odometry()

        def publish() -> None:
            now = cls.node.get_clock().now()
            standing.header.stamp = now.to_msg()
            odom.publish(standing)
            if cls.showing == 'silent':
                return
            cloud = cls.clouds[cls.showing]
            cloud.header.stamp = ns_to_stamp(now.nanoseconds, cls.types)
            cls.published.setdefault(cls.showing, now.nanoseconds)
            cloud_pub.publish(cloud)

        cls.timer = cls.node.create_timer(0.1, publish)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.node.destroy_node()
        rclpy.shutdown()

    def spin_until(self, condition, timeout: float) -> bool:
        return spin_until(self.node, condition, timeout, 0.005)

    def show(self, kind: str) -> None:
        type(self).showing = kind
        self.published.pop(kind, None)

    def test_1_the_forward_policy_drives_on_a_free_floor(self) -> None:
        import hashlib

        from physical_ai_ros_interfaces.msg import PolicyStatus

        self.assertTrue(
            self.spin_until(lambda: bool(self.commands) and self.commands[-1][1] > 0.5, 60.0),
            f'the robot never drove: {self.safety[-1:] or "no diagnostics"}',
        )
        # model:= reaches policy_node in both modes (composed once kept the params file's)
        statuses: list[PolicyStatus] = []
        self.node.create_subscription(PolicyStatus, 'policy/status', statuses.append, 10)
        self.assertTrue(self.spin_until(lambda: bool(statuses), 10.0))
        expected = hashlib.sha256(MODEL.read_bytes()).hexdigest()
        self.assertEqual(statuses[-1].model_sha256, expected)

    def test_2_a_wall_in_the_field_brakes_within_a_gate_period(self) -> None:
        self.assertTrue(self.spin_until(lambda: self.commands[-1][1] > 0.5, 30.0))
        self.show('wall')
        self.assertTrue(self.spin_until(lambda: 'wall' in self.published, 1.0))
        sent = self.published['wall']
        before = [x for stamp, x in self.commands if stamp <= sent]
        self.assertTrue(self.spin_until(lambda: self.commands[-1][1] == 0.0, 5.0),
                        f'still commanding {self.commands[-1][1]} before a wall')  # fmt: skip
        after = [(stamp, x) for stamp, x in self.commands if stamp > sent]
        braking = next(stamp for stamp, x in after if x < before[-1] - 1e-6)
        delay_ms = (braking - sent) / 1e6
        print(f'wall cloud published -> first braking command: {delay_ms:.1f} ms')
        # transport of the cloud (~5-15 ms measured by bench/live.py) and one gate period
        self.assertLess(delay_ms, 40.0 + PERIOD_MS)
        # braking at max_decel (1.5 m/s2), not faster: stop_mode decelerate
        self.assertGreater(after[0][1], before[-1] - 1.5 * 0.03 - 1e-6)
        self.assertTrue(self.spin_until(
            lambda: any('obstacle in a protective zone (protective_field' in m
                        for m in self.safety[-2:]), 3.0), self.safety[-2:])  # fmt: skip

    def test_3_with_perception_killed_the_monitor_still_names_the_wall(
        self, composed: str
    ) -> None:
        if composed == 'true':  # one process: perception cannot die alone
            self.skipTest('composed: perception_node shares the process with the gate')
        pids = pids_of(b'perception_node')
        self.assertTrue(pids, 'no perception_node process')
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        self.safety.clear()
        self.assertTrue(self.spin_until(
            lambda: any('obstacle in a protective zone' in m for m in self.safety), 5.0),
            self.safety[-2:])  # fmt: skip
        self.assertTrue(all(x == 0.0 for _, x in self.commands[-10:]))

    def test_4_a_silent_lidar_is_a_stop_with_its_reason(self) -> None:
        self.show('silent')
        self.safety.clear()
        self.assertTrue(self.spin_until(
            lambda: any('safety sensor silent or blind (lidar: silent' in m
                        for m in self.safety), 5.0), self.safety[-2:])  # fmt: skip
        self.assertTrue(all(x == 0.0 for _, x in self.commands[-10:]))
