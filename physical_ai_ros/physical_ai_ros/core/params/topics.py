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

"""The topics the pipeline reads, as the parameters configure them, and those it writes.

One list for every place that needs it: replay routes bag topics by it, ``replay_launch.py``
plays only the inputs of a bag (its recorded outputs would collide with what the nodes
publish again) and records the outputs, and replay's unused-topic warning hints at remaps
from it and leaves out a recording's own outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Role = Literal[
    'cloud', 'image', 'camera_info', 'iot', 'odom', 'joint_states', 'estop', 'tf_static'
]


@dataclass(frozen=True)
class InputTopic:
    """One subscribed topic.

    Attributes:
        relative: node-relative name (``lidar/points``), resolved in the nodes' namespace.
        role: what it feeds.
        source: the configured sensor name it belongs to ('' for shared topics).
        msgtype: its ROS message type.
    """

    relative: str
    role: Role
    source: str
    msgtype: str


#: Everything the nodes publish (node-relative, /diagnostics absolute), whatever the params.
OUTPUT_TOPICS = (
    'grid',
    'monitor/field',
    'occupancy',
    'grid_cloud',
    'iot/features',
    'policy/command',
    'policy/status',
    'cmd_vel',
    'commands',
    'joint_trajectory',
    '/diagnostics',
)


def input_topics(perception: Mapping[str, Any]) -> tuple[InputTopic, ...]:
    """Every input topic of the pipeline for resolved ``perception_node`` parameters."""
    topics: list[InputTopic] = []
    if perception['lidar.enabled']:
        topics += [
            InputTopic(f'{name}/points', 'cloud', name, 'sensor_msgs/msg/PointCloud2')
            for name in perception['lidar.names']
        ]
    compressed = bool(perception['camera.compressed'])
    suffix = 'image_raw/compressed' if compressed else 'image_raw'
    image_type = 'sensor_msgs/msg/CompressedImage' if compressed else 'sensor_msgs/msg/Image'
    for name in perception['camera.names']:
        topics.append(InputTopic(f'{name}/{suffix}', 'image', name, image_type))
        topics.append(
            InputTopic(f'{name}/camera_info', 'camera_info', name, 'sensor_msgs/msg/CameraInfo')
        )
    iot_type = 'physical_ai_ros_interfaces/msg/IotReading'
    topics.append(InputTopic('iot/readings', 'iot', '', iot_type))
    topics += [
        InputTopic(f'iot/{sensor}', 'iot', sensor, iot_type)
        for sensor in perception['iot.sensor_ids']
    ]
    topics += [
        InputTopic('odom', 'odom', 'odom', 'nav_msgs/msg/Odometry'),
        InputTopic('joint_states', 'joint_states', 'joint_states', 'sensor_msgs/msg/JointState'),
        InputTopic('estop', 'estop', 'estop', 'std_msgs/msg/Bool'),
        InputTopic('tf_static', 'tf_static', 'tf_static', 'tf2_msgs/msg/TFMessage'),
    ]
    return tuple(topics)


__all__ = ['OUTPUT_TOPICS', 'InputTopic', 'Role', 'input_topics']
