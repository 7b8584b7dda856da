"""Learning benchmark: dataset export speed, training time per epoch, the learned model's step.

- Export: a recorded MuJoCo episode exported (replay + the runtime's observations + Parquet),
  alternated with a plain replay of the same bag (the baseline), in bag seconds per second.
- Training: seconds per epoch of ``train bc``'s network (64, 32) on that dataset, beside a
  one-layer (16) network, epochs alternated.
- Inference: the full policy step (observation assembly + ONNX run + output mapping) with the
  learned model and with the reference policy, call by call alternated, on the same inputs;
  and learned models of ``config/learn/bc_contract.yaml`` without and with 1 s of grid
  history (``history_s``; a new grid stamp every call, so that each step keeps a frame).

Run: ``make bench`` or ``.venv/bin/python bench/learn.py`` (needs the sim and train extras).
"""

from __future__ import annotations

from pathlib import Path
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import HEADER, measure_interleaved

from physical_ai_ros.core.params.schema import resolve
from physical_ai_ros.core.perception.grid import GridGeometry, SpatialGrid
from physical_ai_ros.core.policy.observation import PolicyInputs
from physical_ai_ros.core.policy.runtime import PolicyRuntime
from physical_ai_ros.learn.dataset import ContractSource, export_dataset, load_dataset
from physical_ai_ros.learn.train import features, train_bc
from physical_ai_ros.policies.loading import load_policy
from physical_ai_ros.policies.reference import SHIPPED
from physical_ai_ros.replay.runner import replay, ReplayOptions
import physical_ai_ros.sim  # noqa: F401 (before mujoco: it picks the headless renderer)
from physical_ai_ros.sim.episode import run_episode

CONFIG = Path(__file__).resolve().parents[1] / 'physical_ai_ros' / 'config'
PARAMS = CONFIG / 'mobile_base.yaml'
ROUNDS = 3


def epoch_seconds(
    x: np.ndarray, y: np.ndarray, hidden: tuple[int, ...], epochs: int
) -> list[float]:
    """Wall seconds of each of ``epochs`` epochs of an MLP of ``hidden`` (one BLAS thread)."""
    from sklearn.neural_network import MLPRegressor
    from threadpoolctl import threadpool_limits

    model = MLPRegressor(hidden_layer_sizes=hidden, batch_size=64, random_state=0)
    took = []
    with threadpool_limits(limits=1):
        for _ in range(epochs):
            began = time.perf_counter()
            model.partial_fit(x, y)
            took.append(time.perf_counter() - began)
    return took


def main() -> None:
    with tempfile.TemporaryDirectory(prefix='bench-learn-') as tmp:
        root = Path(tmp)
        bag = root / 'aisle'
        run_episode('aisle', 0, bag, seconds=20.0, options=ReplayOptions(params=PARAMS),
                    stop_at_goal=False)  # fmt: skip
        walls: dict[str, list[float]] = {'replay (baseline)': [], 'dataset export': []}
        for k in range(ROUNDS):  # A/B alternated
            began = time.perf_counter()
            replay(bag, root / f'replay{k}', ReplayOptions(params=PARAMS))
            walls['replay (baseline)'].append(time.perf_counter() - began)
            began = time.perf_counter()
            export_dataset([bag], PARAMS, SHIPPED, root / f'ds{k}')
            walls['dataset export'].append(time.perf_counter() - began)
        data = load_dataset(root / 'ds0', ContractSource.load(SHIPPED))
        print(f'export of a 20 s MuJoCo episode ({len(data.actions)} steps), {ROUNDS} rounds '
              'alternated:')  # fmt: skip
        for name, values in walls.items():
            median = statistics.median(values)
            print(f'  {name:<20} {median:6.2f} s   {20.0 / median:6.1f} bag s per s')
        ratio = statistics.median(walls['dataset export']) / statistics.median(
            walls['replay (baseline)'])  # fmt: skip
        print(f'  => export costs {ratio:.2f}x a replay')

        x = features(data.observations, ['grid']).astype(np.float64)
        per_epoch: dict[str, list[float]] = {'(64, 32)': [], '(16,) baseline': []}
        for _ in range(ROUNDS):
            per_epoch['(64, 32)'] += epoch_seconds(x, data.actions, (64, 32), 5)
            per_epoch['(16,) baseline'] += epoch_seconds(x, data.actions, (16,), 5)
        print(f'\ntraining, {len(x)} steps x {x.shape[1]} features, one BLAS thread:')
        for name, values in per_epoch.items():
            print(f'  MLP {name:<16} {1000 * statistics.median(values):8.1f} ms per epoch')

        model_path = root / 'bc.onnx'
        train_bc(root / 'ds0', SHIPPED, model_path, epochs=20)
        history_contract = root / 'history.yaml'
        history_contract.write_text(
            (CONFIG / 'learn' / 'bc_contract.yaml').read_text()
            .replace('fill_unknown: 0.3', 'fill_unknown: 0.3\n    history_s: [0.5, 1.0]')
        )  # fmt: skip
        export_dataset([bag], PARAMS, history_contract, root / 'ds_history')
        train_bc(root / 'ds_history', history_contract, root / 'history.onnx', epochs=20)
        one_frame_contract = CONFIG / 'learn' / 'bc_contract.yaml'  # the same, no history
        export_dataset([bag], PARAMS, one_frame_contract, root / 'ds_one_frame')
        train_bc(root / 'ds_one_frame', one_frame_contract, root / 'one_frame.onnx', epochs=20)
        values = resolve('policy_node', {})
        learned = PolicyRuntime(load_policy(values, model_path))
        reference = PolicyRuntime(load_policy(values, SHIPPED))
        with_history = PolicyRuntime(load_policy(values, root / 'history.onnx'))
        one_frame = PolicyRuntime(load_policy(values, root / 'one_frame.onnx'))
        grid = SpatialGrid(GridGeometry(200, 200, 0.1))  # the shipped params' grid
        grid.layer('occupancy')[:] = np.random.default_rng(0).uniform(0, 1, (200, 200))
        inputs = PolicyInputs(grid=grid, twist={'linear.x': 0.5, 'angular.z': 0.0})

        def history_step() -> object:
            grid.stamp_ns += 100_000_000  # a new grid every step, as at 10 Hz
            return with_history.step(inputs)

        stats = measure_interleaved(
            [('reference policy: full step', lambda: reference.step(inputs)),
             ('learned (bc) policy: full step', lambda: learned.step(inputs)),
             ('learned, bc_contract.yaml (80x80 -> 40x40)', lambda: one_frame.step(inputs)),
             ('learned, the same + 1 s of grid history', history_step)],
            runs=3000,
        )  # fmt: skip
        print('\ninference inside the full policy step (observation + ONNX + mapping):')
        print(HEADER)
        for row in stats:
            print(row.row(stats[0]))


if __name__ == '__main__':
    main()
