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

"""Locate the ``.msg`` files of physical_ai_ros_interfaces, the one source of every custom type."""

from __future__ import annotations

import os
from pathlib import Path

INTERFACES_PACKAGE = 'physical_ai_ros_interfaces'


def msg_dir() -> Path:
    """Return the folder holding ``IotReading.msg``, ``SpatialGrid.msg``, ...

    In a sourced ROS 2 workspace the installed interfaces package is used (found through the
    ament index in ``AMENT_PREFIX_PATH``); otherwise the copy that ships inside this Python
    package, which links to (and, once built, copies) the very same files.
    """
    for prefix in os.environ.get('AMENT_PREFIX_PATH', '').split(os.pathsep):
        candidate = Path(prefix) / 'share' / INTERFACES_PACKAGE / 'msg'
        if prefix and (candidate / 'SpatialGrid.msg').is_file():
            return candidate
    return Path(__file__).resolve().parent / 'interfaces'


def msg_files() -> dict[str, Path]:
    """Return ``{'physical_ai_ros_interfaces/msg/Name': path}`` for every custom message."""
    return {
        f'{INTERFACES_PACKAGE}/msg/{path.stem}': path for path in sorted(msg_dir().glob('*.msg'))
    }
