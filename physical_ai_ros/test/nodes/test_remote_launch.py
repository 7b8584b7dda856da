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

"""launch_testing of the hybrid policy backend: the server dies and comes back, the robot drives.

policy_node runs with ``backend: hybrid`` against an Open Inference Protocol server that the
test starts on loopback (``physical-ai serve``'s own function), stops, and starts again. The
gate must keep publishing at its rate with the local model answering while the server is
gone, /diagnostics must say which backend answers, and the remote one must come back after
the breaker's backoff. Runs where ROS 2 and tritonclient are installed; skipped elsewhere.
"""

from __future__ import annotations

from pathlib import Path
import socket
import sys
import tempfile
import unittest

import pytest

pytest.importorskip('launch_testing', reason='launch_testing is not installed (no ROS 2 here)')
rclpy = pytest.importorskip('rclpy', reason='rclpy is not installed (no ROS 2 here)')
pytest.importorskip('tritonclient.grpc', reason='tritonclient[grpc] is not installed')

import launch  # noqa: E402, I100 (after the skips above)

sys.path.insert(0, str(Path(__file__).resolve().parent))  # launch_helpers
from launch_helpers import bringup_test_description, floor_cloud, spin_until, standing_odometry  # noqa: E402, I100
import numpy as np  # noqa: E402
import yaml  # noqa: E402

from physical_ai_ros.inference.server import start_server  # noqa: E402
from physical_ai_ros.policies.reference import SHIPPED  # noqa: E402

RATE_HZ = 50.0  # safety_node.rate_hz in mobile_base.yaml
BACKOFF_S = 1.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return int(s.getsockname()[1])


PORT = _free_port()


def hybrid_params() -> str:
    """mobile_base.yaml with policy_node on the hybrid backend against PORT."""
    import ament_index_python

    share = Path(ament_index_python.get_package_share_directory('physical_ai_ros'))
    data = yaml.safe_load((share / 'config' / 'mobile_base.yaml').read_text())
    data['policy_node']['ros__parameters'].update(
        backend='hybrid',
        remote={
            'endpoint': f'127.0.0.1:{PORT}', 'model_name': 'policy', 'timeout_ms': 30.0,
            'breaker_failures': 2, 'breaker_backoff_s': BACKOFF_S,
        },
    )  # fmt: skip
    path = Path(tempfile.mkdtemp()) / 'hybrid.yaml'
    path.write_text(yaml.safe_dump(data))
    return str(path)


@pytest.mark.launch_test
def generate_test_description() -> tuple[launch.LaunchDescription, dict]:
    return bringup_test_description(
        params_file=hybrid_params(),
        enable_camera='false',
        enable_iot='false',
    )


class TestHybridBackend(unittest.TestCase):
    """The server: up, gone, back; the gate: always publishing."""

    @classmethod
    def setUpClass(cls) -> None:
        from diagnostic_msgs.msg import DiagnosticArray
        from geometry_msgs.msg import TwistStamped
        from nav_msgs.msg import Odometry
        from sensor_msgs.msg import PointCloud2

        rclpy.init()
        cls.node = rclpy.create_node('hybrid_tester')
        cls.server = start_server(SHIPPED, port=PORT)[0]
        cloud = floor_cloud(0.6)
        cls.commands: list[tuple[int, float]] = []  # (gate stamp, linear.x)
        cls.backend: list[str] = []
        cls.node.create_subscription(
            TwistStamped, 'cmd_vel',
            lambda m: cls.commands.append(
                (m.header.stamp.sec * 10**9 + m.header.stamp.nanosec, m.twist.linear.x)
            ),
            100,
        )  # fmt: skip

        def diagnostics(msg: DiagnosticArray) -> None:
            for status in msg.status:
                if status.name.endswith('policy'):
                    values = {kv.key: kv.value for kv in status.values}
                    cls.backend.append(values.get('backend', '?'))

        cls.node.create_subscription(DiagnosticArray, '/diagnostics', diagnostics, 10)
        clouds = cls.node.create_publisher(PointCloud2, 'lidar/points', 1)
        odom = cls.node.create_publisher(Odometry, 'odom', 10)
        standing = standing_odometry()

        def publish() -> None:
            now = cls.node.get_clock().now()
            standing.header.stamp = cloud.header.stamp = now.to_msg()
            odom.publish(standing)
            clouds.publish(cloud)

        cls.timer = cls.node.create_timer(0.1, publish)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop(grace=None)
        cls.node.destroy_node()
        rclpy.shutdown()

    def spin_until(self, condition, timeout: float) -> bool:
        return spin_until(self.node, condition, timeout, 0.01)

    def assert_gate_kept_its_rate(self, since: int) -> None:
        stamps = np.array([s for s, _ in self.commands if s >= since], dtype=np.int64)
        rate = (len(stamps) - 1) / ((stamps[-1] - stamps[0]) / 1e9)
        gaps_ms = np.diff(stamps) / 1e6
        self.assertGreaterEqual(rate, 0.9 * RATE_HZ, f'gate at {rate:.1f} Hz')
        self.assertLessEqual(gaps_ms.max(), 3 * 1000 / RATE_HZ, f'gap {gaps_ms.max():.1f} ms')

    def moving(self) -> bool:
        return bool(self.commands) and self.commands[-1][1] > 0.3

    def test_1_remote_answers_then_local_while_the_server_is_gone_then_remote_again(
        self,
    ) -> None:
        self.assertTrue(self.spin_until(lambda: self.backend[-1:] == ['remote'], 60.0))
        self.assertTrue(self.spin_until(self.moving, 30.0), 'the robot never moved')
        # the server stops: the local model answers in the same control periods
        self.server.stop(grace=None)
        cut = self.node.get_clock().now().nanoseconds
        self.assertTrue(self.spin_until(lambda: self.backend[-1:] == ['local'], 5.0))
        self.spin_until(lambda: False, 3.0)
        self.assert_gate_kept_its_rate(cut)
        self.assertTrue(all(x > 0.3 for s, x in self.commands if s > cut + 2 * 10**8))
        # it comes back: after the breaker's backoff one probe brings the remote model back
        type(self).server = start_server(SHIPPED, port=PORT)[0]
        back = self.node.get_clock().now().nanoseconds
        self.assertTrue(self.spin_until(lambda: self.backend[-1:] == ['remote'], 5.0 + BACKOFF_S))
        self.assert_gate_kept_its_rate(back)
        self.assertTrue(self.moving())
