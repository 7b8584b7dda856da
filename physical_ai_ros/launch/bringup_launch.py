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

"""Bring up physical_ai_ros: perception, policy and safety gate, as three nodes or one process.

ros2 launch physical_ai_ros bringup_launch.py params_file:=my_robot.yaml model:=policy.onnx
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchContext, LaunchDescription
from launch.actions import (
    DeclareLaunchArgument,
    EmitEvent,
    GroupAction,
    OpaqueFunction,
    RegisterEventHandler,
)
from launch.events import matches_action
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import LifecycleNode, Node, PushRosNamespace, SetParameter
from launch_ros.event_handlers import OnStateTransition
from launch_ros.events.lifecycle import ChangeState
from lifecycle_msgs.msg import Transition

NODES = ('safety_node', 'perception_node', 'policy_node')


def _truthy(context: LaunchContext, name: str) -> bool:
    return LaunchConfiguration(name).perform(context).lower() in ('true', '1', 'yes')


def _autostart(node: LifecycleNode) -> list:
    """Configure the node, then activate it once it is inactive."""
    configure = EmitEvent(
        event=ChangeState(
            lifecycle_node_matcher=matches_action(node),
            transition_id=Transition.TRANSITION_CONFIGURE,
        )
    )
    activate = RegisterEventHandler(
        OnStateTransition(
            target_lifecycle_node=node,
            goal_state='inactive',
            handle_once=True,  # only after the first configure, not after every deactivate
            entities=[
                EmitEvent(
                    event=ChangeState(
                        lifecycle_node_matcher=matches_action(node),
                        transition_id=Transition.TRANSITION_ACTIVATE,
                    )
                )
            ],
        )
    )
    return [activate, configure]


def _nodes(context: LaunchContext) -> list:
    params_file = LaunchConfiguration('params_file').perform(context)
    model = LaunchConfiguration('model').perform(context)
    enclave = LaunchConfiguration('enclave').perform(context)
    log_level = LaunchConfiguration('log_level').perform(context)
    overrides = [
        {'lidar.enabled': _truthy(context, 'enable_lidar')},
        {'camera.enabled': _truthy(context, 'enable_camera')},
        {'iot.enabled': _truthy(context, 'enable_iot')},
    ]
    if model:
        overrides.append({'model_path': model})
    ros_arguments = ['--log-level', log_level] + (['--enclave', enclave] if enclave else [])
    autostart = _truthy(context, 'autostart')
    if _truthy(context, 'composed'):
        return [
            Node(
                package='physical_ai_ros',
                executable='physical_ai_node',
                # no name: a node-name remap would rename all three nodes of the process
                output='screen',
                parameters=[params_file, *overrides],
                arguments=[] if autostart else ['--no-autostart'],
                ros_arguments=ros_arguments,
            )
        ]
    actions = []
    for name in NODES:
        node = LifecycleNode(
            package='physical_ai_ros',
            executable=name,
            name=name,
            namespace='',
            output='screen',
            parameters=[params_file, *overrides],
            ros_arguments=ros_arguments,
        )
        actions.append(node)
        if autostart:
            actions.extend(_autostart(node))
    return actions


def generate_launch_description() -> LaunchDescription:
    """Arguments, then the nodes inside the namespace, on sim time when asked."""
    share = get_package_share_directory('physical_ai_ros')
    arguments = [
        DeclareLaunchArgument(
            'namespace', default_value='', description='Namespace of every node and topic'
        ),
        DeclareLaunchArgument(
            'params_file',
            default_value=os.path.join(share, 'config', 'mobile_base.yaml'),
            description='ROS params file for all nodes (check it with physical-ai check-config)',
        ),
        DeclareLaunchArgument(
            'model',
            default_value='',
            description='ONNX policy, overriding policy_node.model_path ("": keep the file)',
        ),
        DeclareLaunchArgument(
            'use_sim_time',
            default_value='false',
            description='Use /clock (bag play, simulation) instead of wall time',
        ),
        DeclareLaunchArgument(
            'log_level', default_value='info', description='Log level: debug, info, warn, error'
        ),
        DeclareLaunchArgument(
            'composed',
            default_value='false',
            description='Run the three nodes in one process (physical_ai_node)',
        ),
        DeclareLaunchArgument(
            'autostart',
            default_value='true',
            description='Configure and activate the lifecycle nodes on start',
        ),
        DeclareLaunchArgument(
            'enable_lidar', default_value='true', description='Subscribe to the lidars'
        ),
        DeclareLaunchArgument(
            'enable_camera', default_value='true', description='Fuse the cameras'
        ),
        DeclareLaunchArgument(
            'enable_iot', default_value='true', description='Use the IoT sensors'
        ),
        DeclareLaunchArgument(
            'enclave', default_value='', description='SROS2 security enclave ("" = security off)'
        ),
    ]
    group = GroupAction(
        [
            PushRosNamespace(LaunchConfiguration('namespace')),
            SetParameter('use_sim_time', LaunchConfiguration('use_sim_time')),
            OpaqueFunction(function=_nodes),
        ]
    )
    return LaunchDescription([*arguments, group])
