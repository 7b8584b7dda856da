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

"""The learning tests share MuJoCo episodes (the reference policy driving, commands recorded)."""

from __future__ import annotations

from pathlib import Path

import pytest

PARAMS = Path(__file__).resolve().parents[2] / 'config' / 'mobile_base.yaml'


def record(folder: Path, seed: int, seconds: float = 4.0) -> Path:
    """One aisle episode bag (needs mujoco; the callers skip without it)."""
    from physical_ai_ros.replay.runner import ReplayOptions
    from physical_ai_ros.sim.episode import run_episode

    bag = folder / f'aisle_{seed}'
    run_episode('aisle', seed, bag, seconds=seconds, options=ReplayOptions(params=PARAMS),
                stop_at_goal=False)  # fmt: skip
    return bag


@pytest.fixture(scope='session')
def episode_bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4 s aisle episode, seed 3."""
    return record(tmp_path_factory.mktemp('sim'), 3)


@pytest.fixture(scope='session')
def episode_bags(tmp_path_factory: pytest.TempPathFactory, episode_bag: Path) -> list[Path]:
    """Three 4 s aisle episodes (seeds 3, 4, 5)."""
    folder = tmp_path_factory.mktemp('sims')
    return [episode_bag, record(folder, 4), record(folder, 5)]
