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

"""Shared fixtures: message types from the rosbags type store, and the real recordings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from physical_ai_ros.replay.typestore import TypestoreTypes

REPO_ROOT = Path(__file__).resolve().parents[2]
REAL_DATA = Path(
    os.environ.get('PHYSICAL_AI_REAL_DATA', REPO_ROOT.parent / 'shared' / 'data' / 'real')
)


@pytest.fixture(scope='session')
def types() -> TypestoreTypes:
    """Message classes of the Jazzy type store with the stack's own messages."""
    return TypestoreTypes()


@pytest.fixture(scope='session')
def real_data() -> Path:
    """The folder of real sensor recordings; skips the test where it is absent."""
    if not (REAL_DATA / 'luminar_lidar').is_dir():
        pytest.skip(f'real recordings not found at {REAL_DATA} (set PHYSICAL_AI_REAL_DATA)')
    return REAL_DATA
