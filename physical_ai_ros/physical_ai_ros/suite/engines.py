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

"""Where a suite's cases run: this process, worker processes here, or a Ray cluster.

Every engine runs :func:`~physical_ai_ros.suite.case.run_case` per :class:`Job` and hands each
:class:`~physical_ai_ros.suite.case.CaseResult` to a callback as it finishes. Failures stay
inside their case: an exception, a crash or a case past ``case_timeout_s`` becomes an error
result with the tail of the case's log while the others go on; a worker that dies (killed,
out of memory) has its case run once more. Ctrl-C (KeyboardInterrupt) stops the running cases
and propagates; what finished is already in the cache.

- ``sequential``: one case after another in this process (the baseline); with a case timeout,
  each in a forked child, one at a time, so that it can be stopped.
- ``local``: worker processes forked from this one, ``workers`` at a time.
- ``ray``: each case a Ray task (``ray.init()`` starts a local cluster, ``address`` joins one).
  The workers read the bags and write the cache where the driver names them: on a cluster,
  a filesystem they all mount at the same path. Per case the driver sends a :class:`Job`
  (paths, a few hundred bytes) and gets a result back (a few kB). A case's timeout counts
  from when its worker starts it (its log appears), not from submission.

A case killed, timed out or cancelled leaves no half-built folder in the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import contextlib
from dataclasses import dataclass
import multiprocessing
import os
from pathlib import Path
import signal
import sys
import time
import traceback
from typing import Any

from physical_ai_ros.suite.case import CaseResult, ERROR, remove_work_folders, run_case
from physical_ai_ros.suite.spec import Case

ENGINES = ('local', 'ray', 'sequential')
LOG_TAIL_LINES = 20
POLL_S = 0.05


@dataclass(frozen=True)
class Job:
    """A case to run: what, against which golden bag, into which cache folder, logging where."""

    case: Case
    key: str
    golden: Path
    golden_digest: str
    tolerances: Path | None
    folder: Path
    log: Path
    all_reports: bool = False  # False: a report only for a case that did not pass


Report = Callable[[CaseResult], None]
Started = Callable[[Job], None]


def run_jobs(
    jobs: Sequence[Job], engine: str, report: Report, *, workers: int = 2,
    case_timeout_s: float = 0.0, address: str = '', started: Started | None = None,
) -> None:  # fmt: skip
    """Run ``jobs`` on ``engine``, calling ``report`` with each result as it comes."""
    started = started or (lambda job: None)
    if engine == 'sequential' and case_timeout_s:
        _local(jobs, report, started, 1, case_timeout_s)
    elif engine == 'sequential':
        for job in jobs:
            started(job)
            report(_in_process(job))
    elif engine == 'local':
        _local(jobs, report, started, workers, case_timeout_s)
    elif engine == 'ray':
        _ray(jobs, report, started, workers, case_timeout_s, address)
    else:
        raise ValueError(f'engine {engine!r}: one of {ENGINES}')


def error_result(job: Job, message: str, attempts: int = 1) -> CaseResult:
    """A case that gave no result: why, and the end of its log."""
    return CaseResult(
        job.case.case_id, job.case.group, job.key, ERROR, error=message, attempts=attempts,
        log_tail=log_tail(job.log), golden_digest=job.golden_digest,
    )  # fmt: skip


def log_tail(log: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a case's log ('' when it has none)."""
    try:
        text = log.read_text(encoding='utf-8', errors='replace')
    except OSError:
        return ''
    return '\n'.join(text.splitlines()[-lines:])


def _run_logged(job: Job) -> CaseResult:
    """Run a job with its output (Python's and the libraries' own) appended to its log."""
    job.log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with job.log.open('a', encoding='utf-8') as log:
        log.write(f'attempt in pid {os.getpid()}: {job.case.case_id}\n')
        log.flush()
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
                return run_case(job.case, job.key, job.golden, job.tolerances, job.folder,
                                job.golden_digest, all_reports=job.all_reports)  # fmt: skip
        finally:
            log.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _in_process(job: Job) -> CaseResult:
    try:
        return _run_logged(job)
    except Exception as exc:  # the case failed, not the suite
        with job.log.open('a', encoding='utf-8') as log:
            log.write(traceback.format_exc())
        return error_result(job, f'{type(exc).__name__}: {exc}'[:500])


def _attempts(job: Job) -> int:
    return sum(
        line.startswith('attempt in pid') for line in log_tail(job.log, 10_000).splitlines()
    )


# --- local: forked worker processes -----------------------------------------------------------


def _child(job: Job) -> None:  # pragma: no cover - runs in the forked process
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C stops
    result = _in_process(job)
    os._exit(0 if result.verdict != ERROR else 3)


