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

"""Launch files compile, declare documented arguments, and build where launch_ros exists."""

from __future__ import annotations

import ast
from pathlib import Path
import py_compile
from typing import Any

import pytest

LAUNCH = Path(__file__).resolve().parents[2] / 'launch'
FILES = sorted(LAUNCH.glob('*_launch.py'))


@pytest.mark.parametrize('path', FILES, ids=[p.name for p in FILES])
def test_launch_file_compiles_and_documents_every_argument(path: Path) -> None:
    py_compile.compile(str(path), doraise=True)
    tree = ast.parse(path.read_text())
    declared = [
        call for call in ast.walk(tree)
        if isinstance(call, ast.Call) and getattr(call.func, 'id', '') == 'DeclareLaunchArgument'
    ]  # fmt: skip
    assert declared, 'no launch arguments'
    for call in declared:
        keywords = {k.arg for k in call.keywords}
        assert 'description' in keywords, ast.unparse(call)


def declared_names(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        call.args[0].value
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and getattr(call.func, 'id', '') == 'DeclareLaunchArgument'
        and call.args
        and isinstance(call.args[0], ast.Constant)
    ]


def test_bringup_declares_the_integrator_arguments() -> None:
    expected = {
        'namespace', 'params_file', 'model', 'use_sim_time', 'log_level', 'composed',
        'autostart', 'enable_lidar', 'enable_camera', 'enable_iot', 'enclave', 'dds_profile',
        'iot_mapping',
    }  # fmt: skip
    assert expected <= set(declared_names(LAUNCH / 'bringup_launch.py'))
    assert {'bag', 'output', 'params_file', 'model'} <= set(
        declared_names(LAUNCH / 'replay_launch.py')
    )


def load_launch_file(path: Path) -> Any:
    """The launch file as a module (skips where launch_ros is not installed)."""
    pytest.importorskip('launch_ros', reason='launch_ros is not installed (no ROS 2 here)')
    import importlib.util

    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.ros
@pytest.mark.parametrize('path', FILES, ids=[p.name for p in FILES])
def test_launch_description_builds(path: Path) -> None:
    module = load_launch_file(path)
    from launch import LaunchDescription

    description = module.generate_launch_description()
    assert isinstance(description, LaunchDescription)
    assert description.get_launch_arguments()


@pytest.mark.ros
def test_replay_plays_only_the_inputs_of_the_params_file() -> None:
    pytest.importorskip('launch_ros', reason='launch_ros is not installed (no ROS 2 here)')
    import importlib.util

    path = LAUNCH / 'replay_launch.py'
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = LAUNCH.parent / 'config' / 'mobile_base.yaml'
    topics = module.played_topics(str(config))
    assert {'/lidar/points', '/odom', '/tf_static', '/iot/readings'} <= set(topics)
    assert not set(topics) & {'/cmd_vel', '/grid', '/policy/command', '/diagnostics'}
    assert not set(topics) & {'/' + t.lstrip('/') for t in module.RECORDED}


@pytest.mark.ros
def test_a_dds_profile_keeps_the_site_settings_and_says_what_it_did() -> None:
    setting = load_launch_file(LAUNCH / 'bringup_launch.py').dds_setting
    assert setting('cyclonedds', '/p/c.xml', {}) == (
        'CYCLONEDDS_URI',
        'file:///p/c.xml',
        'CYCLONEDDS_URI=file:///p/c.xml',
    )
    _, value, note = setting('cyclonedds', '/p/c.xml', {'CYCLONEDDS_URI': 'file:///s.xml'})
    assert value == 'file:///p/c.xml,file:///s.xml' and 'merged' in note
    # Fast DDS reads one file: the site's stays, the profile is not applied, and it says so
    fast = 'FASTRTPS_DEFAULT_PROFILES_FILE'
    assert setting('fastdds', '/p/f.xml', {fast: ''})[:2] == (fast, '/p/f.xml')
    _, value, note = setting('fastdds', '/p/f.xml', {fast: '/site.xml'})
    assert value == '' and 'NOT applied' in note and '/site.xml' in note
