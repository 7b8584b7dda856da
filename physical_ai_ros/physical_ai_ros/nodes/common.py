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

"""What every node shares: lifecycle return values, throttled warnings, diagnostics."""

from __future__ import annotations

import time
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.lifecycle import LifecycleNode
from rclpy.qos import qos_profile_sensor_data, QoSProfile, ReliabilityPolicy

from physical_ai_ros.core.diagnostics import diagnostic_array
from physical_ai_ros.core.msgtypes import ImportedMessageTypes

TYPES = ImportedMessageTypes()
SENSOR_QOS = qos_profile_sensor_data
#: Grid and commands: keep only the newest, delivered reliably.
LATEST_RELIABLE = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)


def now_ns(node: LifecycleNode) -> int:
    """ROS time (sim time when use_sim_time is set) in nanoseconds."""
    return int(node.get_clock().now().nanoseconds)


_LAST_WARNING: dict[tuple[int, str], float] = {}


def warn(node: LifecycleNode, key: str, text: str, period_s: float = 5.0) -> None:
    """Log a warning at most once per ``period_s`` per node and key.

    Bad input is normal on a factory floor; a flood of one kind must not hide another.
    """
    slot = (id(node), key)
    now = time.monotonic()  # log throttling only: never reaches core
    if now - _LAST_WARNING.get(slot, -period_s) >= period_s:
        _LAST_WARNING[slot] = now
        node.get_logger().warning(text)


def diagnostics_publisher(node: LifecycleNode) -> Any:
    """Publisher of the absolute /diagnostics topic, as diagnostic_aggregator expects."""
    return node.create_publisher(DiagnosticArray, '/diagnostics', 10)


def publish_diagnostics(node: LifecycleNode, publisher: Any, statuses: list[Any]) -> None:
    """Publish statuses stamped with ROS time."""
    publisher.publish(diagnostic_array(TYPES, now_ns(node), statuses))
