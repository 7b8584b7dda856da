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

"""launch_testing: ``dds_profile:=cyclonedds`` applies to the whole launch, merged with the site's.

The shell's ``CYCLONEDDS_URI`` here moves discovery to other ports (base 7600, not 7400): a
launch process and nodes that read different settings cannot find each other, and the
lifecycle autostart leaves the nodes unconfigured. With the profile applied to the launch
process too, and the site's settings kept after it, every node comes up active. Runs where
ROS 2 and rmw_cyclonedds_cpp are installed (``launch_test`` on this file); skipped elsewhere.
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
from launch_helpers import bringup_test_description, pids_of, spin_until  # noqa: E402, I100

#: the site's own setting, as a shell would export it: discovery on other ports
SITE = (
    '<CycloneDDS><Domain><Discovery><Ports><Base>7600</Base></Ports></Discovery></Domain>'
    '</CycloneDDS>'
)
NODES = ('perception_node', 'policy_node', 'safety_node')


@pytest.mark.launch_test
def generate_test_description() -> tuple[launch.LaunchDescription, dict]:
    os.environ['CYCLONEDDS_URI'] = SITE  # before any ROS context of this process exists
    return bringup_test_description(
        enable_camera='false',
        enable_iot='false',
        dds_profile='cyclonedds',
    )


class TestDdsProfile(unittest.TestCase):
    """The nodes' lifecycle states, and the settings each process was started with."""

    @classmethod
    def setUpClass(cls) -> None:
        rclpy.init()
        cls.node = rclpy.create_node('dds_profile_tester')

    @classmethod
    def tearDownClass(cls) -> None:
        cls.node.destroy_node()
        rclpy.shutdown()

    def test_every_node_is_active_with_the_profile_and_the_site_settings(self) -> None:
        from lifecycle_msgs.msg import State
        from lifecycle_msgs.srv import GetState

        if rclpy.get_rmw_implementation_identifier() != 'rmw_cyclonedds_cpp':
            self.skipTest('needs RMW_IMPLEMENTATION=rmw_cyclonedds_cpp')
        for name in NODES:
            client = self.node.create_client(GetState, f'/{name}/get_state')
            self.assertTrue(client.wait_for_service(timeout_sec=30.0), f'{name}: no service')
            state: list[int] = []

            def active(client=client, state=state) -> bool:
                future = client.call_async(GetState.Request())
                spin_until(self.node, future.done, 2.0, 0.05)
                state[:] = [future.result().current_state.id] if future.done() else []
                return state == [State.PRIMARY_STATE_ACTIVE]

            self.assertTrue(spin_until(self.node, active, 30.0, 0.2), f'{name}: state {state}')
        for name in NODES:
            (pid,) = pids_of(name.encode())
            environ = Path(f'/proc/{pid}/environ').read_bytes().split(b'\0')
            uri = next(v for v in environ if v.startswith(b'CYCLONEDDS_URI=')).decode()
            profile, site = uri.split('=', 1)[1].split(',', 1)
            self.assertTrue(profile.endswith('/config/cyclonedds.xml'), uri)
            self.assertEqual(site, SITE)  # kept, after the profile: its values win
