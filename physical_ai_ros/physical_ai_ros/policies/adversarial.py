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


"""Adversarial policies: models that try to crash, to prove the collision monitor.

Each has the reference policy's contract (a 40 x 40 occupancy window in, ``(linear.x,
angular.z)`` out), so any params file that runs the reference runs them, and each is built
deterministically with ``onnx.helper``:

- ``forward``: full speed ahead, whatever it sees;
- ``forward_turning``: full speed ahead while turning left;
- ``random``: a seeded random linear map of the window (a command that changes with what it
  sees, in every direction);
- ``toward_obstacle``: full speed, turning towards the nearest occupied cells.

``physical-ai sim eval --adversarial NAME`` drives the robot with one of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import yaml

from physical_ai_ros.core.policy.contract import METADATA_KEY
from physical_ai_ros.policies.reference import CONTRACT, RESOLUTION, SIZE

ADVERSARIES = ('forward', 'forward_turning', 'random', 'toward_obstacle')


def _near_weights() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Left and right masks weighted by closeness (1 / d^2): the nearest cells dominate."""
    centres = (np.arange(SIZE) + 0.5 - SIZE / 2) * RESOLUTION
    y, x = np.meshgrid(centres, centres, indexing='ij')
    closeness = 1.0 / (x * x + y * y + 0.05)
    ahead = x > -0.3
    left = (closeness * ahead * (y > 0.05)).astype(np.float32)
    right = (closeness * ahead * (y < -0.05)).astype(np.float32)
    return left[None, None], right[None, None]


def build_adversary(name: str, seed: int = 0) -> Any:
    """The adversarial policy ``name`` as an ``onnx.ModelProto`` (needs ``onnx``).

    Raises:
        ValueError: an unknown name.
    """
    import onnx
    from onnx import helper, numpy_helper, TensorProto

    if name not in ADVERSARIES:
        raise ValueError(f'unknown adversarial policy {name!r}; known: {", ".join(ADVERSARIES)}')

    def const(key: str, value: Any) -> Any:
        return numpy_helper.from_array(np.asarray(value, dtype=np.float32), key)

    inits = [numpy_helper.from_array(np.array([1, SIZE * SIZE], dtype=np.int64), 'flat_shape')]
    nodes = [helper.make_node('Reshape', ['grid', 'flat_shape'], ['flat'])]
    if name in ('forward', 'forward_turning'):
        turn = 0.5 if name == 'forward_turning' else 0.0
        # the window still feeds the output (times zero), so the graph reads its input
        inits += [const('w', np.zeros((SIZE * SIZE, 2))), const('b', [[1.0, turn]])]
        nodes += [helper.make_node('Gemm', ['flat', 'w', 'b'], ['action'])]
    elif name == 'random':
        rng = np.random.default_rng(seed)
        inits += [const('w', rng.normal(0.0, 0.05, (SIZE * SIZE, 2))),
                  const('b', rng.normal(0.3, 0.3, (1, 2)))]  # fmt: skip
        nodes += [
            helper.make_node('Gemm', ['flat', 'w', 'b'], ['raw']),
            helper.make_node('Tanh', ['raw'], ['action']),
        ]
    else:
        left, right = _near_weights()
        inits += [const('w_left', left), const('w_right', right), const('c_gain', 0.05),
                  const('c_one', 1.0), const('c_minus_one', -1.0),
                  numpy_helper.from_array(np.array([0], dtype=np.int64), 'axes0')]  # fmt: skip
        nodes += [
            helper.make_node('Mul', ['grid', 'w_left'], ['left_cells']),
            helper.make_node('ReduceSum', ['left_cells'], ['left'], keepdims=0),
            helper.make_node('Mul', ['grid', 'w_right'], ['right_cells']),
            helper.make_node('ReduceSum', ['right_cells'], ['right'], keepdims=0),
            helper.make_node('Sub', ['left', 'right'], ['pull']),  # towards the fuller side
            helper.make_node('Mul', ['pull', 'c_gain'], ['pull_scaled']),
            helper.make_node('Clip', ['pull_scaled', 'c_minus_one', 'c_one'], ['turn']),
            helper.make_node('Unsqueeze', ['c_one', 'axes0'], ['speed_1']),
            helper.make_node('Unsqueeze', ['turn', 'axes0'], ['turn_1']),
            helper.make_node('Concat', ['speed_1', 'turn_1'], ['action_flat'], axis=0),
            helper.make_node('Unsqueeze', ['action_flat', 'axes0'], ['action']),
        ]
    graph = helper.make_graph(
        nodes,
        f'adversary_{name}',
        [helper.make_tensor_value_info('grid', TensorProto.FLOAT, [1, 1, SIZE, SIZE])],
        [helper.make_tensor_value_info('action', TensorProto.FLOAT, [1, 2])],
        inits,
    )
    model = helper.make_model(
        graph, producer_name='physical_ai_ros', opset_imports=[helper.make_opsetid('', 13)],
        ir_version=7,
    )  # fmt: skip
    contract = {**CONTRACT, 'name': f'adversary_{name}'}
    helper.set_model_props(model, {METADATA_KEY: yaml.safe_dump(contract, sort_keys=False)})
    onnx.checker.check_model(model)
    return model


def write_adversary(name: str, path: Path | str, seed: int = 0) -> Path:
    """Write adversarial policy ``name`` to ``path`` and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build_adversary(name, seed).SerializeToString())
    return path
