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
from pathlib import Path
import tempfile

from ament_index_python.packages import get_package_share_directory
from launch import LaunchContext, LaunchDescription
from launch.actions import (
    DeclareLaunchArgument,
    EmitEvent,
    GroupAction,
    LogInfo,
    OpaqueFunction,
    RegisterEventHandler,
    SetEnvironmentVariable,
)
from launch.events import matches_action
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import LifecycleNode, Node, PushRosNamespace, SetParameter
from launch_ros.event_handlers import OnStateTransition
from launch_ros.events.lifecycle import ChangeState
from lifecycle_msgs.msg import Transition
import yaml

from physical_ai_ros.core.params.config_check import for_any_namespace

NODES = ('safety_node', 'perception_node', 'policy_node')

#: ``dds_profile`` choices: the environment variable each DDS reads, and the shipped file.
DDS_PROFILES = {
    'cyclonedds': ('CYCLONEDDS_URI', 'cyclonedds.xml'),
    'fastdds': ('FASTRTPS_DEFAULT_PROFILES_FILE', 'fastdds.xml'),
}


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


def _params_for_any_namespace(params_file: str) -> str:
    """The params file with bare node keys made ``/**/node`` (see ``for_any_namespace``).

    Without it, ``perception_node:`` would not reach ``/robot1/perception_node`` and a
    namespaced robot would silently run on defaults.
    """
    data = yaml.safe_load(Path(params_file).read_text(encoding='utf-8')) or {}
    with tempfile.NamedTemporaryFile(
        'w', prefix='physical_ai_ros_', suffix='.yaml', delete=False, encoding='utf-8'
    ) as out:
        yaml.safe_dump(for_any_namespace(data), out)
    return out.name


def dds_setting(profile: str, path: str, site: dict[str, str]) -> tuple[str, str, str]:
    """The variable and value that apply ``profile`` (its file at ``path``), and what was done.

    Cyclone DDS reads a comma-separated list from ``CYCLONEDDS_URI``, later entries overriding
    earlier ones: the site's own settings go after the profile and win where both set a value.
    Fast DDS reads one file: a site's own ``FASTRTPS_DEFAULT_PROFILES_FILE`` is kept, and the
    profile not applied. Returns ``(variable, value, note)``; an empty value sets nothing.
    """
    variable, _ = DDS_PROFILES[profile]
    own = site.get(variable, '').strip()
    if profile == 'cyclonedds':
        value = f'file://{path}' + (f',{own}' if own else '')
        merged = f"merged with the environment's {variable} (its values win)" if own else ''
        return variable, value, merged or f'{variable}={value}'
    if own and own != path:
        return (
            variable,
            '',
            (
                f'NOT applied: {variable}={own} is set and Fast DDS reads one file; add the '
                f'settings of {path} to it'
            ),
        )
    return variable, path, f'{variable}={path}'


def _dds(context: LaunchContext) -> list:
    """Apply ``dds_profile`` to the launch process and so to every node it starts.

    Set in the launch process's own environment, before any ROS action runs: its lifecycle
    autostart (launch_ros's ROS context) and the nodes then speak with the same settings.
    """
    profile = LaunchConfiguration('dds_profile').perform(context)
    if not profile:  # DeclareLaunchArgument refuses anything but "" and DDS_PROFILES
        return []
    _, name = DDS_PROFILES[profile]
    path = os.path.join(get_package_share_directory('physical_ai_ros'), 'config', name)
    variable, value, note = dds_setting(profile, path, dict(os.environ))
    actions: list = [LogInfo(msg=f'dds_profile:={profile}: {note}')]
    if value:
        actions.insert(0, SetEnvironmentVariable(variable, value))
    return actions


def _overrides_file(context: LaunchContext) -> str:
    """The launch arguments' parameters, in a params file keyed by node (``/**/NODE``).

    Keyed by node, not given as a bare dict: launch_ros keys a dict of a Node without a name
    (the composed process) as ``/**``, and rcl lets a node's own section in the params file
    win over ``/**`` whatever the order, so ``model:=`` and ``enable_camera:=`` were ignored
    in composed mode. A node's own section in a later file wins over the earlier file's.
    """
    model = LaunchConfiguration('model').perform(context)
    perception = {
        'lidar.enabled': _truthy(context, 'enable_lidar'),
        'camera.enabled': _truthy(context, 'enable_camera'),
        'iot.enabled': _truthy(context, 'enable_iot'),
    }
    sections = {'/**/perception_node': {'ros__parameters': perception}}
    if model:
        sections['/**/policy_node'] = {'ros__parameters': {'model_path': model}}
    with tempfile.NamedTemporaryFile(
        'w', prefix='physical_ai_ros_args_', suffix='.yaml', delete=False, encoding='utf-8'
    ) as out:
        yaml.safe_dump(sections, out)
    return out.name


def _nodes(context: LaunchContext) -> list:
    params_file = _params_for_any_namespace(LaunchConfiguration('params_file').perform(context))
    enclave = LaunchConfiguration('enclave').perform(context)
    log_level = LaunchConfiguration('log_level').perform(context)
    overrides = [_overrides_file(context)]
    ros_arguments = ['--log-level', log_level] + (['--enclave', enclave] if enclave else [])
    autostart = _truthy(context, 'autostart')
    bridge = _iot_bridge(context, params_file, ros_arguments, autostart)
    if _truthy(context, 'composed'):
        return [
            *bridge,
            Node(
                package='physical_ai_ros',
                executable='physical_ai_node',
                # no name: a node-name remap would rename all three nodes of the process
                output='screen',
                parameters=[params_file, *overrides],
                arguments=[] if autostart else ['--no-autostart'],
                ros_arguments=ros_arguments,
            ),
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
    return actions + bridge


def _iot_bridge(
    context: LaunchContext,
    params_file: str,
    ros_arguments: list[str],
    autostart: bool,
) -> list:
    """iot_bridge_node, in its own process, when ``iot_mapping`` names a mapping file."""
    mapping = LaunchConfiguration('iot_mapping').perform(context)
    if not mapping:
        return []
    node = LifecycleNode(
        package='physical_ai_ros',
        executable='iot_bridge_node',
        name='iot_bridge_node',
        namespace='',
        output='screen',
        parameters=[params_file, {'mapping_file': mapping}],  # mqtt.* from the params file
        ros_arguments=ros_arguments,
    )
    return [node, *_autostart(node)] if autostart else [node]


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
        DeclareLaunchArgument(
            'iot_mapping',
            default_value='',
            description='MQTT mapping YAML: also run iot_bridge_node (its mqtt.* from '
            'params_file); "" = no bridge',
        ),
        DeclareLaunchArgument(
            'dds_profile',
            default_value='',
            choices=['', *DDS_PROFILES],
            description='DDS settings for multi-MB clouds: cyclonedds (config/cyclonedds.xml), '
            'fastdds (config/fastdds.xml), or "" for the environment\'s (see README)',
        ),
    ]
    group = GroupAction(
        [
            PushRosNamespace(LaunchConfiguration('namespace')),
            SetParameter('use_sim_time', LaunchConfiguration('use_sim_time')),
            OpaqueFunction(function=_nodes),
        ]
    )
    # before the group: its scope would undo the setting, and ROS must start with it
    return LaunchDescription([*arguments, OpaqueFunction(function=_dds), group])
