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

"""physical_ai_node: perception, policy and safety in one process.

The three stay separate nodes (their own names, parameters and lifecycles), so a params file
and remappings work unchanged. Perception and policy share an executor (the policy steps
right after perception publishes a grid); the gate has an executor in a thread of its own,
so its timer and the e-stop never wait for perception to finish a cloud; that thread runs
under SCHED_FIFO at safety_node's ``thread_priority`` where allowed, so the OS wakes it on
time however busy both cores are; and Python hands the interpreter lock between threads
every millisecond instead of every five, so the gate's thread gets it promptly while
perception works.
"""

from __future__ import annotations

import argparse
import sys

from rclpy.utilities import remove_ros_args

from physical_ai_ros.nodes.common import spin, StageNode
from physical_ai_ros.nodes.perception_node import PerceptionNode
from physical_ai_ros.nodes.policy_node import PolicyNode
from physical_ai_ros.nodes.safety_node import SafetyNode


def main(args: list[str] | None = None) -> None:
    """Run the three nodes until shutdown; configure and activate them unless told not to."""
    parser = argparse.ArgumentParser(prog='physical_ai_node')
    parser.add_argument('--no-autostart', action='store_true', help='leave the nodes unconfigured')
    options = parser.parse_args(remove_ros_args(args if args is not None else sys.argv)[1:])

    def autostart(nodes: list[StageNode]) -> None:
        if not options.no_autostart:
            for node in nodes:
                node.trigger_configure()
                node.trigger_activate()

    sys.setswitchinterval(0.001)
    spin([[PerceptionNode, PolicyNode], [SafetyNode]], args, ready=autostart)
