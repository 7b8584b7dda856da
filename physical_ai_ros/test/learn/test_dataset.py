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

"""Dataset export: the observation of a stamp is the bytes the runtime feeds the model.

Run on a MuJoCo episode (the reference policy driving, its commands recorded): the export's
observations, built by the runtime's ObservationBuilder from the policy stage's inputs, equal
byte for byte what a plain replay hands the ONNX session at the same steps. Bad datasets are
refused with the file and the reason.
"""

from __future__ import annotations

from pathlib import Path
import shutil
from typing import Any

import numpy as np
import pytest

pyarrow_module = pytest.importorskip(
    'pyarrow', reason='pyarrow (the train extra) is not installed'
)
import physical_ai_ros.sim  # noqa: E402, F401, I100 (first: mujoco's headless renderer)

mujoco_module = pytest.importorskip('mujoco', reason='the simulator needs mujoco')

from physical_ai_ros.learn.dataset import (  # noqa: E402, I100
    ContractSource,
    DatasetError,
    export_dataset,
    load_dataset,
)
from physical_ai_ros.policies.reference import SHIPPED  # noqa: E402
from physical_ai_ros.replay.runner import ReplayOptions, ReplayRunner  # noqa: E402

PARAMS = Path(__file__).resolve().parents[2] / 'config' / 'mobile_base.yaml'


