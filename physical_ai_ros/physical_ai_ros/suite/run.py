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

"""Running a suite: keys, the cache, the engine, progress, and the verdict files.

:func:`run_suite` hashes each case's inputs (:mod:`.cache`), reuses what the cache holds
(judging it again, without a replay, when its golden bag changed), runs the rest on the
engine, and writes ``summary.json``, ``junit.xml`` and ``index.html`` into the run folder,
also when Ctrl-C stops it (the cases not finished are ``cancelled``; those finished are
cached and usable). :func:`update_golden` accepts a run; :func:`diff_runs` compares two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import math
from pathlib import Path
import re
import time

from physical_ai_ros.replay.outputs import replace_golden
from physical_ai_ros.suite.cache import Keys
from physical_ai_ros.suite.case import CANCELLED, CaseResult, ERROR, NEW, rejudge
from physical_ai_ros.suite.engines import Job, run_jobs
from physical_ai_ros.suite.spec import Suite
from physical_ai_ros.suite.verdict import (
    read_summary,
    write_index,
    write_junit,
    write_summary,
)


def safe_name(case_id: str) -> str:
    """A case id as one file name."""
    return re.sub(r'[^A-Za-z0-9_.-]+', '__', case_id)


class Progress:
    """Cases done/total, running, cached, failed and an ETA: one plain line per event.

    Lines, not a redrawn bar: they read the same on a terminal and in a CI log.
    """

    def __init__(self, total: int, workers: int, say: Callable[[str], None]) -> None:
        self.total, self.workers, self.say = total, max(1, workers), say
        self.done = self.cached = self.failed = self.running = 0
        self.walls: list[float] = []
        self.began = time.monotonic()

    def start(self, job: Job) -> None:
        """A case started."""
        self.running += 1

    def finish(self, result: CaseResult) -> None:
        """A case finished (or came from the cache)."""
        self.done += 1
        if result.cached:
            self.cached += 1
        else:
            self.running = max(0, self.running - 1)
            self.walls.append(result.wall_s)
        self.failed += result.verdict == ERROR
        left = self.total - self.done
        eta = ''
        if left and self.walls:
            seconds = sorted(self.walls)[len(self.walls) // 2] * math.ceil(left / self.workers)
            eta = f', ETA {seconds:.0f} s'
        detail = result.error[:80] if result.error else (result.first_divergence or '')[:80]
        self.say(
            f'[suite] {self.done}/{self.total} done, {self.running} running, {self.cached} '
            f'cached, {self.failed} failed{eta} | {result.case_id}: {result.verdict}'
            + (' (cached)' if result.cached else f' in {result.wall_s:.1f} s')
            + (f' - {detail}' if detail else '')
        )


@dataclass
class SuiteRun:
    """What a run gave: the results in suite order, and the run folder."""

    results: list[CaseResult]
    folder: Path
    interrupted: bool = False


def run_suite(
    suite: Suite, run: Path, *, engine: str = 'local', workers: int = 2, address: str = '',
    no_cache: bool = False, case_timeout_s: float = 0.0, say: Callable[[str], None] = print,
) -> SuiteRun:  # fmt: skip
    """Run every case of ``suite`` (see the module docstring); the verdict goes into ``run``."""
    began = time.monotonic()
    run.mkdir(parents=True, exist_ok=True)
    keys = Keys(suite.tolerances, memo=suite.cache / 'bag-digests')
    results: dict[str, CaseResult] = {}
    jobs: list[Job] = []
    progress = Progress(len(suite.cases), workers, say)
    for case in suite.cases:
        key = keys.case(case)
        golden = suite.golden / case.case_id
        golden_digest = keys.bag(golden)
        folder = suite.cache / key[:2] / key
        cached = folder / 'result.json'
        if not no_cache and cached.is_file():
            result = CaseResult.read(cached)
            if result.golden_digest != golden_digest:
                result = rejudge(result, golden, suite.tolerances, golden_digest)
            result.cached, result.case_id, result.group = True, case.case_id, case.group
            results[case.case_id] = result
            progress.finish(result)
            continue
        jobs.append(Job(case, key, golden, golden_digest, suite.tolerances, folder,
                        run / 'logs' / f'{safe_name(case.case_id)}.log'))  # fmt: skip

    def report(result: CaseResult) -> None:
        results[result.case_id] = result
        progress.finish(result)

    interrupted = False
    try:
        run_jobs(jobs, engine, report, workers=workers, case_timeout_s=case_timeout_s,
                 address=address, started=progress.start)  # fmt: skip
    except KeyboardInterrupt:
        interrupted = True
        say('[suite] interrupted: the running cases were stopped; finished ones are cached')
    ordered = [
        results.get(c.case_id) or CaseResult(c.case_id, c.group, '', CANCELLED)
        for c in suite.cases
    ]  # fmt: skip
    meta = {'suite': str(suite.path), 'engine': engine, 'workers': workers,
            'wall_s': time.monotonic() - began, 'interrupted': interrupted}  # fmt: skip
    write_summary(ordered, run, meta)
    write_junit(ordered, run)
    write_index(ordered, run, meta)
    return SuiteRun(ordered, run, interrupted)


def update_golden(suite: Suite, run: Path) -> list[str]:
    """Accept ``run``: each case's output bag becomes its golden bag; returns the case ids.

    Errored and cancelled cases have no output and are left as they were.
    """
    _, results = read_summary(run)
    accepted = []
    for result in results:
        if result.verdict in (ERROR, CANCELLED) or not result.folder:
            continue
        golden = suite.golden / result.case_id
        golden.parent.mkdir(parents=True, exist_ok=True)
        replace_golden(Path(result.folder) / 'output', golden)
        accepted.append(result.case_id)
    return accepted


@dataclass(frozen=True)
class CaseDiff:
    """One case in two runs: behaviour metrics side by side (A, B)."""

    case: str
    verdicts: tuple[str, str]
    stops: tuple[int, int]
    time_stopped_s: tuple[float, float]
    jerk_rms: tuple[float, float]
    min_clearance_m: tuple[float | None, float | None]


def diff_runs(run_a: Path, run_b: Path) -> list[CaseDiff]:
    """Cases of two runs paired by id, or, when the runs used other models, by id less model."""
    _, a = read_summary(run_a)
    _, b = read_summary(run_b)
    by_b = {r.case_id: r for r in b}
    pair = {r.case_id: r.case_id for r in a if r.case_id in by_b}
    if not pair:
        strip = {r.case_id.rsplit('/', 1)[0]: r.case_id for r in b}
        pair = {r.case_id: strip[r.case_id.rsplit('/', 1)[0]] for r in a
                if r.case_id.rsplit('/', 1)[0] in strip}  # fmt: skip
    diffs = []
    for ra in a:
        if ra.case_id not in pair:
            continue
        rb = by_b[pair[ra.case_id]]
        name = ra.case_id if ra.case_id == rb.case_id else ra.case_id.rsplit('/', 1)[0]
        diffs.append(CaseDiff(
            name, (ra.verdict, rb.verdict), (sum(ra.stops.values()), sum(rb.stops.values())),
            (ra.time_stopped_s, rb.time_stopped_s), (ra.jerk_rms, rb.jerk_rms),
            (ra.min_clearance_m, rb.min_clearance_m),
        ))  # fmt: skip
    return diffs


def format_diff(diffs: list[CaseDiff], name_a: str, name_b: str) -> str:
    """The diff as a plain table, with totals."""
    lines = [
        f'{"case":<48} {"stops":>11} {"stopped s":>15} {"jerk rms":>17}  verdicts',
        f'{"":<48} {name_a[:5]:>5}/{name_b[:5]:<5} {"A":>7}/{"B":<7} {"A":>8}/{"B":<8}',
    ]
    for d in diffs:
        lines.append(
            f'{d.case[:48]:<48} {d.stops[0]:>5}/{d.stops[1]:<5} {d.time_stopped_s[0]:>7.2f}/'
            f'{d.time_stopped_s[1]:<7.2f} {d.jerk_rms[0]:>8.2f}/{d.jerk_rms[1]:<8.2f}  '
            f'{d.verdicts[0]}/{d.verdicts[1]}'
        )
    if diffs:
        stops = [sum(d.stops[k] for d in diffs) for k in (0, 1)]
        stopped = [sum(d.time_stopped_s[k] for d in diffs) for k in (0, 1)]
        lines.append(f'total: stops {stops[0]} -> {stops[1]}, time stopped {stopped[0]:.2f} s '
                     f'-> {stopped[1]:.2f} s over {len(diffs)} case(s)')  # fmt: skip
    else:
        lines.append('no case in common')
    return '\n'.join(lines)


__all__ = [
    'NEW', 'CaseDiff', 'Progress', 'SuiteRun', 'diff_runs', 'format_diff', 'run_suite',
    'safe_name', 'update_golden',
]  # fmt: skip
