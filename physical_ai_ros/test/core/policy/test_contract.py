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

"""Policy contracts: parsing, and validation against a model's declared tensors."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from physical_ai_ros.core.errors import ContractError
from physical_ai_ros.core.policy.contract import (
    check_against_model,
    GridInput,
    PolicyContract,
    VectorInput,
)

GOOD = """
name: test
inputs:
  - tensor: grid
    source: grid
    layers: [occupancy, height_max]
    size: [32, 32]
    offset: [0.0, 0.5]
    scale: 2.0
  - {tensor: state, source: odom_twist, names: [linear.x, angular.z]}
  - {tensor: prev, source: previous_action, size: 2}
output: {tensor: action, command: cmd_vel, fields: [linear.x, angular.z], scale: [0.5, 1.0]}
"""


def test_good_contract_parses_with_defaults() -> None:
    contract = PolicyContract.from_yaml(GOOD)
    grid = contract.input('grid')
    assert isinstance(grid, GridInput)
    assert grid.shape == (1, 2, 32, 32) and grid.offset == (0.0, 0.5) and grid.scale == (2.0, 2.0)
    prev = contract.input('prev')
    assert isinstance(prev, VectorInput) and prev.shape == (1, 2)
    assert contract.axes == ('linear.x', 'angular.z')
    assert contract.output.index == (0, 1) and contract.output.offset == (0.0, 0.0)


def joint_contract() -> dict[str, Any]:
    return {
        'inputs': [
            {'tensor': 'q', 'source': 'joint_position', 'names': ['j1', 'j2']},
            {
                'tensor': 'img',
                'source': 'image',
                'size': [64, 48],
                'encoding': 'rgb8',
                'layout': 'nhwc',
                'mean': [0.5, 0.5, 0.5],
                'std': [0.25, 0.25, 0.25],
            },
        ],
        'output': {
            'tensor': 'out',
            'command': 'joint_velocity',
            'fields': ['j1', 'j2'],
            'index': [3, 1],
        },
    }


def test_joint_and_image_contract() -> None:
    contract = PolicyContract.from_dict(joint_contract())
    assert contract.input('img').shape == (1, 64, 48, 3)
    assert contract.output.index == (3, 1)


DELETE = object()


def good_dict() -> dict[str, Any]:
    import yaml

    data: dict[str, Any] = yaml.safe_load(GOOD)
    return data


def edit(path: str, value: Any) -> dict[str, Any]:
    data = good_dict()
    target: Any = data
    keys = path.split('.')
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is DELETE:
        del target[last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return data


@pytest.mark.parametrize(
    ('data', 'match'),
    [
        ([1, 2], r'<root>: expected a mapping, got list'),
        (edit('inputs', []), r'inputs: expected a non-empty list'),
        (edit('extra', 1), r"<root>: unknown key 'extra'"),
        (edit('inputs.0.source', 'lidar'), r"inputs\[0\]\.source: 'lidar' is not one of grid"),
        (edit('inputs.0.layers', []), r'inputs\[0\]\.layers: expected a non-empty list of names'),
        (edit('inputs.0.size', [32]), r'inputs\[0\]\.size: expected \[rows, cols\]'),
        (edit('inputs.0.offset', [0.0]), r'inputs\[0\]\.offset: expected a number or a list of 2'),
        (edit('inputs.0.tensor', ''), r'inputs\[0\]\.tensor: expected a non-empty string'),
        (edit('inputs.1.tensor', 'grid'), r'inputs: tensor names repeat'),
        (
            edit('inputs.1.names', ['linear.q']),
            r"inputs\[1\]\.names: 'linear.q' is not a twist field",
        ),
        (edit('inputs.2.size', 0), r'inputs\[2\]\.size: expected the action length'),
        (edit('inputs.0.resolution', -0.1), r'inputs\[0\]\.resolution: expected a cell size > 0'),
        (edit('inputs.0.colour', 'x'), r"inputs\[0\]: unknown key 'colour'"),
        (edit('output.command', 'teleport'), r"output\.command: 'teleport' is not one of cmd_vel"),
        (
            edit('output.fields', ['linear.x', 'yaw']),
            r"output\.fields: 'yaw' is not a twist field",
        ),
        (edit('output.index', [0]), r'output\.index: expected 2 non-negative element indices'),
        (edit('output', DELETE), r'output: expected a mapping, got None'),
        (edit('output.fields', ['linear.x', 'linear.x']), r'output\.fields: names repeat'),
    ],
)
def test_bad_contracts_are_refused_with_their_reason(data: Any, match: str) -> None:
    with pytest.raises(ContractError, match=match):
        PolicyContract.from_dict(data)


@pytest.mark.parametrize(
    ('key', 'value', 'match'),
    [
        ('encoding', 'yuv', r"inputs\[1\]\.encoding: 'yuv' is not rgb8"),
        ('layout', 'chw', r"inputs\[1\]\.layout: 'chw' is not nchw or nhwc"),
        ('std', [1.0, 0.0, 1.0], r'inputs\[1\]\.std: must not be zero'),
    ],
)
def test_bad_image_inputs_are_refused(key: str, value: Any, match: str) -> None:
    data = joint_contract()
    data['inputs'][1][key] = value
    with pytest.raises(ContractError, match=match):
        PolicyContract.from_dict(data)


@pytest.mark.parametrize(
    'history',
    [[0.0], [-0.5], [1.0, 0.5], [0.5, 0.5], [11.0], 0.5, ['0.5'], [True]],
)
def test_a_bad_grid_history_is_refused_with_what_is_allowed(history: Any) -> None:
    data = {
        'inputs': [
            {'tensor': 'g', 'source': 'grid', 'layers': ['occupancy'], 'size': [4, 4],
             'history_s': history}
        ],
        'output': {'tensor': 'a', 'command': 'cmd_vel', 'fields': ['linear.x']},
    }  # fmt: skip
    with pytest.raises(ContractError, match=r'inputs\[0\]\.history_s.*increasing ages in seconds'):
        PolicyContract.from_dict(data)


def test_invalid_yaml_is_refused() -> None:
    with pytest.raises(ContractError, match='not valid YAML'):
        PolicyContract.from_yaml('inputs: [unclosed')


def arg(name: str, shape: list[Any], type_: str = 'tensor(float)') -> SimpleNamespace:
    return SimpleNamespace(name=name, shape=shape, type=type_)


MODEL_INPUTS = [arg('grid', ['batch', 2, 32, 32]), arg('state', [1, 2]), arg('prev', [None, 2])]
MODEL_OUTPUTS = [arg('action', [1, 2])]


def test_contract_fits_model_with_symbolic_batch() -> None:
    check_against_model(PolicyContract.from_yaml(GOOD), MODEL_INPUTS, MODEL_OUTPUTS)


@pytest.mark.parametrize(
    ('inputs', 'outputs', 'match'),
    [
        (
            MODEL_INPUTS[:2],
            MODEL_OUTPUTS,
            r"input 'prev': the model has no such input; it has \['grid', 'state'\]",
        ),
        (
            [*MODEL_INPUTS, arg('depth', [1, 1])],
            MODEL_OUTPUTS,
            r"input 'depth': the model needs it but the contract does not feed it",
        ),
        (
            [arg('grid', [1, 3, 32, 32]), *MODEL_INPUTS[1:]],
            MODEL_OUTPUTS,
            r"input 'grid': model expects shape \[1, 3, 32, 32\], contract gives \[1, 2, 32, 32\]",
        ),
        (
            [arg('grid', [1, 2, 32]), *MODEL_INPUTS[1:]],
            MODEL_OUTPUTS,
            r'model expects shape \[1, 2, 32\]',
        ),
        (
            [MODEL_INPUTS[0], arg('state', [1, 2], 'tensor(double)'), MODEL_INPUTS[2]],
            MODEL_OUTPUTS,
            r"input 'state': element type tensor\(double\)",
        ),
        (
            MODEL_INPUTS,
            [arg('cmd', [1, 2])],
            r"output 'action': the model has no such output; it has \['cmd'\]",
        ),
        (
            MODEL_INPUTS,
            [arg('action', [1, 1])],
            r"output 'action': model shape \[1, 1\] has 1 elements, contract reads index 1",
        ),
        (
            MODEL_INPUTS,
            [arg('action', [1, 2], 'tensor(int64)')],
            r"output 'action': element type tensor\(int64\)",
        ),
    ],
)
def test_contract_model_mismatch_names_tensor_and_shapes(
    inputs: Any, outputs: Any, match: str
) -> None:
    with pytest.raises(ContractError, match=match):
        check_against_model(PolicyContract.from_yaml(GOOD), inputs, outputs)