def _local(
    jobs: Sequence[Job], report: Report, started: Started, workers: int, timeout_s: float
) -> None:
    context = multiprocessing.get_context('fork')  # workers start warm: modules imported here
    pending = list(jobs)
    running: dict[Any, tuple[Job, float]] = {}
    retried: set[str] = set()
    try:
        while pending or running:
            while pending and len(running) < max(1, workers):
                job = pending.pop(0)
                process = context.Process(target=_child, args=(job,), daemon=True)
                # registered before it starts: a signal landing during the fork still finds it
                running[process] = (job, time.monotonic())
                process.start()
                started(job)
            time.sleep(POLL_S)
            for process, (job, began) in list(running.items()):
                if process.is_alive():
                    if timeout_s and time.monotonic() - began > timeout_s:
                        process.kill()
                        process.join()
                        del running[process]
                        remove_work_folders(job.folder)
                        report(error_result(job, f'timed out after {timeout_s:g} s (killed)',
                                            _attempts(job)))  # fmt: skip
                    continue
                process.join()
                del running[process]
                code = process.exitcode
                if code == 0:
                    result = CaseResult.read(job.folder / 'result.json')
                    result.attempts = _attempts(job)
                    report(result)
                elif code is not None and code < 0 and job.case.case_id not in retried:
                    retried.add(job.case.case_id)  # the worker died: once more
                    remove_work_folders(job.folder)
                    pending.insert(0, job)
                elif code is not None and code < 0:
                    remove_work_folders(job.folder)
                    report(error_result(job, f'the worker died twice (signal {-code})',
                                        _attempts(job)))  # fmt: skip
                else:
                    report(_error_from_log(job))
    except KeyboardInterrupt:
        for process in running:
            if process.pid is not None:  # started (a signal may land before the fork)
                process.kill()
        for child in multiprocessing.active_children():  # any worker not yet registered
            child.kill()
        for process, (job, _) in running.items():
            if process.pid is not None:
                process.join()
            remove_work_folders(job.folder)
        raise


def _error_from_log(job: Job) -> CaseResult:
    tail = log_tail(job.log)
    last = tail.splitlines()[-1] if tail else 'the case failed'
    return error_result(job, last[:500], _attempts(job))


# --- ray ----------------------------------------------------------------------------------------


def ray_token_available() -> bool:
    """Whether this machine holds a Ray cluster token (as ``ray start --head`` writes one)."""
    if os.environ.get('RAY_AUTH_TOKEN'):
        return True
    path = os.environ.get('RAY_AUTH_TOKEN_PATH') or os.path.expanduser('~/.ray/auth_token')
    return os.path.isfile(path)


def join_ray(address: str) -> None:
    """Join the Ray cluster at ``address``, with its token where one is at hand.

    Ray 2.5x's ``ray start --head`` turns token authentication on, while a driver joining by
    address leaves it off unless ``RAY_AUTH_MODE=token`` is set: the join then fails with
    ``InvalidAuthToken``. Where the user set no mode and a token is available, token mode is
    used. Failures to join are one line (:class:`~physical_ai_ros.core.errors.PhysicalAiError`).
    """
    import ray

    from physical_ai_ros.core.errors import PhysicalAiError

    if 'RAY_AUTH_MODE' not in os.environ and ray_token_available():
        os.environ['RAY_AUTH_MODE'] = 'token'
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    except (ConnectionError, ray.exceptions.RayError) as exc:
        cause = exc.__cause__ or exc
        first = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        raise PhysicalAiError(
            f'--address {address}: cannot join the Ray cluster ({first[:300]}); on a cluster '
            'with token authentication, copy its token to ~/.ray/auth_token or set '
            'RAY_AUTH_TOKEN'
        ) from exc


def _ray_task(job: Job) -> CaseResult:  # pragma: no cover - runs in a Ray worker
    return _in_process(job)


def _ray(
    jobs: Sequence[Job], report: Report, started: Started, workers: int, timeout_s: float,
    address: str,
) -> None:  # fmt: skip
    import ray

    if not ray.is_initialized():
        if address:
            join_ray(address)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    capacity = max(1, int(ray.cluster_resources().get('CPU', workers)))
    # one CPU per case; a worker that dies is retried once by Ray, exceptions are results
    task = ray.remote(num_cpus=1, max_retries=1, retry_exceptions=False)(_ray_task)
    pending = list(jobs)
    running: dict[Any, tuple[Job, float | None]] = {}  # ref -> (job, when its worker began)
    try:
        while pending or running:
            while pending and len(running) < capacity:
                job = pending.pop(0)
                running[task.remote(job)] = (job, None)
                started(job)
            ready, _ = ray.wait(list(running), num_returns=1, timeout=POLL_S)
            for ref in ready:
                job, _ = running.pop(ref)
                try:
                    result = ray.get(ref)
                    result.attempts = _attempts(job)
                    report(result)
                except ray.exceptions.RayError as exc:  # the worker died twice, or cancelled
                    report(error_result(job, f'{type(exc).__name__}: {exc}'.splitlines()[0][:500],
                                        _attempts(job)))  # fmt: skip
            if timeout_s:
                now = time.monotonic()
                for ref, (job, began) in list(running.items()):
                    if began is None:  # queued in Ray until its worker opens the log
                        running[ref] = (job, now if job.log.exists() else None)
                    elif now - began > timeout_s:
                        ray.cancel(ref, force=True)
                        del running[ref]
                        remove_work_folders(job.folder)
                        report(error_result(job, f'timed out after {timeout_s:g} s (cancelled)',
                                            _attempts(job)))  # fmt: skip
    except KeyboardInterrupt:
        for ref in running:
            ray.cancel(ref, force=True)
        for job, _ in running.values():
            remove_work_folders(job.folder)
        raise


__all__ = [
    'ENGINES',
    'Job',
    'error_result',
    'join_ray',
    'log_tail',
    'ray_token_available',
    'run_jobs',
]
