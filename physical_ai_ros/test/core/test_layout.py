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


"""The rooms of core/: each imports only the rooms below it, and nothing of ROS."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / 'physical_ai_ros' / 'core'

#: The rooms, lowest first (core/__init__.py says the same in words).
ROOMS = ('errors', 'files', 'messages', 'perception', 'policy', 'safety', 'params', 'stages')

#: What core never imports: ROS and bag I/O.
FORBIDDEN = ('rclpy', 'rosbags', 'launch', 'launch_ros', 'physical_ai_ros_interfaces')


def imports_of(path: Path) -> list[str]:
    """Every absolute module a file imports, at any depth (functions included)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append('.' * node.level + (node.module or ''))
    return names


def violations(path: Path, own: str) -> list[str]:
    """Imports of a module in room ``own`` that break the rule, in words."""
    found = []
    for name in imports_of(path):
        if name.startswith('.'):
            found.append(f'relative import {name}')
        elif name.split('.')[0] in FORBIDDEN:
            found.append(f'imports {name}')
        elif name.startswith('physical_ai_ros.') and not name.startswith('physical_ai_ros.core.'):
            found.append(f'imports {name}, which is built on core')
        elif name.startswith('physical_ai_ros.core.'):
            other = name.split('.')[2]
            if ROOMS.index(other) > ROOMS.index(own):
                found.append(f'imports {name}, a room above {own}')
    return found


MODULES = sorted(p for p in CORE.rglob('*.py') if p.name != '__init__.py')


def room(path: Path) -> str:
    """The room a core module is in (its folder, or its own name at core's top)."""
    return path.relative_to(CORE).parts[0].removesuffix('.py')


def test_every_module_is_in_a_known_room() -> None:
    assert {room(p) for p in MODULES} == set(ROOMS)


@pytest.mark.parametrize('path', MODULES, ids=lambda p: str(p.relative_to(CORE)))
def test_rooms_import_only_rooms_below_them(path: Path) -> None:
    assert violations(path, room(path)) == []


def test_the_check_finds_what_breaks_the_rule(tmp_path: Path) -> None:
    bad = tmp_path / 'gate.py'
    bad.write_text(
        'import rclpy\n'
        'from physical_ai_ros.core.stages import SafetyStage\n'
        'from physical_ai_ros.replay.runner import replay\n'
        'def f():\n    from . import x\n',
        encoding='utf-8',
    )
    assert len(violations(bad, 'safety')) == 4
