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

"""Policy runtime: loading, providers, sha256 pin, observations, NaN and deadline stops, swap."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
import pytest
import yaml

from physical_ai_ros.core.errors import ContractError, ModelError, PolicyInputError
from physical_ai_ros.core.perception.grid import GridGeometry, SpatialGrid
from physical_ai_ros.core.policy.contract import METADATA_KEY, PolicyContract
from physical_ai_ros.core.policy.observation import ObservationBuilder, PolicyInputs
from physical_ai_ros.core.policy.runtime import (
    PolicyModel,
    PolicyRuntime,
    select_providers,
    sha256_of,
)
from physical_ai_ros.core.safety.control import feed_gate
from physical_ai_ros.core.safety.gate import SafetyConfig, SafetyGate, StopReason

TWIST_CONTRACT = {
    'name': 'gain',
    'inputs': [{'tensor': 'state', 'source': 'odom_twist', 'names': ['linear.x', 'angular.z']}],
    'output': {'tensor': 'action', 'command': 'cmd_vel', 'fields': ['linear.x', 'angular.z']},
}


def gain_model(
    path: Path, gain: float, *, contract: dict[str, Any] | None = TWIST_CONTRACT
) -> Path:
    """Action = state * gain; ``gain`` NaN makes a model that outputs NaN."""
    graph = helper.make_graph(
        [helper.make_node('Mul', ['state', 'gain'], ['action'])],
        'gain',
        [helper.make_tensor_value_info('state', TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info('action', TensorProto.FLOAT, [1, 2])],
        [numpy_helper.from_array(np.array(gain, np.float32), 'gain')],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], ir_version=7)
    if contract is not None:
        helper.set_model_props(model, {METADATA_KEY: yaml.safe_dump(contract)})
    path.write_bytes(model.SerializeToString())
    return path


def inputs(vx: float = 0.5, wz: float = 0.1) -> PolicyInputs:
    return PolicyInputs(twist={'linear.x': vx, 'angular.z': wz})


def test_model_loads_runs_and_maps_output(tmp_path: Path) -> None:
    model = PolicyModel.load(gain_model(tmp_path / 'm.onnx', 2.0))
    assert model.providers == ['CPUExecutionProvider']
    assert model.sha256 == sha256_of((tmp_path / 'm.onnx').read_bytes())
    step = PolicyRuntime(model).step(inputs())
    np.testing.assert_allclose(step.action, [1.0, 0.2], rtol=1e-6)
    assert step.error == '' and not step.deadline_missed


def test_output_scale_and_offset_are_applied(tmp_path: Path) -> None:
    contract = {
        **TWIST_CONTRACT,
        'output': {
            **TWIST_CONTRACT['output'],
            'scale': [2.0, -1.0],
            'offset': [0.1, 0.0],
            'index': [1, 0],
        },
    }
    model = PolicyModel.load(gain_model(tmp_path / 'm.onnx', 1.0, contract=contract))
    step = PolicyRuntime(model).step(inputs(0.5, 0.25))
    np.testing.assert_allclose(step.action, [0.25 * 2.0 + 0.1, -0.5], rtol=1e-6)


def test_provider_fallback_to_cpu_is_logged(tmp_path: Path, caplog: Any) -> None:
    chosen, warnings = select_providers(['tensorrt', 'cuda', 'cpu'], ['CPUExecutionProvider'])
    assert chosen == ['CPUExecutionProvider'] and len(warnings) == 2
    assert 'TensorrtExecutionProvider is not available' in warnings[0]
    with caplog.at_level(logging.WARNING):
        model = PolicyModel.load(gain_model(tmp_path / 'm.onnx', 1.0), providers=['cuda'])
    assert model.providers == ['CPUExecutionProvider']
    assert 'CUDAExecutionProvider is not available here; falling back' in caplog.text
    with pytest.raises(ModelError, match="unknown execution provider 'tpu'"):
        select_providers(['tpu'], ['CPUExecutionProvider'])


def test_sha256_pin(tmp_path: Path) -> None:
    path = gain_model(tmp_path / 'm.onnx', 1.0)
    digest = sha256_of(path.read_bytes())
    assert PolicyModel.load(path, expected_sha256=digest.upper()).sha256 == digest
    with pytest.raises(ModelError, match=f'sha256 {digest} does not match the pinned 00ff'):
        PolicyModel.load(path, expected_sha256='00ff')


def test_missing_corrupt_and_contractless_models_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match='cannot read it'):
        PolicyModel.load(tmp_path / 'absent.onnx')
    (tmp_path / 'junk.onnx').write_bytes(b'\x08\x07garbage')
    with pytest.raises(ModelError, match='onnxruntime cannot load it'):
        PolicyModel.load(tmp_path / 'junk.onnx')
    bare = gain_model(tmp_path / 'bare.onnx', 1.0, contract=None)
    with pytest.raises(
        ContractError, match=r'no contract: none embedded .* and no bare\.contract\.yaml'
    ):
        PolicyModel.load(bare)
    (tmp_path / 'bare.contract.yaml').write_text(yaml.safe_dump(TWIST_CONTRACT))
    assert PolicyModel.load(bare).contract.name == 'gain'  # the sidecar file
    other = {**TWIST_CONTRACT, 'inputs': [{**TWIST_CONTRACT['inputs'][0], 'names': ['linear.x']}]}
    (tmp_path / 'explicit.yaml').write_text(yaml.safe_dump(other))
    with pytest.raises(
        ContractError,
        match=r"input 'state': model expects shape \[1, 2\], contract gives \[1, 1\]",
    ):
        PolicyModel.load(bare, contract_path=tmp_path / 'explicit.yaml')


def test_nan_model_stops_the_robot_within_one_control_period(tmp_path: Path) -> None:
    runtime = PolicyRuntime(PolicyModel.load(gain_model(tmp_path / 'nan.onnx', float('nan'))))
    gate = SafetyGate(SafetyConfig(
        axes=runtime.model.contract.axes, min_velocity=(-0.5, -1.0), max_velocity=(1.0, 1.0),
        max_accel=(1.0, 1.0), max_decel=(2.0, 2.0), stop_mode='immediate',
    ))  # fmt: skip
    gate.submit([0.5, 0.0], 0)
    gate.update(0)
    period = 50_000_000
    feed_gate(gate, runtime.step(inputs()), period)
    result = gate.update(period)  # the very next output
    assert result.reason is StopReason.NON_FINITE
    np.testing.assert_array_equal(result.command, [0.0, 0.0])


def test_deadline_miss_is_reported_and_stops(tmp_path: Path) -> None:
    ticks = iter([0, 80_000_000, 100_000_000, 110_000_000])  # 80 ms, then 10 ms
    runtime = PolicyRuntime(
        PolicyModel.load(gain_model(tmp_path / 'm.onnx', 1.0)),
        deadline_s=0.05,
        stopwatch=lambda: next(ticks),
    )
    slow = runtime.step(inputs())
    assert slow.deadline_missed and slow.latency_ms == pytest.approx(80.0)
    gate = SafetyGate(SafetyConfig(
        axes=('linear.x', 'angular.z'), min_velocity=(0.0, -1.0), max_velocity=(1.0, 1.0),
        max_accel=(1.0, 1.0), max_decel=(1.0, 1.0),
    ))  # fmt: skip
    feed_gate(gate, slow, 0, deadline_ms=50)
    result = gate.update(0)
    assert result.reason is StopReason.DEADLINE_MISS and '80.0 ms > 50 ms' in result.detail
    fast = runtime.step(inputs())
    assert not fast.deadline_missed
    assert runtime.stats.summary()['misses'] == 1.0 and runtime.stats.summary()['count'] == 2.0


def test_missing_input_is_a_policy_error_not_a_crash(tmp_path: Path) -> None:
    runtime = PolicyRuntime(PolicyModel.load(gain_model(tmp_path / 'm.onnx', 1.0)))
    step = runtime.step(PolicyInputs())
    assert step.action is None and 'no odom_twist received yet' in step.error
    gate = SafetyGate(
        SafetyConfig(('linear.x', 'angular.z'), (0.0, -1.0), (1.0, 1.0), (1.0, 1.0), (1.0, 1.0))
    )
    feed_gate(gate, step, 0)
    assert gate.update(0).reason is StopReason.POLICY_ERROR


def test_swap_keeps_old_model_until_new_one_validated(tmp_path: Path) -> None:
    runtime = PolicyRuntime(PolicyModel.load(gain_model(tmp_path / 'a.onnx', 1.0)))
    (tmp_path / 'broken.onnx').write_bytes(b'not onnx')
    with pytest.raises(ModelError):
        runtime.swap(PolicyModel.load(tmp_path / 'broken.onnx'))
    np.testing.assert_allclose(runtime.step(inputs()).action, [0.5, 0.1], rtol=1e-6)
    runtime.swap(PolicyModel.load(gain_model(tmp_path / 'b.onnx', 3.0)))
    np.testing.assert_allclose(runtime.step(inputs()).action, [1.5, 0.3], rtol=1e-6)


# --- observation assembly -----------------------------------------------------------------


def grid_with_pattern() -> SpatialGrid:
    grid = SpatialGrid(GridGeometry(width=10, height=8, resolution=0.1))
    occupancy = grid.layer('occupancy')
    occupancy[:] = np.arange(80, dtype=np.float32).reshape(8, 10)
    occupancy[0, 0] = np.nan
    grid.layer('height_max')[:] = 1.0
    return grid


def test_grid_crop_is_centred_filled_and_normalised() -> None:
    contract = PolicyContract.from_dict(
        {
            'inputs': [
                {
                    'tensor': 'g',
                    'source': 'grid',
                    'layers': ['occupancy', 'height_max'],
                    'size': [4, 6],
                    'offset': [0.0, 1.0],
                    'scale': [1.0, 2.0],
                    'fill_unknown': -1.0,
                }
            ],
            'output': {'tensor': 'a', 'command': 'cmd_vel', 'fields': ['linear.x']},
        }
    )
    feeds = ObservationBuilder(contract).build(PolicyInputs(grid=grid_with_pattern()))
    tensor = feeds['g']
    assert tensor.shape == (1, 2, 4, 6) and tensor.dtype == np.float32
    np.testing.assert_array_equal(tensor[0, 0], np.arange(80).reshape(8, 10)[2:6, 2:8])
    np.testing.assert_array_equal(tensor[0, 1], 0.0)  # (1 - 1) * 2


def test_grid_crop_larger_than_grid_pads_with_fill() -> None:
    contract = PolicyContract.from_dict(
        {
            'inputs': [
                {
                    'tensor': 'g',
                    'source': 'grid',
                    'layers': ['occupancy'],
                    'size': [10, 12],
                    'fill_unknown': -1.0,
                }
            ],
            'output': {'tensor': 'a', 'command': 'cmd_vel', 'fields': ['linear.x']},
        }
    )
    tensor = ObservationBuilder(contract).build(PolicyInputs(grid=grid_with_pattern()))['g'][0, 0]
    assert (tensor[0] == -1).all() and (tensor[:, 0] == -1).all()
    assert tensor[1, 1] == -1.0  # the NaN cell
    np.testing.assert_array_equal(tensor[1:9, 1:11][1:], np.arange(80).reshape(8, 10)[1:])


def test_grid_resize_and_resolution_check() -> None:
    contract = PolicyContract.from_dict(
        {
            'inputs': [
                {
                    'tensor': 'g',
                    'source': 'grid',
                    'layers': ['height_max'],
                    'size': [8, 10],
                    'resize': [4, 5],
                    'resolution': 0.1,
                }
            ],
            'output': {'tensor': 'a', 'command': 'cmd_vel', 'fields': ['linear.x']},
        }
    )
    builder = ObservationBuilder(contract)
    np.testing.assert_allclose(builder.build(PolicyInputs(grid=grid_with_pattern()))['g'], 1.0)
    coarse = SpatialGrid(GridGeometry(10, 8, 0.2))
    with pytest.raises(
        PolicyInputError, match=r'grid resolution 0.2 m, the model was made for 0.1 m'
    ):
        builder.build(PolicyInputs(grid=coarse))


def history_contract(history_s: list[float]) -> PolicyContract:
    return PolicyContract.from_dict(
        {
            'inputs': [
                {
                    'tensor': 'g',
                    'source': 'grid',
                    'layers': ['occupancy', 'height_max'],
                    'size': [2, 2],
                    'offset': [0.0, 1.0],
                    'scale': [2.0, 1.0],
                    'history_s': history_s,
                }
            ],
            'output': {'tensor': 'a', 'command': 'cmd_vel', 'fields': ['linear.x']},
        }
    )


def grid_at(stamp_ns: int, value: float) -> SpatialGrid:
    grid = SpatialGrid(GridGeometry(width=2, height=2, resolution=0.1))
    grid.layer('occupancy')[:] = value
    grid.layer('height_max')[:] = 1.0 + value
    grid.stamp_ns = stamp_ns
    return grid


def test_grid_history_stacks_the_grids_that_old_by_stamp() -> None:
    contract = history_contract([0.5, 1.0])
    assert contract.inputs[0].shape == (1, 6, 2, 2)
    assert contract.inputs[0].names[2:] == (
        'occupancy@-0.5s', 'height_max@-0.5s', 'occupancy@-1s', 'height_max@-1s'
    )  # fmt: skip
    builder = ObservationBuilder(contract)
    seen = {}
    for k in range(25):  # a grid every 0.1 s; its occupancy is its number
        feeds = builder.build(PolicyInputs(grid=grid_at(k * 100_000_000, float(k))))
        frames = feeds['g'][0, :, 0, 0]
        # every frame normalised alike: occupancy * 2, height_max - 1 (= its number)
        np.testing.assert_array_equal(frames[0::2], frames[1::2] * 2)
        seen[k] = frames[0::2] / 2
    assert list(seen[24]) == [24, 19, 14]  # 0.5 s and 1.0 s before
    assert list(seen[7]) == [7, 2, 0]  # younger than 1 s: the oldest there is
    assert list(seen[0]) == [0, 0, 0]
    assert len(builder._frames['g']) <= 12  # no more kept than the oldest age needs


def test_grid_history_counts_grids_not_steps_and_restarts_when_time_goes_back() -> None:
    builder = ObservationBuilder(history_contract([0.2]))

    def step(stamp_ms: int, value: float) -> list[float]:
        feeds = builder.build(PolicyInputs(grid=grid_at(stamp_ms * 1_000_000, value)))
        return list(feeds['g'][0, 0::2, 0, 0] / 2)

    assert step(0, 1.0) == [1.0, 1.0]
    assert step(100, 2.0) == [2.0, 1.0]
    assert step(100, 2.0) == [2.0, 1.0]  # a watchdog step on the same grid: nothing new kept
    assert step(200, 3.0) == [3.0, 1.0]
    assert step(50, 9.0) == [9.0, 9.0]  # a new run (sim time restarted): no frame of the old
    same = ObservationBuilder(history_contract([0.2]))  # same grids in, same bytes out
    for stamp_ms, value in ((0, 1.0), (100, 2.0), (100, 2.0), (200, 3.0), (50, 9.0)):
        out = same.build(PolicyInputs(grid=grid_at(stamp_ms * 1_000_000, value)))
    assert (
        out['g'].tobytes()
        == builder.build(PolicyInputs(grid=grid_at(50_000_000, 9.0)))['g'].tobytes()
    )


def test_vectors_image_and_missing_inputs() -> None:
    contract = PolicyContract.from_dict(
        {
            'inputs': [
                {'tensor': 'iot', 'source': 'iot', 'names': ['temp_00', 'temp_01'], 'fill': -9.0},
                {'tensor': 'q', 'source': 'joint_position', 'names': ['j2', 'j1']},
                {'tensor': 'prev', 'source': 'previous_action', 'size': 2},
                {
                    'tensor': 'img',
                    'source': 'image',
                    'size': [2, 3],
                    'encoding': 'bgr8',
                    'layout': 'nchw',
                    'mean': [10.0, 20.0, 30.0],
                    'std': [2.0, 2.0, 2.0],
                },
            ],
            'output': {'tensor': 'a', 'command': 'joint_velocity', 'fields': ['j1', 'j2']},
        }
    )
    builder = ObservationBuilder(contract)
    rgb = np.zeros((4, 6, 3), np.uint8)
    rgb[..., 0] = 50  # red
    feeds = builder.build(PolicyInputs(
        iot={'temp_00': 0.25}, joint_positions={'j1': 1.0, 'j2': 2.0},
        previous_action=np.array([0.1, 0.2]), image=rgb, image_encoding='rgb8',
    ))  # fmt: skip
    np.testing.assert_allclose(feeds['iot'], [[0.25, -9.0]])
    np.testing.assert_allclose(feeds['q'], [[2.0, 1.0]])
    np.testing.assert_allclose(feeds['prev'], [[0.1, 0.2]])
    assert feeds['img'].shape == (1, 3, 2, 3)
    np.testing.assert_allclose(
        feeds['img'][0, :, 0, 0], [(0 - 10) / 2, (0 - 20) / 2, (50 - 30) / 2]
    )  # b, g, r
    with pytest.raises(PolicyInputError, match="joint 'j2' missing from joint_states"):
        builder.build(PolicyInputs(joint_positions={'j1': 1.0}, image=rgb))
    with pytest.raises(PolicyInputError, match='no camera image received yet'):
        builder.build(PolicyInputs(joint_positions={'j1': 1.0, 'j2': 0.0}))
    with pytest.raises(PolicyInputError, match='previous action has 3 values'):
        builder.build(
            PolicyInputs(
                joint_positions={'j1': 1.0, 'j2': 0.0}, image=rgb, previous_action=np.zeros(3)
            )
        )


def test_reference_policy_model_is_deterministic_and_valid() -> None:
    from physical_ai_ros.policies.reference import build_reference_policy

    first = build_reference_policy().SerializeToString()
    assert first == build_reference_policy().SerializeToString()
    onnx.checker.check_model(onnx.load_model_from_string(first))


def wide_model(path: Path, shape: list[Any], contract_output: dict[str, Any]) -> Path:
    """A model answering three values (state and its sum) where the contract reads two."""
    graph = helper.make_graph(
        [
            helper.make_node('ReduceSum', ['state'], ['total'], keepdims=1),
            helper.make_node('Concat', ['state', 'total'], ['action'], axis=1),
        ],
        'wide',
        [helper.make_tensor_value_info('state', TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info('action', TensorProto.FLOAT, shape)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 11)], ir_version=7)
    contract = {**TWIST_CONTRACT, 'output': {**TWIST_CONTRACT['output'], **contract_output}}
    helper.set_model_props(model, {METADATA_KEY: yaml.safe_dump(contract)})
    path.write_bytes(model.SerializeToString())
    return path


def test_a_model_answering_more_than_the_contract_reads_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match=r'has 3 elements, contract reads 2 .*output.index'):
        PolicyModel.load(wide_model(tmp_path / 'wide.onnx', [1, 3], {}))
    # picking elements on purpose (output.index) is allowed
    chosen = PolicyModel.load(wide_model(tmp_path / 'pick.onnx', [1, 3], {'index': [2, 0]}))
    np.testing.assert_allclose(PolicyRuntime(chosen).step(inputs(0.5, 0.25)).action, [0.75, 0.5])


def test_an_output_size_is_checked_on_every_answer_too() -> None:
    # what the runtime applies to each answer of a model whose output shape is dynamic
    implicit = PolicyContract.from_yaml(yaml.safe_dump(TWIST_CONTRACT)).output
    assert implicit.size_problem(2) == ''
    assert 'has 3 elements, contract reads 2' in implicit.size_problem(3)
    assert 'contract reads index 1' in implicit.size_problem(1)
    picked = {**TWIST_CONTRACT, 'output': {**TWIST_CONTRACT['output'], 'index': [4, 0]}}
    chosen = PolicyContract.from_yaml(yaml.safe_dump(picked)).output
    assert chosen.size_problem(6) == '' and 'index 4' in chosen.size_problem(4)
