"""Policy benchmark: one control step (observation + inference + gate) vs bare session.run.

Cases: the reference reactive policy (1x40x40 grid crop) and a small CNN over a 4x64x64 crop
of a 200x200 grid. Baseline: ``session.run`` on the same, already assembled input, in the same
run. Goals (issue 4): at most 10% overhead over bare session.run for the CNN, and observation
assembly under 0.5 ms.

Run: ``make bench`` or ``.venv/bin/python bench/policy.py``.
"""

from __future__ import annotations

from pathlib import Path
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
import onnxruntime as ort
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import HEADER, measure

from physical_ai_ros.core.perception.grid import GridGeometry, SpatialGrid
from physical_ai_ros.core.policy.contract import METADATA_KEY
from physical_ai_ros.core.policy.observation import PolicyInputs
from physical_ai_ros.core.policy.runtime import PolicyModel, PolicyRuntime
from physical_ai_ros.core.safety.control import feed_gate
from physical_ai_ros.core.safety.gate import SafetyConfig, SafetyGate
from physical_ai_ros.policies.reference import write_reference_policy

CNN_CONTRACT = {
    'name': 'bench_cnn',
    'inputs': [
        {
            'tensor': 'grid',
            'source': 'grid',
            'layers': ['occupancy', 'height_max', 'density', 'intensity'],
            'size': [64, 64],
            'fill_unknown': 0.0,
            'scale': [1.0, 0.5, 0.01, 0.001],
        }
    ],
    'output': {'tensor': 'action', 'command': 'cmd_vel', 'fields': ['linear.x', 'angular.z']},
}


def cnn_model(path: Path) -> Path:
    """A small navigation CNN, ~33 M multiply-adds.

    Conv(4->32) ReLU Conv(32->64, stride 2) ReLU Conv(64->64, stride 2) ReLU GAP Gemm(64->2)
    Tanh.
    """
    rng = np.random.default_rng(0)

    def weight(name: str, shape: tuple[int, ...]) -> onnx.TensorProto:
        return numpy_helper.from_array((rng.standard_normal(shape) * 0.1).astype(np.float32), name)

    inits = [
        weight('w1', (32, 4, 3, 3)), weight('b1', (32,)), weight('w2', (64, 32, 3, 3)),
        weight('b2', (64,)), weight('w3', (64, 64, 3, 3)), weight('b3', (64,)),
        weight('wf', (64, 2)), weight('bf', (2,)),
    ]  # fmt: skip
    conv = {'kernel_shape': [3, 3], 'strides': [2, 2], 'pads': [1, 1, 1, 1]}
    nodes = [
        helper.make_node(
            'Conv', ['grid', 'w1', 'b1'], ['c1'], kernel_shape=[3, 3], pads=[1, 1, 1, 1]
        ),
        helper.make_node('Relu', ['c1'], ['r1']),
        helper.make_node('Conv', ['r1', 'w2', 'b2'], ['c2'], **conv),
        helper.make_node('Relu', ['c2'], ['r2']),
        helper.make_node('Conv', ['r2', 'w3', 'b3'], ['c3'], **conv),
        helper.make_node('Relu', ['c3'], ['r3']),
        helper.make_node('GlobalAveragePool', ['r3'], ['gap']),
        helper.make_node('Flatten', ['gap'], ['flat']),
        helper.make_node('Gemm', ['flat', 'wf', 'bf'], ['fc']),
        helper.make_node('Tanh', ['fc'], ['action']),
    ]
    graph = helper.make_graph(
        nodes,
        'bench_cnn',
        [helper.make_tensor_value_info('grid', TensorProto.FLOAT, [1, 4, 64, 64])],
        [helper.make_tensor_value_info('action', TensorProto.FLOAT, [1, 2])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], ir_version=7)
    helper.set_model_props(model, {METADATA_KEY: yaml.safe_dump(CNN_CONTRACT)})
    path.write_bytes(model.SerializeToString())
    return path


def filled_grid() -> SpatialGrid:
    grid = SpatialGrid(GridGeometry(200, 200, 0.1))
    rng = np.random.default_rng(1)
    grid.data[:] = rng.random(grid.data.shape, dtype=np.float32)
    grid.data[:, ::7, ::5] = np.nan  # unknown cells to fill
    return grid


def bench_case(label: str, model_path: Path) -> None:
    model = PolicyModel.load(model_path)
    runtime = PolicyRuntime(model)
    gate = SafetyGate(
        SafetyConfig(
            axes=model.contract.axes,
            min_velocity=(-0.5, -1.0),
            max_velocity=(1.0, 1.0),
            max_accel=(1.0, 2.0),
            max_decel=(2.0, 4.0),
        )
    )
    inputs = PolicyInputs(grid=filled_grid())
    feeds = {k: v.copy() for k, v in runtime.builder.build(inputs).items()}
    session, output = model.session, [model.contract.output.tensor]
    clock = iter(range(0, 10**15, 50_000_000))

    def full_step() -> None:
        now = next(clock)
        feed_gate(gate, runtime.step(inputs), now)
        gate.update(now)

    print(f'\n{label}: inputs {[list(a.shape) for a in feeds.values()]}')
    print(HEADER)
    bare = measure('baseline: bare session.run', lambda: session.run(output, feeds), runs=1000)
    assemble = measure('observation assembly', lambda: runtime.builder.build(inputs), runs=1000)
    gate_only = measure('safety gate submit+update', lambda: full_gate(gate, clock), runs=1000)
    step = measure('full step (assembly + run + gate)', full_step, runs=1000)
    for stats in (bare, assemble, gate_only, step):
        print(stats.row(bare))
    overhead = (step.median_ms / bare.median_ms - 1.0) * 100.0
    print(
        f'  => overhead over bare session.run: {overhead:+.1f}% (median), '
        f'observation assembly {assemble.median_ms:.3f} ms median / {assemble.p99_ms:.3f} ms p99'
    )


def full_gate(gate: SafetyGate, clock: object) -> None:
    now = next(clock)  # type: ignore[call-overload]
    gate.submit([0.2, 0.1], now)
    gate.update(now)


def main() -> None:
    print(
        f'onnxruntime {ort.__version__}, providers {ort.get_available_providers()}, '
        '1 intra-op thread'
    )
    with tempfile.TemporaryDirectory() as tmp:
        bench_case('reference policy (1x40x40)', write_reference_policy(Path(tmp) / 'ref.onnx'))
        bench_case('CNN over a 4x64x64 grid crop', cnn_model(Path(tmp) / 'cnn.onnx'))


if __name__ == '__main__':
    main()
