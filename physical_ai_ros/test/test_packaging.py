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

"""What a plain install gets: declared dependencies, pins for every Python, the tested floor."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any
import xml.etree.ElementTree as ET

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.version import Version
import pytest

PACKAGE = Path(__file__).resolve().parents[1]
REQUIREMENTS = PACKAGE.parent / 'requirements'


def setup_keyword(name: str) -> Any:
    """A literal keyword argument of setup() in setup.py (read, not run)."""
    tree = ast.parse((PACKAGE / 'setup.py').read_text())
    call = next(
        node for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, 'id', '') == 'setup'
    )  # fmt: skip
    return next(ast.literal_eval(k.value) for k in call.keywords if k.arg == name)


def install_requires() -> list[str]:
    return list(setup_keyword('install_requires'))


def every_requirement() -> list[str]:
    extras: dict[str, list[str]] = setup_keyword('extras_require')
    return install_requires() + [r for group in extras.values() for r in group]


def pins(path: Path, python: str) -> dict[str, Version]:
    """Name -> pinned version of a requirements file, markers evaluated for ``python``."""
    env = {**default_environment(), 'python_version': python, 'python_full_version': python + '.0'}
    out: dict[str, Version] = {}
    for line in path.read_text().splitlines():
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate(env):
            assert req.name not in out, f'{req.name} pinned twice for Python {python}'
            (spec,) = req.specifier
            out[req.name] = Version(spec.version)
    return out


def test_a_plain_install_can_replay_and_report() -> None:
    names = {Requirement(r).name for r in install_requires()}
    assert {'numpy', 'opencv-python-headless', 'onnxruntime', 'rosbags', 'pyyaml'} <= names
    assert {'matplotlib', 'tqdm', 'mcap'} <= names  # the default report, progress, recovery
    assert 'onnx' not in names and 'open3d' not in names  # shipped policy; a bench baseline


@pytest.mark.parametrize('python', ['3.10', '3.11', '3.12'])
def test_constraints_pin_every_requirement_once_for_each_python(python: str) -> None:
    pinned = pins(REQUIREMENTS / 'constraints.txt', python)
    for text in every_requirement():
        req = Requirement(text)
        if req.name in ('setuptools', 'types-PyYAML'):
            continue
        assert req.name.lower() in {n.lower() for n in pinned}, f'{req.name} unpinned on {python}'
        version = next(v for n, v in pinned.items() if n.lower() == req.name.lower())
        assert req.specifier.contains(version), f'{req.name}=={version} outside {req.specifier}'
    if python == '3.10':  # Humble: its message packages are built against numpy 1.x
        assert pinned['numpy'] < Version('2')


def test_the_oldest_numpy_claimed_is_the_one_tested() -> None:
    floor = next(Requirement(r) for r in install_requires() if Requirement(r).name == 'numpy')
    (spec,) = floor.specifier
    assert spec.operator == '>='
    assert pins(REQUIREMENTS / 'oldest.txt', '3.11')['numpy'] == Version(spec.version)


def test_package_xml_names_the_rosdep_keys() -> None:
    depends = {e.text for e in ET.parse(PACKAGE / 'package.xml').getroot().iter('exec_depend')}
    assert {'python3-rosbags-pip', 'python3-onnxruntime-pip', 'python3-matplotlib'} <= depends
    assert 'python3-tqdm' in depends
