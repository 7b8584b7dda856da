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

"""Action chunks: alignment to the observation, skipped steps, replacement, blending, staleness."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from onnx import helper, numpy_helper, TensorProto
import pytest
import yaml

from physical_ai_ros.core.errors import ContractError
from physical_ai_ros.core.params.schema import resolve
from physical_ai_ros.core.perception.grid import GridGeometry, SpatialGrid
from physical_ai_ros.core.policy.chunks import ActionChunk, ChunkPlayer, ChunkState
from physical_ai_ros.core.policy.contract import METADATA_KEY, PolicyContract
from physical_ai_ros.core.policy.runtime import PolicyModel
from physical_ai_ros.core.safety.control import REASON_STALE_INPUT, STATE_DEGRADED
from physical_ai_ros.core.stages import PolicyStage
from physical_ai_ros.replay.typestore import TypestoreTypes

S = 1_000_000_000
T0 = 1_700_000_000 * S
STEP = S // 10


def ramp(horizon: int = 10, start: float = 0.0) -> ActionChunk:
    """A chunk whose step k commands (start + k, -k)."""
    k = np.arange(horizon, dtype=np.float64)
    return ActionChunk(T0, STEP, np.column_stack([start + k, -k]))


def test_a_chunk_plays_each_step_in_its_time_slot() -> None:
    player = ChunkPlayer(max_age_s=5.0)
    player.replace(ramp())
    expected = {T0: 0, T0 + STEP // 2: 0, T0 + STEP: 1, T0 + 9 * STEP + STEP - 1: 9}
    for now, k in expected.items():
        np.testing.assert_array_equal(player.action_at(now), [k, -k])
    assert player.action_at(T0 + 10 * STEP) is None
    assert player.state(T0 + 10 * STEP) is ChunkState.EXHAUSTED


def test_a_late_chunk_skips_the_steps_whose_time_has_passed() -> None:
    player = ChunkPlayer(max_age_s=5.0)
    player.replace(ramp())  # answered 0.35 s after its observation (a slow link)
    np.testing.assert_array_equal(player.action_at(T0 + 35 * STEP // 10), [3, -3])


def test_a_newer_chunk_replaces_an_older_never_the_reverse() -> None:
    player = ChunkPlayer(max_age_s=5.0)
    newer = ActionChunk(T0 + 2 * STEP, STEP, np.full((10, 2), 7.0))
    player.replace(newer)
    player.replace(ramp())  # answers an older observation: ignored
    np.testing.assert_array_equal(player.action_at(T0 + 2 * STEP), [7.0, 7.0])


def test_blending_crossfades_from_the_old_chunk() -> None:
    player = ChunkPlayer(max_age_s=5.0, blend_steps=3)
    player.replace(ActionChunk(T0, STEP, np.ones((10, 2))))
    player.replace(ActionChunk(T0 + 2 * STEP, STEP, np.zeros((10, 2))))
    got = [player.action_at(T0 + (2 + j) * STEP)[0] for j in range(5)]  # type: ignore[index]
    np.testing.assert_allclose(got, [0.75, 0.5, 0.25, 0.0, 0.0])


def test_a_chunk_older_than_max_age_plays_nothing() -> None:
    player = ChunkPlayer(max_age_s=0.25)
    player.replace(ramp())
    assert player.action_at(T0 + 2 * STEP) is not None
    assert player.state(T0 + 3 * STEP) is ChunkState.TOO_OLD
    assert player.action_at(T0 + 3 * STEP) is None
    assert ChunkPlayer(1.0).state(T0) is ChunkState.NONE


def contract(horizon: int = 10, **extra: Any) -> dict[str, Any]:
    return {
        'name': 'chunky',
        'inputs': [{'tensor': 'grid', 'source': 'grid', 'layers': ['occupancy'],
                    'size': [8, 8], 'resolution': 0.1}],
        'output': {'tensor': 'action', 'command': 'cmd_vel',
                   'fields': ['linear.x', 'angular.z'], 'horizon': horizon, 'step_s': 0.1,
                   **extra},
    }  # fmt: skip


@pytest.mark.parametrize(
    ('output', 'match'),
    [
        ({'horizon': 0}, r'horizon.*\[1, 1000\]'),
        ({'horizon': 4, 'step_s': 0}, r'step_s.*\(0, 10\]'),
        ({'horizon': 'x'}, 'horizon'),
    ],
)
def test_bad_chunk_contracts_are_refused(output: dict[str, Any], match: str) -> None:
    data = contract()
    data['output'].update(output)
    with pytest.raises(ContractError, match=match):
        PolicyContract.from_yaml(yaml.safe_dump(data))


def test_a_chunked_output_is_sized_by_steps() -> None:
    out = PolicyContract.from_yaml(yaml.safe_dump(contract(horizon=4))).output
    assert out.size_problem(8) == ''
    assert 'not 4 steps' in out.size_problem(9)
    assert 'contract reads 2' in out.size_problem(12)  # 3 per step, no index


def chunk_model(path: Path, horizon: int = 10) -> Path:
    """A model answering the ramp chunk, whatever the grid (ONNX, contract embedded)."""
    k = np.arange(horizon, dtype=np.float32)
    values = np.column_stack([0.1 * k, -0.1 * k])[None].astype(np.float32)  # (1, H, 2)
    zero = numpy_helper.from_array(np.zeros((1, 1), np.float32), 'zero')
    const = numpy_helper.from_array(values, 'chunk')
    nodes = [
        helper.make_node('ReduceSum', ['grid'], ['total'], keepdims=0),
        helper.make_node('Mul', ['total', 'zero'], ['nothing']),
        helper.make_node('Add', ['chunk', 'nothing'], ['action']),
    ]
    graph = helper.make_graph(
        nodes, 'chunky',
        [helper.make_tensor_value_info('grid', TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info('action', TensorProto.FLOAT, [1, horizon, 2])],
        [zero, const],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], ir_version=7)
    helper.set_model_props(model, {METADATA_KEY: yaml.safe_dump(contract(horizon))})
    path.write_bytes(model.SerializeToString())
    return path


def test_the_policy_stage_plays_a_chunk_between_steps(tmp_path: Path) -> None:
    model = PolicyModel.load(chunk_model(tmp_path / 'chunk.onnx'))
    values = resolve('policy_node', {'chunk.max_age_s': 2.0})
    stage = PolicyStage(values, TypestoreTypes(), model)
    grid = SpatialGrid(GridGeometry(20, 20, 0.1))
    grid.stamp_ns = T0
    assert stage.chunked
    # the step runs 0.25 s after the observation: it sends step 2, not step 0
    step, outputs = stage.step(T0 + 25 * STEP // 10, grid, None, None, new_grid=True)
    assert step is not None and step.chunk is not None and step.chunk.shape == (10, 2)
    command = dict(outputs)['policy/command']
    np.testing.assert_allclose(command.data, [0.2, -0.2])
    # the control ticks in between play the next steps
    later = dict(stage.chunk_outputs(T0 + 5 * STEP))['policy/command']
    np.testing.assert_allclose(later.data, [0.5, -0.5])
    # played out: a degraded status (the gate stops), no command
    ((topic, status),) = stage.chunk_outputs(T0 + 10 * STEP)
    assert topic == 'policy/status' and status.state == STATE_DEGRADED
    assert status.reason_code == REASON_STALE_INPUT and 'played out' in status.reason
