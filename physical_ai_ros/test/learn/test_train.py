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

"""Behaviour cloning: a tiny dataset trains in seconds, beats a constant command, and runs.

The exported model carries its contract (load_policy validates it as the nodes do), the same
seed gives the same bytes, and a replay with it is deterministic.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pyarrow_module = pytest.importorskip(
    'pyarrow', reason='pyarrow (the train extra) is not installed'
)
sklearn_module = pytest.importorskip(
    'sklearn', reason='scikit-learn (the train extra) is not installed'
)
onnx_module = pytest.importorskip('onnx', reason='onnx (the train extra) is not installed')
import physical_ai_ros.sim  # noqa: E402, F401, I100 (first: mujoco's headless renderer)

mujoco_module = pytest.importorskip('mujoco', reason='the simulator needs mujoco')

from physical_ai_ros.core.params.schema import resolve  # noqa: E402, I100
from physical_ai_ros.learn.dataset import DatasetError, export_dataset  # noqa: E402
from physical_ai_ros.learn.train import balanced, train_bc  # noqa: E402
from physical_ai_ros.policies.loading import load_policy  # noqa: E402
from physical_ai_ros.policies.reference import SHIPPED  # noqa: E402
from physical_ai_ros.replay.runner import replay, ReplayOptions  # noqa: E402

PARAMS = Path(__file__).resolve().parents[2] / 'config' / 'mobile_base.yaml'


def messages(bag: Path) -> list[tuple[str, int, bytes]]:
    from rosbags.highlevel import AnyReader

    with AnyReader([bag]) as reader:
        return [(c.topic, t, bytes(raw)) for c, t, raw in reader.messages()]


def test_a_tiny_dataset_trains_beats_a_constant_and_replays(
    episode_bags: list[Path], tmp_path: Path
) -> None:
    export_dataset(episode_bags, PARAMS, SHIPPED, tmp_path / 'ds')
    report = train_bc(tmp_path / 'ds', SHIPPED, tmp_path / 'bc.onnx', epochs=40, seed=1)
    assert report.validation_steps >= 30  # the last episode held out
    final = np.asarray(report.validation_mae[-1])
    assert final.sum() < np.sum(report.baseline_mae), (final, report.baseline_mae)
    assert report.loss[-1] < report.loss[0]
    assert (tmp_path / 'bc.report.png').stat().st_size > 0
    # seeded and reproducible: the same bytes again
    train_bc(tmp_path / 'ds', SHIPPED, tmp_path / 'again.onnx', epochs=40, seed=1)
    assert (tmp_path / 'again.onnx').read_bytes() == (tmp_path / 'bc.onnx').read_bytes()
    # the nodes' loader accepts it (contract embedded and checked against the graph)
    model = load_policy(resolve('policy_node', {}), tmp_path / 'bc.onnx')
    assert model.contract.axes == ('linear.x', 'angular.z')
    # and replay runs it, the same bytes twice, every command finite
    options = ReplayOptions(params=PARAMS, model=tmp_path / 'bc.onnx')
    first = replay(episode_bags[0], tmp_path / 'r1', options)
    second = replay(episode_bags[0], tmp_path / 'r2', options)
    assert messages(first.out_bag) == messages(second.out_bag)
    assert first.commands and all(np.all(np.isfinite(v)) for _, v, _ in first.commands)


def test_rare_commands_are_repeated_up_to_the_limit_in_order() -> None:
    speed = np.array([0.8] * 12 + [0.0, 0.1, 0.45, 0.8, -0.25])
    rows = np.arange(len(speed))
    out = balanced(rows, speed, 5)
    # |speed| in bins of 0.2 m/s: 13 at 0.8, 2 below 0.2, 1 at 0.25, 1 at 0.45 (repeated 5x)
    assert np.count_nonzero(out == 0) == 1 and np.count_nonzero(out == 12) == 5
    assert np.count_nonzero(out == 16) == 5 and np.count_nonzero(out == 14) == 5
    assert np.all(np.diff(out) >= 0)  # each row's repeats together, in the rows' order
    np.testing.assert_array_equal(balanced(rows, speed, 1), rows)  # 1: off
    np.testing.assert_array_equal(balanced(rows, np.ones(len(rows)), 5), rows)  # one value


def test_action_chunks_and_foreign_datasets_are_refused(episode_bag: Path, tmp_path: Path) -> None:
    export_dataset([episode_bag], PARAMS, SHIPPED, tmp_path / 'ds')
    chunked = tmp_path / 'chunked.yaml'
    chunked.write_text(
        'name: chunked\ninputs:\n  - {tensor: grid, source: grid, layers: [occupancy],'
        ' size: [40, 40], resolution: 0.1, fill_unknown: 0.3}\noutput: {tensor: action,'
        ' command: cmd_vel, fields: [linear.x, angular.z], horizon: 5, step_s: 0.1}\n'
    )
    with pytest.raises(DatasetError, match='action chunks'):
        train_bc(tmp_path / 'ds', chunked, tmp_path / 'c.onnx')
    other = tmp_path / 'other.yaml'
    other.write_text(chunked.read_text().replace(', horizon: 5, step_s: 0.1', '')
                     .replace('chunked', 'other'))  # fmt: skip
    with pytest.raises(DatasetError, match="built for contract 'reference_reactive'"):
        train_bc(tmp_path / 'ds', other, tmp_path / 'o.onnx')
