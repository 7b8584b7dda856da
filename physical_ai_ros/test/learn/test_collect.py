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

"""The privileged expert and DAgger collection in the MuJoCo scenarios.

The expert reaches the goal without touching anything in the aisle (the person crossing) and
in the forklift scenario; a DAgger round records the learner's episodes labelled by the
expert, and the dataset holds both rounds of both scenarios.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pyarrow_module = pytest.importorskip(
    'pyarrow', reason='pyarrow (the train extra) is not installed'
)
sklearn_module = pytest.importorskip(
    'sklearn', reason='scikit-learn (the train extra) is not installed'
)
import physical_ai_ros.sim  # noqa: E402, F401, I100 (first: mujoco's headless renderer)

mujoco_module = pytest.importorskip('mujoco', reason='the simulator needs mujoco')

from physical_ai_ros.learn.collect import collect, fast_rates  # noqa: E402, I100
from physical_ai_ros.learn.dataset import ContractSource, load_dataset  # noqa: E402
from physical_ai_ros.replay.runner import ReplayOptions  # noqa: E402
from physical_ai_ros.sim.episode import run_episode  # noqa: E402
from physical_ai_ros.sim.expert import Expert  # noqa: E402
from physical_ai_ros.sim.scene import make_scenario  # noqa: E402

CONFIG = Path(__file__).resolve().parents[2] / 'config'
PARAMS, CONTRACT = CONFIG / 'mobile_base.yaml', CONFIG / 'learn' / 'bc_contract.yaml'


@pytest.mark.parametrize(('scenario', 'seed'), [('aisle', 11), ('aisle', 12), ('forklift', 13)])
def test_the_expert_reaches_the_goal_without_touching_anything(
    scenario: str, seed: int, tmp_path: Path
) -> None:
    expert = Expert(make_scenario(scenario, seed))
    episode = run_episode(scenario, seed, tmp_path / 'bag', seconds=40.0,
                          options=ReplayOptions(params=PARAMS), rates=fast_rates(),
                          driver=expert.command)  # fmt: skip
    assert episode.success and episode.collisions == 0, episode
    assert episode.min_clearance_m > 0.1


def test_a_dagger_round_adds_the_learners_states_labelled_by_the_expert(tmp_path: Path) -> None:
    lines: list[str] = []
    summaries = collect(['aisle', 'forklift'], 1, 40, 1, tmp_path / 'ds', params=PARAMS,
                        contract=CONTRACT, seconds=6.0, epochs=10, say=lines.append)  # fmt: skip
    assert [(s.round, s.scenario, s.driver) for s in summaries] == [
        (0, 'aisle', 'expert'), (0, 'forklift', 'expert'),
        (1, 'aisle', 'round0.onnx'), (1, 'forklift', 'round0.onnx'),
    ]  # fmt: skip
    assert (tmp_path / 'ds' / 'models' / 'round0.onnx').is_file()
    data = load_dataset(tmp_path / 'ds', ContractSource.load(CONTRACT))
    assert sorted(set(data.episode.tolist())) == [0, 1, 2, 3]  # both rounds, every episode
    assert data.index['episodes'][2]['command_topic'] == '/expert/cmd_vel'
    assert data.observations['grid'].shape[1:] == (1, 1, 40, 40)
    assert data.observations['state'].shape[1:] == (1, 2)
    assert any('trained round0.onnx' in line for line in lines)
