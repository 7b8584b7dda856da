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
cached and usable). Cases with one key (the same bag, params and model under other names)
are replayed once: the others share its outputs, each judged against its own golden bag.
The run folder's logs start empty each run. :func:`update_golden` accepts a run;
:func:`diff_runs` compares two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import math
from pathlib import Path
import re
import shutil
import signal
import time

import numpy as np

from physical_ai_ros.replay.outputs import replace_golden
from physical_ai_ros.suite.cache import Keys
from physical_ai_ros.suite.case import (
    CANCELLED,
    CaseResult,
    ERROR,
    NEW,
    read_commands,
    rejudge,
    REPORT_FILE,
)  # fmt: skip
from physical_ai_ros.suite.engines import Job, run_jobs
from physical_ai_ros.suite.spec import Case, Suite
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
        elif not result.same_as:  # one that shares another's replay ran nowhere
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
            + (
                ' (cached)'
                if result.cached
                else f' (shares {result.same_as})'
                if result.same_as
                else f' in {result.wall_s:.1f} s'
            )
            + (f' - {detail}' if detail else '')
        )


@dataclass
class SuiteRun:
    """What a run gave: the results in suite order, and the run folder."""

    results: list[CaseResult]
    folder: Path
    interrupted: int = 0  # the signal that stopped it (SIGINT, SIGTERM), 0 if none


def run_suite(
    suite: Suite, run: Path, *, engine: str = 'local', workers: int = 2, address: str = '',
    no_cache: bool = False, case_timeout_s: float = 0.0, allow_new: bool = False,
    strict_bags: bool = False, all_reports: bool = False, say: Callable[[str], None] = print,
) -> SuiteRun:  # fmt: skip
    """Run every case of ``suite`` (see the module docstring); the verdict goes into ``run``.

    A case's ``report.html`` is built when it does not pass; ``all_reports`` builds every
    one (a cached case without its report is then replayed).

    A case whose bag was cut short (read up to its last complete chunk) says so in
    ``damaged``; with ``strict_bags`` it is an error.
    """
    began = time.monotonic()
    run = run.resolve()
    shutil.rmtree(run / 'logs', ignore_errors=True)  # a log per attempt of this run only
    run.mkdir(parents=True, exist_ok=True)
    keys = Keys(suite.tolerances, memo=suite.cache / 'bag-digests')
    results: dict[str, CaseResult] = {}
    jobs: list[Job] = []
    owner_of: dict[str, str] = {}  # key -> the first case with it, the one replayed
    sharing: dict[str, list[tuple[Case, str]]] = {}  # key -> the others waiting for it
    progress = Progress(len(suite.cases), workers, say)

    def judged(result: CaseResult) -> CaseResult:
        if strict_bags and result.damaged and result.verdict not in (ERROR, CANCELLED):
            result.verdict, result.error = ERROR, f'damaged bag (--strict-bags): {result.damaged}'
        return result

    def from_cache(case: Case, cached: Path, golden_digest: str, same_as: str = '') -> None:
        result = CaseResult.read(cached)
        if result.golden_digest != golden_digest:
            result = rejudge(result, suite.golden / case.case_id, suite.tolerances, golden_digest)
        result.cached = not same_as
        result.case_id, result.group, result.same_as = case.case_id, case.group, same_as
        results[case.case_id] = judged(result)
        progress.finish(result)

    for case in suite.cases:
        key = keys.case(case)
        golden = suite.golden / case.case_id
        golden_digest = keys.bag(golden)
        folder = suite.cache / key[:2] / key
        if key in owner_of:  # another name for a case already seen
            owner = results.get(owner_of[key])
            if owner is not None:  # it came from the cache: so does this one
                from_cache(case, Path(owner.folder) / 'result.json', golden_digest,
                           same_as=owner.case_id)  # fmt: skip
            else:
                sharing[key].append((case, golden_digest))
            continue
        owner_of[key], sharing[key] = case.case_id, []
        reported = not all_reports or (folder / REPORT_FILE).is_file()
        if not no_cache and reported and (folder / 'result.json').is_file():
            from_cache(case, folder / 'result.json', golden_digest)
            continue
        jobs.append(Job(case, key, golden, golden_digest, suite.tolerances, folder,
                        run / 'logs' / f'{safe_name(case.case_id)}.log', all_reports))  # fmt: skip

    def report(result: CaseResult) -> None:
        results[result.case_id] = judged(result)
        progress.finish(result)
        for other, golden_digest in sharing.get(result.key, []):
            if result.verdict in (ERROR, CANCELLED):
                shared = CaseResult(other.case_id, other.group, result.key, result.verdict,
                                    error=result.error, same_as=result.case_id)  # fmt: skip
                results[other.case_id] = shared
                progress.finish(shared)
            else:
                from_cache(other, Path(result.folder) / 'result.json', golden_digest,
                           same_as=result.case_id)  # fmt: skip

    interrupted = 0
    try:
        if jobs:  # a fully cached suite starts no worker and no cluster
            run_jobs(jobs, engine, report, workers=workers, case_timeout_s=case_timeout_s,
                     address=address, started=progress.start)  # fmt: skip
    except KeyboardInterrupt as exc:  # SIGINT, or SIGTERM as the CLI raises it
        interrupted = int(getattr(exc, 'signum', signal.SIGINT))
    ordered = [
        results.get(c.case_id) or CaseResult(c.case_id, c.group, '', CANCELLED)
        for c in suite.cases
    ]  # fmt: skip
    meta = {'suite': str(suite.path.resolve()), 'engine': engine, 'workers': workers,
            'wall_s': time.monotonic() - began, 'interrupted': bool(interrupted),
            'allow_new': allow_new, 'strict_bags': strict_bags,
            'all_reports': all_reports}  # fmt: skip
    write_summary(ordered, run, meta)
    write_junit(ordered, run, allow_new)
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
    """One case in two runs: behaviour metrics side by side (A, B) and how the commands differ.

    ``command_diff`` is per axis (mean |B - A|, max |B - A|) over A's command stamps, B's
    command held from its latest stamp (empty where either run has no commands).
    """

    case: str
    verdicts: tuple[str, str]
    stops: tuple[int, int]
    time_stopped_s: tuple[float, float]
    jerk_rms: tuple[float, float]
    min_clearance_m: tuple[float | None, float | None]
    command_diff: tuple[tuple[float, float], ...] = ()
    errors: tuple[str, str] = ('', '')


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
            (ra.min_clearance_m, rb.min_clearance_m), command_difference(ra, rb),
            (ra.error, rb.error),
        ))  # fmt: skip
    return diffs


