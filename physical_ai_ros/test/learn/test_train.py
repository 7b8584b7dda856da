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
import signal

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
from physical_ai_ros.core.policy.contract import PolicyContract  # noqa: E402
from physical_ai_ros.learn.dataset import DatasetError, export_dataset  # noqa: E402
from physical_ai_ros.learn.train import (  # noqa: E402
    _fit_epoch,
    balanced,
    fit_members,
    flush_subnormal,
    mirrored,
    to_onnx,
    train_bc,
)  # fmt: skip
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


MIRROR_CONTRACT = {
    'name': 'mirror',
    'inputs': [
        {'tensor': 'grid', 'source': 'grid', 'layers': ['occupancy'], 'size': [4, 4]},
        {'tensor': 'state', 'source': 'odom_twist', 'names': ['linear.x', 'angular.z']},
    ],
    'output': {'tensor': 'action', 'command': 'cmd_vel', 'fields': ['linear.x', 'angular.z']},
}


def test_a_mirror_image_swaps_left_and_right_and_negates_turning() -> None:
    contract = PolicyContract.from_dict(MIRROR_CONTRACT)
    grid = np.zeros((2, 1, 1, 4, 4), np.float32)
    grid[0, 0, 0, 0, 3] = 1.0  # step 0: something in the first row (one side), ahead
    grid[1, 0, 0, 2, 1] = 0.5
    state = np.array([[[0.5, 0.2]], [[0.1, -0.4]]], np.float32)
    actions = np.array([[0.8, 0.3], [0.0, -1.0]])
    images, flipped = mirrored(contract, {'grid': grid, 'state': state}, actions)
    assert images['grid'][0, 0, 0, 3, 3] == 1.0 and images['grid'][0].sum() == 1.0
    assert images['grid'][1, 0, 0, 1, 1] == 0.5 and images['grid'][1].sum() == 0.5
    np.testing.assert_array_equal(images['state'], -state * np.float32([-1, 1]))
    assert images['state'].dtype == np.float32
    np.testing.assert_array_equal(flipped, [[0.8, -0.3], [0.0, 1.0]])
    assert grid[0, 0, 0, 0, 3] == 1.0 and state[0, 0, 1] == np.float32(0.2)  # inputs untouched
    # twice is the identity
    again, back = mirrored(contract, images, flipped)
    np.testing.assert_array_equal(again['grid'], grid)
    np.testing.assert_array_equal(back, actions)


def test_inputs_without_a_mirror_image_are_refused_by_name() -> None:
    offset = dict(MIRROR_CONTRACT, inputs=[
        MIRROR_CONTRACT['inputs'][0],
        {'tensor': 'state', 'source': 'odom_twist', 'names': ['angular.z'], 'offset': [0.1]},
    ])  # fmt: skip
    observations = {'grid': np.zeros((1, 1, 1, 4, 4)), 'state': np.zeros((1, 1, 1))}
    with pytest.raises(DatasetError, match='state: an offset'):
        mirrored(PolicyContract.from_dict(offset), observations, np.zeros((1, 2)))
    iot = dict(MIRROR_CONTRACT, inputs=[
        MIRROR_CONTRACT['inputs'][0],
        {'tensor': 'iot', 'source': 'iot', 'names': ['temperature']},
    ])  # fmt: skip
    observations = {'grid': np.zeros((1, 1, 1, 4, 4)), 'iot': np.zeros((1, 1, 1))}
    with pytest.raises(DatasetError, match="iot: no mirror image of a 'iot' input"):
        mirrored(PolicyContract.from_dict(iot), observations, np.zeros((1, 2)))


def test_training_with_mirror_images_is_seeded_and_fits_both_sides(
    episode_bags: list[Path], tmp_path: Path
) -> None:
    export_dataset(episode_bags, PARAMS, SHIPPED, tmp_path / 'ds')
    plain = train_bc(tmp_path / 'ds', SHIPPED, tmp_path / 'plain.onnx', epochs=5, seed=1)
    report = train_bc(tmp_path / 'ds', SHIPPED, tmp_path / 'm.onnx', epochs=5, seed=1,
                      mirror=True)  # fmt: skip
    assert report.balanced_steps == 2 * plain.balanced_steps  # every step and its image
    assert report.validation_steps == plain.validation_steps  # validated on real steps only
    train_bc(tmp_path / 'ds', SHIPPED, tmp_path / 'm2.onnx', epochs=5, seed=1, mirror=True)
    assert (tmp_path / 'm2.onnx').read_bytes() == (tmp_path / 'm.onnx').read_bytes()


def test_an_interrupt_stops_training_not_just_the_epoch() -> None:
    from sklearn.neural_network import MLPRegressor

    # scikit-learn swallows a KeyboardInterrupt inside partial_fit (it warns and returns)
    x = np.random.default_rng(0).random((200_000, 50), dtype=np.float32)
    model = MLPRegressor(hidden_layer_sizes=(64,), batch_size=64, random_state=0)

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.3)  # an epoch of 200,000 rows takes seconds
    try:
        with pytest.raises(KeyboardInterrupt):
            _fit_epoch(model, x, x[:, :2])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_an_interrupt_stops_the_worker_processes_fitting_an_ensemble() -> None:
    import multiprocessing

    from sklearn.neural_network import MLPRegressor

    x = np.random.default_rng(0).random((100_000, 50), dtype=np.float32)
    members = [MLPRegressor(hidden_layer_sizes=(64,), batch_size=64, random_state=k)
               for k in range(2)]  # fmt: skip

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 4.0)  # the workers started, 50 epochs of seconds
    try:
        with pytest.raises(KeyboardInterrupt):
            fit_members(members, (x, x[:, :2], x[:10]), 50, 2)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert multiprocessing.active_children() == []  # terminated, not left fitting


