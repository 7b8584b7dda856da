"""What every node shares: lifecycle return values, throttled warnings, diagnostics."""

from __future__ import annotations

import time
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.lifecycle import LifecycleNode
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data

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
