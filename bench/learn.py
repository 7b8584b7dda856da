"""Learning benchmark: dataset export speed, training time per epoch, the learned model's step.

- Export: a recorded MuJoCo episode exported (replay + the runtime's observations + Parquet),
  alternated with a plain replay of the same bag (the baseline), in bag seconds per second.
- Training: seconds per epoch of ``train bc``'s network (64, 32) on that episode exported
  with ``config/learn/bc_contract.yaml`` (3 grids of 20 x 20), repeated to 10,000 steps, as
  ``train bc`` fits it (float32, subnormal weights flushed each epoch) beside float32
  without the flush and float64 (scikit-learn's default), runs alternated: the first
  epochs and the last ones apart, as subnormal numbers appear after ~10 epochs.
- Inference: the full policy step (observation assembly + ONNX run + output mapping) with the
  learned model and with the reference policy, call by call alternated, on the same inputs;
  and learned models of ``config/learn/bc_contract.yaml`` without and with its 1 s of grid
  history (``history_s``; a new grid stamp every call, so that each step keeps a frame),
  and the mean of 4 such networks in one graph (``train bc --ensemble 4``).
- Ensemble training: 4 networks (as ``make demo-learn``) fitted in this process and in 2
  worker processes (``--jobs``), alternated, on the 10,000 steps: wall seconds and the
  speed-up; and the same for exporting 4 bags (``dataset export --jobs``, as ``sim
  collect`` does each round).

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
from physical_ai_ros.learn.train import features, fit_members, flush_subnormal, train_bc
from physical_ai_ros.policies.loading import load_policy
from physical_ai_ros.policies.reference import SHIPPED
from physical_ai_ros.replay.runner import replay, ReplayOptions
import physical_ai_ros.sim  # noqa: F401 (before mujoco: it picks the headless renderer)
from physical_ai_ros.sim.episode import run_episode

CONFIG = Path(__file__).resolve().parents[1] / 'physical_ai_ros' / 'config'
PARAMS = CONFIG / 'mobile_base.yaml'
ROUNDS = 3
TRAIN_STEPS, TRAIN_EPOCHS, TRAIN_ROUNDS = 10_000, 25, 2
ENSEMBLE, ENSEMBLE_EPOCHS = 4, 20  # as make demo-learn fits (45 epochs there)
EXPORT_BAGS = 4


def _mlp(seed: int) -> object:
    """A network as ``train bc`` makes it (64, 32)."""
    from sklearn.neural_network import MLPRegressor

    return MLPRegressor(hidden_layer_sizes=(64, 32), batch_size=64, random_state=seed)


def epoch_seconds(
    x: np.ndarray, y: np.ndarray, hidden: tuple[int, ...], epochs: int, *, flush: bool
) -> list[float]:
    """Wall seconds of each of ``epochs`` epochs of an MLP of ``hidden`` (one BLAS thread).

    ``flush``: as ``train bc`` fits (subnormal weights and moments set to zero every epoch).
    """
    from sklearn.neural_network import MLPRegressor
    from threadpoolctl import threadpool_limits

    model = MLPRegressor(hidden_layer_sizes=hidden, batch_size=64, random_state=0)
    took = []
    with threadpool_limits(limits=1):
        for _ in range(epochs):
            began = time.perf_counter()
            model.partial_fit(x, y)
            if flush:
                flush_subnormal(model)
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
        jobs_walls: dict[int, list[float]] = {1: [], 2: []}
        for k in range(ROUNDS - 1):  # A/B alternated
            for jobs in jobs_walls:
                began = time.perf_counter()
                export_dataset([bag] * EXPORT_BAGS, PARAMS, SHIPPED, root / f'dsj{jobs}_{k}',
                               jobs=jobs)  # fmt: skip
                jobs_walls[jobs].append(time.perf_counter() - began)
        alone, pooled = (statistics.median(jobs_walls[j]) for j in (1, 2))
        print(f'  {EXPORT_BAGS} bags exported in this process {alone:.1f} s, in 2 worker '
              f'processes {pooled:.1f} s => {alone / pooled:.2f}x faster')  # fmt: skip

        learn_contract = CONFIG / 'learn' / 'bc_contract.yaml'  # now, 0.5 s and 1 s ago
        export_dataset([bag], PARAMS, learn_contract, root / 'ds_history')
        history_data = load_dataset(root / 'ds_history', ContractSource.load(learn_contract))
        # the episode's real grids, repeated to the size of a demo-learn round (~10k steps)
        repeat = -(-TRAIN_STEPS // len(history_data.actions))
        x = np.tile(features(history_data.observations, ['grid']), (repeat, 1))
        y = np.tile(history_data.actions, (repeat, 1))
        runs = {
            'float32, flushed (train bc)': (np.float32, True),
            'float32, not flushed': (np.float32, False),
            'float64 (scikit-learn default)': (np.float64, False),
        }
        per_epoch: dict[str, list[list[float]]] = {name: [] for name in runs}
        for _ in range(TRAIN_ROUNDS):  # A/B/C alternated
            for name, (dtype, flush) in runs.items():
                per_epoch[name].append(epoch_seconds(x.astype(dtype), y.astype(dtype), (64, 32),
                                                     TRAIN_EPOCHS, flush=flush))  # fmt: skip
        print(f'\ntraining an MLP (64, 32), {len(x)} steps x {x.shape[1]} features '
              f'(bc_contract.yaml), one BLAS thread, {TRAIN_EPOCHS} epochs x {TRAIN_ROUNDS} '
              'runs alternated; median ms per epoch:')  # fmt: skip
        print(f'  {"":<32} {"epochs 1-5":>10} {"last 5":>10} {"all":>10}')
        medians = {}
        for name, curves in per_epoch.items():
            first = statistics.median(e for c in curves for e in c[:5])
            last = statistics.median(e for c in curves for e in c[-5:])
            medians[name] = statistics.median(e for c in curves for e in c)
            print(f'  {name:<32} {1000 * first:10.1f} {1000 * last:10.1f} '
                  f'{1000 * medians[name]:10.1f}')  # fmt: skip
        shipped = medians['float32, flushed (train bc)']
        for name in list(runs)[1:]:
            print(f'  => {name}: {medians[name] / shipped:.2f}x the time of train bc')

        ensemble_walls: dict[int, list[float]] = {1: [], 2: []}
        rows = (x.astype(np.float32), y.astype(np.float32), x[:500].astype(np.float32))
        for _ in range(TRAIN_ROUNDS):  # A/B alternated
            for jobs in ensemble_walls:
                members = [_mlp(k) for k in range(ENSEMBLE)]
                began = time.perf_counter()
                fit_members(members, rows, ENSEMBLE_EPOCHS, jobs)
                ensemble_walls[jobs].append(time.perf_counter() - began)
        alone, pooled = (statistics.median(ensemble_walls[j]) for j in (1, 2))
        print(f'\n{ENSEMBLE} networks x {ENSEMBLE_EPOCHS} epochs on those steps, '
              f'{TRAIN_ROUNDS} runs alternated: in this process {alone:.1f} s, in 2 worker '
              f'processes {pooled:.1f} s => {alone / pooled:.2f}x faster')  # fmt: skip

        model_path = root / 'bc.onnx'
        train_bc(root / 'ds0', SHIPPED, model_path, epochs=20)
        train_bc(root / 'ds_history', learn_contract, root / 'history.onnx', epochs=20)
        train_bc(root / 'ds_history', learn_contract, root / 'ensemble.onnx', epochs=20,
                 ensemble=ENSEMBLE)  # fmt: skip
        one_frame_contract = root / 'one_frame.yaml'  # the same without the earlier grids
        one_frame_contract.write_text(
            learn_contract.read_text().replace('    history_s: [0.5, 1.0]\n', '')
            .replace('bc_occupancy_history', 'bc_occupancy')
        )  # fmt: skip
        export_dataset([bag], PARAMS, one_frame_contract, root / 'ds_one_frame')
        train_bc(root / 'ds_one_frame', one_frame_contract, root / 'one_frame.onnx', epochs=20)
        values = resolve('policy_node', {})
        learned = PolicyRuntime(load_policy(values, model_path))
        reference = PolicyRuntime(load_policy(values, SHIPPED))
        with_history = PolicyRuntime(load_policy(values, root / 'history.onnx'))
        ensemble = PolicyRuntime(load_policy(values, root / 'ensemble.onnx'))
        one_frame = PolicyRuntime(load_policy(values, root / 'one_frame.onnx'))
        grid = SpatialGrid(GridGeometry(200, 200, 0.1))  # the shipped params' grid
        grid.layer('occupancy')[:] = np.random.default_rng(0).uniform(0, 1, (200, 200))
        inputs = PolicyInputs(grid=grid, twist={'linear.x': 0.5, 'angular.z': 0.0})

        def history_step(runtime: PolicyRuntime) -> object:
            grid.stamp_ns += 100_000_000  # a new grid every step, as at 10 Hz
            return runtime.step(inputs)

        stats = measure_interleaved(
            [('reference policy: full step', lambda: reference.step(inputs)),
             ('learned (bc) policy: full step', lambda: learned.step(inputs)),
             ('learned, bc_contract.yaml without history', lambda: one_frame.step(inputs)),
             ('learned, bc_contract.yaml (1 s of history)', lambda: history_step(with_history)),
             (f'the same, mean of {ENSEMBLE} networks', lambda: history_step(ensemble))],
            runs=3000,
        )  # fmt: skip
        print('\ninference inside the full policy step (observation + ONNX + mapping):')
        print(HEADER)
        for row in stats:
            print(row.row(stats[0]))


if __name__ == '__main__':
    main()