def command_difference(a: CaseResult, b: CaseResult) -> tuple[tuple[float, float], ...]:
    """Per axis (mean, max) of |B - A| over A's commands, B's held (see :class:`CaseDiff`)."""
    if not a.folder or not b.folder or ERROR in (a.verdict, b.verdict):
        return ()
    ca, cb = read_commands(Path(a.folder)), read_commands(Path(b.folder))
    if not len(ca) or not len(cb) or ca.shape[1] != cb.shape[1] or ca.shape[1] < 2:
        return ()
    held = np.clip(np.searchsorted(cb[:, 0], ca[:, 0], side='right') - 1, 0, len(cb) - 1)
    gap = np.abs(cb[held, 1:] - ca[:, 1:])
    return tuple((float(m), float(x)) for m, x in zip(gap.mean(axis=0), gap.max(axis=0),
                                                      strict=True))  # fmt: skip


def format_diff(diffs: list[CaseDiff], name_a: str, name_b: str) -> str:
    """The diff as a plain table, with totals; A and B are named once, above it."""
    lines = [
        f'A = {name_a}, B = {name_b}',
        f'{"case":<40} {"verdict A/B":<21} {"stops A/B":>11} {"stopped s A/B":>15} '
        f'{"jerk rms A/B":>17}  |B-A| of the commands per axis (mean/max)',
    ]
    for d in diffs:
        verdicts = '/'.join(d.verdicts)
        gaps = ' '.join(f'{m:.3f}/{x:.3f}' for m, x in d.command_diff) or '-'
        lines.append(
            f'{d.case[:40]:<40} {verdicts:<21} {d.stops[0]:>5}/{d.stops[1]:<5} '
            f'{d.time_stopped_s[0]:>7.2f}/{d.time_stopped_s[1]:<7.2f} {d.jerk_rms[0]:>8.2f}/'
            f'{d.jerk_rms[1]:<8.2f}  {gaps}'
        )
        for side, error in zip('AB', d.errors, strict=True):
            if error:
                lines.append(f'  {side}: error: {error[:100]}')
    if diffs:
        stops = [sum(d.stops[k] for d in diffs) for k in (0, 1)]
        stopped = [sum(d.time_stopped_s[k] for d in diffs) for k in (0, 1)]
        biggest = max((x for d in diffs for _, x in d.command_diff), default=0.0)
        lines.append(f'total: stops {stops[0]} -> {stops[1]}, time stopped {stopped[0]:.2f} s '
                     f'-> {stopped[1]:.2f} s over {len(diffs)} case(s); largest command '
                     f'difference {biggest:.3f}')  # fmt: skip
    else:
        lines.append('no case in common')
    return '\n'.join(lines)


__all__ = [
    'NEW', 'CaseDiff', 'Progress', 'SuiteRun', 'command_difference', 'diff_runs', 'format_diff',
    'run_suite', 'safe_name', 'update_golden',
]  # fmt: skip
