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

"""physical_ai_node: perception, policy and safety in one process, on one executor.

Saves the grid's serialisation between processes; the three stay separate nodes (their own
names, parameters and lifecycles), so a params file and remappings work unchanged.
"""

from __future__ import annotations

import argparse
import sys

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.utilities import remove_ros_args

from physical_ai_ros.nodes.perception_node import PerceptionNode
from physical_ai_ros.nodes.policy_node import PolicyNode
from physical_ai_ros.nodes.safety_node import SafetyNode


def main(args: list[str] | None = None) -> None:
    """Run the three nodes until shutdown; configure and activate them unless told not to."""
    rclpy.init(args=args)
    parser = argparse.ArgumentParser(prog='physical_ai_node')
    parser.add_argument('--no-autostart', action='store_true', help='leave the nodes unconfigured')
    options = parser.parse_args(remove_ros_args(args if args is not None else sys.argv)[1:])
    nodes = [SafetyNode(), PerceptionNode(), PolicyNode()]
    executor = SingleThreadedExecutor()
    for node in nodes:
        executor.add_node(node)
    if not options.no_autostart:
        for node in nodes:
            node.trigger_configure()
            node.trigger_activate()
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        for node in nodes:
            node.destroy_node()
        rclpy.try_shutdown()
