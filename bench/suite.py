"""Fleet suite benchmark: cases per minute sequentially, on worker processes and on Ray.

One suite of synthetic 20 s bags (the demo's sensors: 32x512 lidar, 640x360 JPEG, 16 IoT at
10 Hz) with the shipped params, run with ``--no-cache`` on each engine, alternated round by
round (sequential / local / ray, twice), the same cases every time. Reported:

- cases per minute per engine and the speed-up over sequential (goal: both engines >= 1.7x on
  this 2-core machine);
- Ray's per-case overhead: the round trip of a task that carries a real :class:`Job` and
  returns a real result but replays nothing (median of 50), against the median case time
  of a 20 s bag (goal <= 5 %); and Ray's cluster start, paid once per run;
- what the driver sends and receives per case (pickled bytes);
- a fully cached rerun of the suite (goal < 5 s) and its speed-up;
- how throughput would scale on a cluster: measured per-case cost x cases / workers.

Run: ``make bench`` or ``.venv/bin/python bench/suite.py [--bags 6 --rounds 2 --keep DIR]``
(needs ray; writing the 20 s bags takes a few minutes, --keep reuses them).
"""

from __future__ import annotations

import argparse
from pathlib import Path
import pickle
import shutil
import statistics
import tempfile
import time

from physical_ai_ros.suite.case import CaseResult
from physical_ai_ros.suite.engines import Job
from physical_ai_ros.suite.run import run_suite
from physical_ai_ros.suite.spec import load_suite

REPO = Path(__file__).resolve().parents[1]
PARAMS = REPO / 'physical_ai_ros' / 'config' / 'mobile_base.yaml'
ENGINES = ('sequential', 'local', 'ray')


def make_suite(root: Path, bags: int, seconds: float) -> Path:
    """``bags`` synthetic bags of ``seconds`` and a suite file naming them."""
    from physical_ai_ros.sim.synthetic import ScenarioConfig, write_synthetic_bag

    for seed in range(bags):
        bag = root / 'bags' / f'robot{seed}'
        if not bag.exists():  # kept from an earlier run with --keep
            write_synthetic_bag(bag, ScenarioConfig(seconds, seed))
    shutil.copy(PARAMS, root / 'base.yaml')
    path = root / 'suite.yaml'
    path.write_text(
        "golden: goldens/\ngroups:\n  - {name: fleet, bags: ['bags/*'], params: [base.yaml]}\n"
    )
    return path


def _noop(job: Job) -> CaseResult:
    """A task as large as a case's on the wire, doing none of its work."""
    return CaseResult(job.case.case_id, job.case.group, job.key, 'new', folder=str(job.folder))


def ray_round_trip(job: Job, runs: int = 50) -> tuple[float, float]:
    """(median, p99) ms of a Ray task carrying ``job`` and returning a result."""
    import ray

    task = ray.remote(num_cpus=1)(_noop)
    ray.get(task.remote(job))  # the worker is up
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        ray.get(task.remote(job))
        samples.append((time.perf_counter() - began) * 1000.0)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.99 * len(samples)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--bags', type=int, default=6)
    parser.add_argument('--seconds', type=float, default=20.0)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--keep', help='work folder kept between runs (its bags are reused)')
    args = parser.parse_args()
    import ray

    with tempfile.TemporaryDirectory(prefix='bench-suite-') as tmp:
        root = Path(args.keep or tmp)
        root.mkdir(parents=True, exist_ok=True)
        began = time.perf_counter()
        suite_file = make_suite(root, args.bags, args.seconds)
        took = time.perf_counter() - began
        print(f'{args.bags} bags of {args.seconds:g} s written in {took:.1f} s')
        walls: dict[str, list[float]] = {e: [] for e in ENGINES}
        case_walls: list[float] = []
        ray_start = time.perf_counter()
        ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
        ray_start_s = time.perf_counter() - ray_start
        for k in range(args.rounds):  # A/B/C, A/B/C: the machine's noise spread over all
            for engine in ENGINES:
                suite = load_suite(suite_file)
                began = time.perf_counter()
                run = run_suite(
                    suite, root / f'run-{engine}-{k}', engine=engine, workers=args.workers,
                    no_cache=True, say=lambda _: None,
                )  # fmt: skip
                walls[engine].append(time.perf_counter() - began)
                assert all(r.verdict == 'new' for r in run.results), [r.error for r in run.results]
                if engine == 'sequential':
                    case_walls.extend(r.wall_s for r in run.results)
        cached = []
        for k in range(3):
            began = time.perf_counter()
            run = run_suite(load_suite(suite_file), root / f'run-cached-{k}', say=lambda _: None)
            cached.append(time.perf_counter() - began)
            assert all(r.cached for r in run.results)
        suite = load_suite(suite_file)
        case = suite.cases[0]
        job = Job(case, 'k' * 64, suite.golden / case.case_id, '', None,
                  suite.cache / 'kk' / ('k' * 64), root / 'log.txt')  # fmt: skip
        trip_median, trip_p99 = ray_round_trip(job)
        result_bytes = len(pickle.dumps(run.results[0]))
        ray.shutdown()

    cases = args.bags
    median = {e: statistics.median(w) for e, w in walls.items()}
    per_minute = {e: cases * 60.0 / m for e, m in median.items()}
    case_s = statistics.median(case_walls)
    print(
        f'\n{cases} cases of {args.seconds:g} s bags, {args.rounds} rounds alternated, '
        f'{args.workers} workers (walls per round: '
        + ', '.join(f'{e} ' + '/'.join(f'{w:.1f}' for w in walls[e]) for e in ENGINES)
        + ' s)'
    )
    for engine in ENGINES:
        print(
            f'  {engine:<11} {median[engine]:6.1f} s  {per_minute[engine]:6.1f} cases/min  '
            f'{median["sequential"] / median[engine]:5.2f}x sequential'
        )
    print('  goal: local and ray >= 1.7x sequential')
    print(
        f'\nRay per case: task round trip {trip_median:.1f} ms median, {trip_p99:.1f} ms p99 '
        f'vs a {args.seconds:g} s-bag case {case_s:.2f} s median: '
        f'{100.0 * trip_median / 1000.0 / case_s:.2f} % (goal <= 5 %); cluster start '
        f'{ray_start_s:.1f} s once per run'
    )
    print(
        f'  the driver sends {len(pickle.dumps(job))} bytes per case (the Job) and receives '
        f'{result_bytes} bytes (the result); bags and outputs stay on the shared filesystem'
    )
    print(
        f'\nfully cached rerun: {statistics.median(cached):.2f} s median of 3 (goal < 5 s), '
        f'{median["sequential"] / statistics.median(cached):.0f}x faster than sequential'
    )
    print(
        f'\non a cluster: ~{case_s:.1f} s x cases / workers + {trip_median:.0f} ms per case '
        f'at the driver; e.g. 500 bags x 3 params x 2 models = 3000 cases on 64 workers: '
        f'~{case_s * 3000 / 64 / 60:.0f} min (bag I/O from shared storage not included)'
    )


if __name__ == '__main__':
    main()