def test_subnormal_weights_and_moments_are_flushed_to_zero_and_nothing_else() -> None:
    from sklearn.neural_network import MLPRegressor

    x = np.random.default_rng(0).random((256, 8), dtype=np.float32)
    model = MLPRegressor(hidden_layer_sizes=(4,), batch_size=64, random_state=0)
    model.partial_fit(x, x[:, :2])
    subnormal = np.float32(1e-40)  # below float32's normal range (1.18e-38)
    assert subnormal != 0 and subnormal < np.finfo(np.float32).tiny
    model.coefs_[0][0, 0] = subnormal
    model.intercepts_[0][1] = -subnormal
    model._optimizer.ms[0][2, 1] = subnormal  # Adam's first moment of that weight
    kept = [w.copy() for w in model.coefs_]
    kept[0][0, 0] = 0.0
    flush_subnormal(model)
    assert model.coefs_[0][0, 0] == 0.0 and model.intercepts_[0][1] == 0.0
    assert model._optimizer.ms[0][2, 1] == 0.0
    for weights, expected in zip(model.coefs_, kept, strict=True):
        np.testing.assert_array_equal(weights, expected)  # normal values untouched


@pytest.mark.filterwarnings('ignore::sklearn.exceptions.ConvergenceWarning')
@pytest.mark.parametrize('hidden', [(6,), (6, 5), (6, 5, 4)])
def test_an_ensemble_graph_answers_its_members_mean(hidden: tuple[int, ...]) -> None:
    import onnxruntime
    from sklearn.neural_network import MLPRegressor

    contract = PolicyContract.from_dict({
        'inputs': [{'tensor': 'twist', 'source': 'odom_twist',
                    'names': ['linear.x', 'linear.y', 'angular.z']}],
        'output': {'tensor': 'cmd', 'command': 'cmd_vel', 'fields': ['linear.x', 'angular.z'],
                   'scale': [0.5, 2.0], 'offset': [0.1, 0.0]},
    })  # fmt: skip
    shape = contract.inputs[0].shape
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3)).astype(np.float32)
    y = np.stack([np.tanh(x[:, 0]), x[:, 1] * x[:, 2]], axis=1)
    members = [MLPRegressor(hidden_layer_sizes=hidden, random_state=k, max_iter=50).fit(x, y)
               for k in range(3)]  # fmt: skip
    mean = np.mean([m.predict(x) for m in members], axis=0)
    assert np.abs(members[0].predict(x) - mean).max() > 1e-3  # the members differ
    graph = to_onnx(members, contract, 'inputs: []').SerializeToString()
    session = onnxruntime.InferenceSession(graph, providers=['CPUExecutionProvider'])
    raw = np.concatenate([session.run(None, {'twist': row.reshape(shape)})[0] for row in x])
    # the runtime reads command = raw * scale + offset
    np.testing.assert_allclose(raw * [0.5, 2.0] + [0.1, 0.0], mean, atol=1e-5)
    single = onnxruntime.InferenceSession(to_onnx(members[:1], contract, '').SerializeToString(),
                                          providers=['CPUExecutionProvider'])  # fmt: skip
    raw = np.concatenate([single.run(None, {'twist': row.reshape(shape)})[0] for row in x])
    np.testing.assert_allclose(raw * [0.5, 2.0] + [0.1, 0.0], members[0].predict(x), atol=1e-5)


def test_an_ensemble_is_seeded_and_reported_as_its_mean(
    episode_bags: list[Path], tmp_path: Path
) -> None:
    export_dataset(episode_bags, PARAMS, SHIPPED, tmp_path / 'ds')
    first = train_bc(tmp_path / 'ds', SHIPPED, tmp_path / 'e.onnx', epochs=5, seed=1, ensemble=3)
    # the same bytes again, with the networks fitted in two worker processes
    again = train_bc(tmp_path / 'ds', SHIPPED, tmp_path / 'e2.onnx', epochs=5, seed=1,
                     ensemble=3, jobs=2)  # fmt: skip
    assert (tmp_path / 'e2.onnx').read_bytes() == (tmp_path / 'e.onnx').read_bytes()
    assert again.validation_mae == first.validation_mae and again.loss == first.loss
    model = load_policy(resolve('policy_node', {}), tmp_path / 'e.onnx')
    assert model.contract.axes == ('linear.x', 'angular.z')
    # the ensemble's validation error is its mean's: not the error of its first member
    alone = train_bc(tmp_path / 'ds', SHIPPED, tmp_path / 's.onnx', epochs=5, seed=1)
    assert first.validation_mae[-1] != alone.validation_mae[-1]
    assert len(first.loss) == 5 and np.all(np.isfinite(first.validation_mae))
