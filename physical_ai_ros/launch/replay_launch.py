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

"""Play a bag's inputs with its clock into the pipeline on sim time, and record the outputs.

ros2 launch physical_ai_ros replay_launch.py bag:=run.mcap output:=out_bag

Only the topics the nodes subscribe to are played (``ros2 bag play --topics``, as the params
file configures them): a bag recorded from a running robot also holds /cmd_vel, /grid and
the rest, which the nodes publish again and must not meet a second publisher.
"""

from launch import LaunchContext, LaunchDescription
from launch.actions import (
    DeclareLaunchArgument,
    ExecuteProcess,
    IncludeLaunchDescription,
    OpaqueFunction,
    TimerAction,
)
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.substitutions import FindPackageShare

from physical_ai_ros.core.params.config_check import load_node_params
from physical_ai_ros.core.params.schema import resolve
from physical_ai_ros.core.params.topics import input_topics, OUTPUT_TOPICS

#: What is recorded: the pipeline's outputs but the colour cloud (large, and off by default).
RECORDED = [topic for topic in OUTPUT_TOPICS if topic != 'grid_cloud']


def generate_launch_description() -> LaunchDescription:
    """Bringup on sim time, ``ros2 bag record`` of the outputs, then ``ros2 bag play --clock``."""
    output = LaunchConfiguration('output')
    arguments = [
        DeclareLaunchArgument('bag', description='rosbag2 to play (directory, .mcap or .db3)'),
        DeclareLaunchArgument(
            'output', default_value='replay_record', description='Bag to record the outputs to'
        ),
        DeclareLaunchArgument(
            'params_file',
            default_value=PathJoinSubstitution(
                [FindPackageShare('physical_ai_ros'), 'config', 'mobile_base.yaml']
            ),
            description='ROS params file for all nodes',
        ),
        DeclareLaunchArgument(
            'model', default_value='', description='ONNX policy ("" keeps the params file value)'
        ),
        DeclareLaunchArgument('rate', default_value='1.0', description='Playback rate'),
        DeclareLaunchArgument(
            'start_delay',
            default_value='3.0',
            description='Seconds to let the nodes activate before playing',
        ),
    ]
    bringup = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(
            PathJoinSubstitution(
                [FindPackageShare('physical_ai_ros'), 'launch', 'bringup_launch.py']
            )
        ),
        launch_arguments={
            'use_sim_time': 'true',
            'params_file': LaunchConfiguration('params_file'),
            'model': LaunchConfiguration('model'),
        }.items(),
    )
    record = ExecuteProcess(
        cmd=['ros2', 'bag', 'record', '--storage', 'mcap', '--output', output, *RECORDED],
        output='screen',
    )
    play = TimerAction(
        period=LaunchConfiguration('start_delay'), actions=[OpaqueFunction(function=_play)]
    )
    return LaunchDescription([*arguments, bringup, record, play])


def played_topics(params_file: str) -> list[str]:
    """The bag topics to play: the pipeline's inputs as ``params_file`` configures them."""
    values = resolve('perception_node', load_node_params(params_file, 'perception_node'))
    return ['/' + topic.relative for topic in input_topics(values)]


def _play(context: LaunchContext) -> list[ExecuteProcess]:
    params_file = LaunchConfiguration('params_file').perform(context)
    cmd = ['ros2', 'bag', 'play', LaunchConfiguration('bag').perform(context), '--clock']
    cmd += ['--rate', LaunchConfiguration('rate').perform(context)]
    cmd += ['--topics', *played_topics(params_file)]
    return [ExecuteProcess(cmd=cmd, output='screen')]
