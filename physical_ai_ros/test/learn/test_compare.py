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

"""A learned policy beside the reference on recorded bags: the sim demo's and a real one."""

from __future__ import annotations

from pathlib import Path

import pytest

sklearn_module = pytest.importorskip(
    'sklearn', reason='scikit-learn (the train extra) is not installed'
)
onnx_module = pytest.importorskip('onnx', reason='onnx (the train extra) is not installed')
import physical_ai_ros.sim  # noqa: E402, F401, I100 (first: mujoco's headless renderer)

mujoco_module = pytest.importorskip('mujoco', reason='the simulator needs mujoco')

from physical_ai_ros.cli import main  # noqa: E402, I100
from physical_ai_ros.learn.compare import compare_on_bag  # noqa: E402
from physical_ai_ros.learn.dataset import export_dataset  # noqa: E402
from physical_ai_ros.learn.train import train_bc  # noqa: E402
from physical_ai_ros.policies.reference import SHIPPED  # noqa: E402
from physical_ai_ros.replay.runner import ReplayOptions  # noqa: E402

PARAMS = Path(__file__).resolve().parents[2] / 'config' / 'mobile_base.yaml'


@pytest.fixture(scope='module')
def learned(episode_bags: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp('learned')
    export_dataset(episode_bags, PARAMS, SHIPPED, folder / 'ds')
    train_bc(folder / 'ds', SHIPPED, folder / 'bc.onnx', epochs=10, seed=2)
    return folder / 'bc.onnx'


def test_learned_and_reference_on_a_sim_bag_are_finite_within_limits_and_compared(
    learned: Path, episode_bag: Path, tmp_path: Path
) -> None:
    comparison = compare_on_bag(episode_bag, tmp_path, ReplayOptions(params=PARAMS), learned)
    assert comparison.axes == ('linear.x', 'angular.z')
    assert comparison.safe
    for policy in (comparison.first, comparison.second):
        assert policy.commands > 150  # 4 s at the gate's 50 Hz
        assert policy.stopped < policy.commands  # the policy drove, the gate did not only stop
        assert max(policy.largest) > 0.0
    assert comparison.first.model == learned and comparison.second.model == SHIPPED
    assert all(v >= 0.0 for v in comparison.mean_difference)
    assert comparison.max_difference >= comparison.mean_difference
    # the same model against itself: no difference at all (deterministic replay)
    same = compare_on_bag(episode_bag, tmp_path / 'same', ReplayOptions(params=PARAMS),
                          learned, learned)  # fmt: skip
    assert same.max_difference == (0.0, 0.0)
    assert 'learned' in comparison.describe() and 'within limits' in comparison.describe()


def test_on_the_real_lidar_recording_both_policies_stop_for_the_missing_odometry(
    learned: Path, real_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the Luminar clouds (header stamps from an older recording: --restamp) end 7 s before
    # the bag's odometry begins: perception never has both, the grid is never fresh, and
    # the gate must hold both policies at a stop
    code = main(['compare', str(real_data / 'luminar_lidar'), '--model', str(learned),
                 '--params', str(PARAMS), '--out', str(tmp_path),
                 '--remap', 'lidar/points:=/luminar_pointcloud',
                 '--remap', 'odom:=/base_pose_ground_truth', '--restamp'])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    # the collision monitor stops too: its lidar is silent once the clouds end (SENSOR_BLIND
    # takes precedence in the count); STALE_INPUT remains in both
    assert out.count('gate stopping 100.0% (') == 2 and out.count('STALE_INPUT') == 2, out
    assert 'all finite, within limits' in out