class RecordingSession:
    """The model's onnxruntime session, keeping a copy of every feed it is given."""

    def __init__(self, session: Any) -> None:
        self.session, self.feeds = session, []

    def run(self, outputs: Any, feeds: dict[str, np.ndarray]) -> Any:
        self.feeds.append({k: np.array(v, copy=True) for k, v in feeds.items()})
        return self.session.run(outputs, feeds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


def test_exported_observations_are_the_bytes_the_model_is_fed(
    episode_bag: Path, tmp_path: Path
) -> None:
    index = export_dataset([episode_bag], PARAMS, SHIPPED, tmp_path / 'ds')
    dataset = load_dataset(tmp_path / 'ds', ContractSource.load(SHIPPED))
    assert index['episodes'][0]['steps'] == len(dataset.actions) > 30
    # a plain replay of the same bag, the model's session recording what it is fed
    runner = ReplayRunner(ReplayOptions(params=PARAMS))
    session = RecordingSession(runner.policy.runtime.model.session)
    runner.policy.runtime.model.session = session
    steps: list[int] = []
    runner.policy.tap = lambda now_ns, inputs: steps.append(now_ns)
    runner.run(episode_bag, tmp_path / 'replay')
    assert len(steps) == len(session.feeds)
    fed = dict(zip(steps, session.feeds, strict=True))
    for row, step_ns in enumerate(dataset.step_ns):
        fed_grid = fed[int(step_ns)]['grid']
        assert fed_grid.dtype == np.float32
        assert dataset.observations['grid'][row].tobytes() == fed_grid.reshape(
            dataset.observations['grid'][row].shape).tobytes()  # fmt: skip
    # and the actions are the commands the bag recorded, in the contract's axes
    assert np.all(np.isfinite(dataset.actions)) and dataset.actions.shape[1] == 2
    assert dataset.actions[:, 0].max() > 0.3  # the reference policy drove down the aisle


HISTORY_CONTRACT = """
name: occupancy_history
inputs:
  - {tensor: grid, source: grid, layers: [occupancy], size: [40, 40], resize: [20, 20],
     resolution: 0.1, fill_unknown: 0.3, history_s: [0.3, 0.6]}
  - {tensor: state, source: odom_twist, names: [linear.x, angular.z]}
output: {tensor: action, command: cmd_vel, fields: [linear.x, angular.z]}
"""


def test_a_grid_history_is_exported_as_the_model_is_fed_it(
    episode_bag: Path, tmp_path: Path
) -> None:
    pytest.importorskip('sklearn', reason='scikit-learn (the train extra) is not installed')
    from physical_ai_ros.learn.train import train_bc

    contract = tmp_path / 'history.yaml'
    contract.write_text(HISTORY_CONTRACT)
    export_dataset([episode_bag], PARAMS, contract, tmp_path / 'ds')
    dataset = load_dataset(tmp_path / 'ds', ContractSource.load(contract))
    grids = dataset.observations['grid']
    assert grids.shape[1:] == (1, 3, 20, 20)  # now, 0.3 s and 0.6 s before
    assert not np.array_equal(grids[-1, 0, 0], grids[-1, 0, 2])  # the robot moved meanwhile
    model = tmp_path / 'history.onnx'
    train_bc(tmp_path / 'ds', contract, model, epochs=2, seed=0)
    # the learned model in a replay of the same bag is fed, step by step, what was exported
    runner = ReplayRunner(ReplayOptions(params=PARAMS, model=model))
    session = RecordingSession(runner.policy.runtime.model.session)
    runner.policy.runtime.model.session = session
    steps: list[int] = []
    runner.policy.tap = lambda now_ns, inputs: steps.append(now_ns)
    runner.run(episode_bag, tmp_path / 'replay')
    fed = dict(zip(steps, session.feeds, strict=True))
    for row, step_ns in enumerate(dataset.step_ns):
        assert grids[row].tobytes() == fed[int(step_ns)]['grid'].tobytes()


def test_bad_datasets_are_refused_with_the_file_and_the_reason(
    episode_bag: Path, tmp_path: Path
) -> None:
    ds = tmp_path / 'ds'
    export_dataset([episode_bag], PARAMS, SHIPPED, ds)
    with pytest.raises(DatasetError, match='exists; choose another --out'):
        export_dataset([episode_bag], PARAMS, SHIPPED, ds)
    other = tmp_path / 'other.yaml'
    other.write_text(
        'name: wider\ninputs:\n  - {tensor: grid, source: grid, layers: [occupancy],'
        ' size: [64, 64], resolution: 0.1}\noutput: {tensor: action, command: cmd_vel,'
        ' fields: [linear.x, angular.z]}\n'
    )
    with pytest.raises(
        DatasetError, match=r"built for contract 'reference_reactive'.*not 'wider'"
    ):
        load_dataset(ds, ContractSource.load(other))
    broken = tmp_path / 'broken'
    shutil.copytree(ds, broken)
    (broken / 'episodes' / 'episode_000000.parquet').write_bytes(b'PAR1 not really')
    with pytest.raises(DatasetError, match=r'episode_000000\.parquet: cannot be read'):
        load_dataset(broken)
    shutil.copy(ds / 'episodes' / 'episode_000000.parquet', broken / 'episodes')
    _poison(broken / 'episodes' / 'episode_000000.parquet', row=3)
    with pytest.raises(DatasetError, match=r'episode_000000\.parquet: row 3 of action holds nan'):
        load_dataset(broken)  # train bc's input: one line, the row named, no sklearn traceback
    (broken / 'dataset.json').write_text('{"format": "lerobot"}')
    with pytest.raises(DatasetError, match="format 'lerobot'"):
        load_dataset(broken)
    silent = tmp_path / 'sensors_only'  # a bag without the commands to imitate
    from physical_ai_ros.sim.synthetic import ScenarioConfig, write_synthetic_bag

    write_synthetic_bag(silent, ScenarioConfig(seconds=1.0, seed=0))
    with pytest.raises(DatasetError, match='no commands recorded on /cmd_vel'):
        export_dataset([silent], PARAMS, SHIPPED, tmp_path / 'ds2')
    assert not (tmp_path / 'ds2').exists()  # the corrected rerun needs no --force
    # raised in a worker process, it arrives as the same error, and no index is written
    with pytest.raises(DatasetError, match=f'{silent}: no commands recorded on /cmd_vel'):
        export_dataset([episode_bag, silent], PARAMS, SHIPPED, tmp_path / 'ds3', jobs=2)
    assert not (tmp_path / 'ds3').exists()  # not even the episode the first worker wrote


def test_an_append_keeps_earlier_episodes_and_refuses_another_contract(
    episode_bag: Path, tmp_path: Path
) -> None:
    ds = tmp_path / 'ds'
    export_dataset([episode_bag], PARAMS, SHIPPED, ds)
    index = export_dataset([episode_bag], PARAMS, SHIPPED, ds, append=True)
    assert [e['file'] for e in index['episodes']] == [
        'episodes/episode_000000.parquet', 'episodes/episode_000001.parquet',
    ]  # fmt: skip
    data = load_dataset(ds)
    assert sorted(set(data.episode.tolist())) == [0, 1]
    half = len(data.actions) // 2
    assert np.array_equal(data.observations['grid'][:half], data.observations['grid'][half:])
    other = tmp_path / 'other.yaml'
    other.write_text(
        'name: other\ninputs:\n  - {tensor: grid, source: grid, layers: [occupancy],'
        ' size: [40, 40], resolution: 0.1}\noutput: {tensor: action, command: cmd_vel,'
        ' fields: [linear.x, angular.z]}\n'
    )
    with pytest.raises(DatasetError, match='exported with another contract or params'):
        export_dataset([episode_bag], PARAMS, other, ds, append=True)


def _poison(file: Path, row: int) -> None:
    """Write a NaN into one row's action of an episode file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(file)
    actions = table.column('action').to_pylist()
    actions[row] = [float('nan')] * len(actions[row])
    index = table.column_names.index('action')
    pq.write_table(
        table.set_column(index, 'action', pa.array(actions, table.schema.field(index).type)), file
    )
