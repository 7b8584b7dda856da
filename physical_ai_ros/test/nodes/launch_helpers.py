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

"""What the launch tests share: spinning until a condition holds, a robot standing on a floor.

The launch tests import it by name (``launch_test`` loads a test file by path, so each puts
this folder on ``sys.path`` first). It needs rclpy: only the launch tests import it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
import time
from typing import Any

import launch
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch_ros.substitutions import FindPackageShare
import launch_testing.actions
import rclpy


def spin_until(node: Any, condition: Callable[[], bool], timeout: float, step: float) -> bool:
    """Spin ``node`` (``step`` s at a time) until ``condition()`` holds or ``timeout`` passes."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        rclpy.spin_once(node, timeout_sec=step)
        if condition():
            return True
    return False


def standing_odometry() -> Any:
    """nav_msgs/Odometry of a robot at the origin, not moving (stamp it before publishing).

    use_odometry is on in the shipped params: without odometry the grid is not updated.
    """
    from nav_msgs.msg import Odometry

    standing = Odometry()
    standing.header.frame_id, standing.child_frame_id = 'odom', 'base_link'
    standing.pose.pose.orientation.w = 1.0
    return standing


def floor_cloud(below: float, stamp_ns: int = 0) -> Any:
    """sensor_msgs/PointCloud2 of a 10 m x 10 m floor ``below`` m under the lidar, 0.1 m apart."""
    import numpy as np

    from physical_ai_ros.core.messages.msgtypes import ImportedMessageTypes
    from physical_ai_ros.core.messages.pointcloud import array_to_cloud
    from physical_ai_ros.core.messages.stamps import make_header

    types = ImportedMessageTypes()
    xs, ys = np.meshgrid(np.arange(-5, 5, 0.1), np.arange(-5, 5, 0.1))
    points = np.zeros(xs.size, dtype=[('x', '<f4'), ('y', '<f4'), ('z', '<f4')])
    points['x'], points['y'], points['z'] = xs.ravel(), ys.ravel(), -below
    return array_to_cloud(points, make_header(stamp_ns, 'lidar_link', types), types)


def pids_of(executable: bytes) -> list[int]:
    """The process ids running ``executable`` (a node's console script)."""
    pids = []
    for entry in Path('/proc').iterdir():
        try:
            argv = (entry / 'cmdline').read_bytes().split(b'\0')
        except OSError:
            continue
        if any(arg.endswith(b'/' + executable) for arg in argv[:2]):
            pids.append(int(entry.name))
    return pids


def bringup_test_description(**arguments: str) -> tuple[launch.LaunchDescription, dict]:
    """``bringup_launch.py`` with ``arguments``, then ReadyToTest: a launch test's description."""
    bringup = launch.actions.IncludeLaunchDescription(
        PythonLaunchDescriptionSource(
            launch.substitutions.PathJoinSubstitution(
                [FindPackageShare('physical_ai_ros'), 'launch', 'bringup_launch.py']
            )
        ),
        launch_arguments=arguments.items(),
    )
    return launch.LaunchDescription([bringup, launch_testing.actions.ReadyToTest()]), {}
