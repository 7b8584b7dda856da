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

"""The reference policy: a reactive controller over the occupancy grid, as an ONNX graph.

It follows free space forward, slows down and turns away near obstacles, and stops when the
way ahead is blocked. It is built deterministically with ``onnx.helper`` (same bytes every
time), carries its contract in the model's metadata, and is what the demo and the tests run.
The package ships the built model (:data:`SHIPPED`, 20 kB) so that running it needs only
onnxruntime: ``onnx`` has no rosdep key, and a robot should not build its model at start-up.
A test rebuilds it and compares the bytes, so the shipped file cannot drift from this code.

Input ``grid``: ``(1, 1, 40, 40)`` occupancy probabilities of a 4 m x 4 m window at 0.1 m,
centred on the robot (columns along +x, rows along +y), unknown cells filled with 0.3.
Output ``action``: ``(1, 2)`` = (linear.x [m/s], angular.z [rad/s]).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import yaml

from physical_ai_ros.core.policy.contract import METADATA_KEY

#: The built model, shipped as package data (``physical-ai model make-reference`` rebuilds it).
SHIPPED = Path(__file__).with_name('reference_policy.onnx')

SIZE = 40
RESOLUTION = 0.1
MAX_SPEED = 0.8  # m/s when the way ahead is clear
MAX_TURN = 1.0  # rad/s
STOP_DISTANCE = 0.6  # m: an obstacle this close ahead stops the robot
SLOW_DISTANCE = 1.8  # m: obstacles ahead start slowing the robot from here
HALF_WIDTH = 0.45  # m: half the width of the corridor the robot needs

CONTRACT: dict[str, Any] = {
    'name': 'reference_reactive',
    'inputs': [
        {
            'tensor': 'grid',
            'source': 'grid',
            'layers': ['occupancy'],
            'size': [SIZE, SIZE],
            'resolution': RESOLUTION,
            'fill_unknown': 0.3,
        }
    ],
    'output': {'tensor': 'action', 'command': 'cmd_vel', 'fields': ['linear.x', 'angular.z']},
}


def _weights() -> dict[str, np.ndarray[Any, Any]]:
    """Constant masks over the window: ahead (for speed), left and right (for steering)."""
    centres = (np.arange(SIZE) + 0.5 - SIZE / 2) * RESOLUTION
    y, x = np.meshgrid(centres, centres, indexing='ij')  # rows are y, columns are x
    ahead = (x > 0.2) & (np.abs(y) <= HALF_WIDTH)
    closeness = np.clip((SLOW_DISTANCE - x) / (SLOW_DISTANCE - STOP_DISTANCE), 0.0, 1.0)
    distance = np.hypot(x, y)
    near = (x > -0.2) & (x < 2.0) & (distance < 2.0)
    side = near / (1.0 + distance)
    return {
        'w_ahead': (ahead * closeness).astype(np.float32)[None, None],
        'w_left': (side * (y > 0.1)).astype(np.float32)[None, None],
        'w_right': (side * (y < -0.1)).astype(np.float32)[None, None],
    }


def build_reference_policy() -> Any:
    """Return the reference policy as an ``onnx.ModelProto`` (needs the ``onnx`` package)."""
    import onnx
    from onnx import helper, numpy_helper, TensorProto

    def const(name: str, value: Any) -> Any:
        return numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)

    initializers = [const(k, v) for k, v in _weights().items()]
    initializers += [
        const('c_occ_threshold', 0.55), const('c_occ_gain', 5.0), const('c_zero', 0.0),
        const('c_one', 1.0), const('c_max_speed', MAX_SPEED), const('c_max_turn', MAX_TURN),
        const('c_escape', 0.7), const('c_minus_one', -1.0),
    ]  # fmt: skip
    nodes = [
        # occupied: 0 below p=0.55, 1 from p=0.75
        helper.make_node('Sub', ['grid', 'c_occ_threshold'], ['occ_centred']),
        helper.make_node('Mul', ['occ_centred', 'c_occ_gain'], ['occ_scaled']),
        helper.make_node('Clip', ['occ_scaled', 'c_zero', 'c_one'], ['occupied']),
        # danger: the closest obstacle in the corridor ahead, 1 at STOP_DISTANCE
        helper.make_node('Mul', ['occupied', 'w_ahead'], ['ahead']),
        helper.make_node('ReduceMax', ['ahead'], ['danger'], keepdims=0),
        helper.make_node('Sub', ['c_one', 'danger'], ['clearance']),
        helper.make_node('Clip', ['clearance', 'c_zero', 'c_one'], ['clearance_clipped']),
        helper.make_node('Mul', ['clearance_clipped', 'c_max_speed'], ['speed']),
        # steering: away from the more occupied side, and left when blocked head-on
        helper.make_node('Mul', ['occupied', 'w_left'], ['left_cells']),
        helper.make_node('ReduceSum', ['left_cells'], ['left'], keepdims=0),
        helper.make_node('Mul', ['occupied', 'w_right'], ['right_cells']),
        helper.make_node('ReduceSum', ['right_cells'], ['right'], keepdims=0),
        helper.make_node('Sub', ['right', 'left'], ['imbalance']),
        helper.make_node('Add', ['right', 'left'], ['total']),
        helper.make_node('Add', ['total', 'c_one'], ['total_plus_one']),
        helper.make_node('Div', ['imbalance', 'total_plus_one'], ['steer']),
        helper.make_node('Mul', ['danger', 'c_escape'], ['escape']),
        helper.make_node('Add', ['steer', 'escape'], ['turn_raw']),
        helper.make_node('Clip', ['turn_raw', 'c_minus_one', 'c_one'], ['turn_unit']),
        helper.make_node('Mul', ['turn_unit', 'c_max_turn'], ['turn']),
        helper.make_node('Unsqueeze', ['speed', 'axes0'], ['speed_1']),
        helper.make_node('Unsqueeze', ['turn', 'axes0'], ['turn_1']),
        helper.make_node('Concat', ['speed_1', 'turn_1'], ['action_flat'], axis=0),
        helper.make_node('Unsqueeze', ['action_flat', 'axes0'], ['action']),
    ]
    initializers.append(numpy_helper.from_array(np.array([0], dtype=np.int64), 'axes0'))
    graph = helper.make_graph(
        nodes,
        'reference_reactive',
        [helper.make_tensor_value_info('grid', TensorProto.FLOAT, [1, 1, SIZE, SIZE])],
        [helper.make_tensor_value_info('action', TensorProto.FLOAT, [1, 2])],
        initializers,
    )
    model = helper.make_model(
        graph,
        producer_name='physical_ai_ros',
        opset_imports=[helper.make_opsetid('', 13)],
        ir_version=7,  # loads in onnxruntime releases that ROS users still run
    )
    helper.set_model_props(model, {METADATA_KEY: yaml.safe_dump(CONTRACT, sort_keys=False)})
    onnx.checker.check_model(model)
    return model


def write_reference_policy(path: Path | str) -> Path:
    """Write the reference policy to ``path`` (contract embedded) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build_reference_policy().SerializeToString())
    return path
