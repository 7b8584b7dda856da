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

"""One case of a suite: replay, compare with its golden bag, report, and behaviour metrics.

:func:`run_case` is what every engine runs (in this process, a worker process or a Ray task):
the same :func:`~physical_ai_ros.replay.runner.replay` as ``physical-ai replay``, so a case's
output bag is the one a single replay writes. It works in a fresh folder and renames it into
place when done, so a case killed half way leaves nothing a later run would take for a result.
Its outcome is a :class:`CaseResult`, kept as ``result.json`` beside the outputs.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass, field
import json
import math
import os
from pathlib import Path
import shutil
import time
from typing import Any

import numpy as np

from physical_ai_ros.suite.spec import Case

PASSED, REGRESSED, NEW, ERROR, CANCELLED = 'passed', 'regressed', 'new', 'error', 'cancelled'
#: A case's report in its folder (built when it does not pass, or for all: ``--reports``).
REPORT_FILE = 'report.html'
COMMANDS_FILE = 'commands.json'


@dataclass
class TopicResult:
    """One topic's comparison with the golden bag."""

    topic: str
    compared: int
    divergence: str | None
    seconds: float


@dataclass
class CaseResult:
    """What a case gave: its verdict, where it first diverged, and how the robot behaved."""

    case_id: str
    group: str
    key: str
    verdict: str
    first_divergence: str | None = None
    first_divergence_s: float | None = None
    topics: list[TopicResult] = field(default_factory=list)
    stops: dict[str, int] = field(default_factory=dict)
    time_stopped_s: float = 0.0
    jerk_rms: float = 0.0
    faults: int = 0
    deadline_misses: int = 0
    #: the nearest occupied cell of perception's grid to the footprint (None: none seen)
    min_clearance_m: float | None = None
    #: the collision monitor's interventions per minute by zone (empty: none, or it was off)
    monitor_per_min: dict[str, float] = field(default_factory=dict)
    monitor_nearest_m: float | None = None  # its nearest return to the footprint
    #: the case whose replay this one shares (the same key: the same outputs)
    same_as: str = ''
    #: what was read of a bag cut short by a crash ('' for a whole bag): messages, seconds
    damaged: str = ''
    bag_seconds: float = 0.0
    wall_s: float = 0.0
    cached: bool = False
    golden_digest: str = ''  # the golden bag it was judged against ('' = none)
    attempts: int = 1
    error: str = ''
    log_tail: str = ''
    folder: str = ''  # where its outputs and report are

    def to_json(self) -> str:
        """The result as JSON (sorted keys)."""
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def read(cls, path: Path) -> CaseResult:
        """Read a ``result.json`` back."""
        return cls.from_dict(json.loads(path.read_text(encoding='utf-8')))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseResult:
        """Read back what :meth:`to_json` wrote."""
        topics = [TopicResult(**t) for t in data.get('topics', [])]
        return cls(**{**data, 'topics': topics})


def run_case(
    case: Case, key: str, golden: Path, tolerances: Path | None, folder: Path,
    golden_digest: str = '', *, all_reports: bool = False,
) -> CaseResult:  # fmt: skip
    """Replay ``case`` into ``folder`` (replaced when done) and judge it against ``golden``.

    Its ``report.html`` is built when it did not pass, or for every case with
    ``all_reports``: plotting a passed case's report is time a CI run does not need.

    Raises whatever the replay raises (a bad bag, params or model); engines turn that into an
    error result with the log's tail.
    """
    began = time.perf_counter()
    work = work_folder(folder, os.getpid())
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / 'pid').write_text(str(os.getpid()))  # for whoever needs to find a running case
    try:
        outcome = _replay_and_judge(case, key, golden, tolerances, work, golden_digest,
                                    all_reports)  # fmt: skip
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)  # a failed case leaves no scratch behind
        raise
    outcome.wall_s = time.perf_counter() - began
    outcome.folder = str(folder)
    (work / 'pid').unlink()
    (work / 'result.json').write_text(outcome.to_json())
    install(work, folder)
    return outcome


def work_folder(folder: Path, pid: int) -> Path:
    """Where the process ``pid`` builds ``folder`` before renaming it into place."""
    return folder.with_name(f'.{folder.name}.work-{pid}')


def remove_work_folders(folder: Path) -> None:
    """Remove every half-built copy of ``folder`` (its case was killed or cancelled)."""
    for work in folder.parent.glob(f'.{folder.name}.work-*'):
        shutil.rmtree(work, ignore_errors=True)


def install(work: Path, folder: Path) -> None:
    """Rename the finished ``work`` to ``folder``: readers see the old result or the new one.

    A result already there (an earlier run, or another process with the same key: the same
    outputs) is renamed aside first and removed after; if another process put its own in
    between, that one stays and ``work`` is dropped.
    """
    try:
        os.rename(work, folder)
        return
    except OSError:
        pass  # ``folder`` exists: renaming onto a non-empty folder fails
    aside = folder.with_name(f'.{folder.name}.old-{os.getpid()}')
    shutil.rmtree(aside, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):  # removed meanwhile by another process
        os.rename(folder, aside)
    try:
        os.rename(work, folder)
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(aside, ignore_errors=True)


def _replay_and_judge(
    case: Case, key: str, golden: Path, tolerances: Path | None, work: Path, golden_digest: str,
    all_reports: bool,
) -> CaseResult:  # fmt: skip
    from physical_ai_ros.core.stages import COMMAND_TOPICS
    from physical_ai_ros.replay.golden import command_series, compare_bags, Tolerances
    from physical_ai_ros.replay.report import write_report
    from physical_ai_ros.replay.runner import replay, ReplayOptions

    options = ReplayOptions(params=case.params, model=case.model, namespace=case.namespace,
                            remaps=dict(case.remaps))  # fmt: skip
    result = replay(case.bag, work, options)
    comparison, golden_commands = None, None
    if golden.is_dir():
        comparison = compare_bags(result.out_bag, golden, Tolerances.load(tolerances))
        output_type = result.output_type
        topic = options.topic(COMMAND_TOPICS[output_type])
        golden_commands = command_series(golden, topic, result.axes)
    outcome = CaseResult(case.case_id, case.group, key, NEW, golden_digest=golden_digest)
    judge(outcome, comparison)
    if all_reports or outcome.verdict != PASSED:
        write_report(result, work, comparison, golden_commands,
                     golden if golden.is_dir() else None)  # fmt: skip
    outcome.stops = dict(sorted(result.stops.items()))
    outcome.time_stopped_s, outcome.jerk_rms = behaviour(result.commands)
    write_commands(result.commands, work / COMMANDS_FILE)
    minutes = max(result.duration_s / 60.0, 1e-9)
    outcome.monitor_per_min = {
        zone: round(n / minutes, 3) for zone, n in (result.monitor_interventions or {}).items()
    }
    outcome.monitor_nearest_m = result.monitor_nearest_m
    outcome.min_clearance_m = result.nearest_obstacle_m
    outcome.faults = sum(result.faults.values())
    outcome.deadline_misses = result.deadline_misses
    outcome.bag_seconds = result.duration_s
    outcome.damaged = result.recovered
    return outcome


def judge(outcome: CaseResult, comparison: Any) -> None:
    """Set the verdict and per-topic results from a comparison (None: no golden, new)."""
    outcome.verdict, outcome.topics = NEW, []
    outcome.first_divergence = outcome.first_divergence_s = None
    if comparison is None:
        return
    outcome.verdict = PASSED if comparison.passed else REGRESSED
    first = comparison.first
    if first is not None:
        outcome.first_divergence, outcome.first_divergence_s = str(first), first.offset_s
    outcome.topics = [
        TopicResult(t.topic, t.compared, None if t.passed else str(t.divergence), t.seconds)
        for t in comparison.topics
    ]


def rejudge(
    outcome: CaseResult, golden: Path, tolerances: Path | None, golden_digest: str
) -> CaseResult:
    """A cached case against a golden bag that changed: compare again, do not replay."""
    from physical_ai_ros.replay.golden import compare_bags, Tolerances

    output = Path(outcome.folder) / 'output'
    comparison = (
        compare_bags(output, golden, Tolerances.load(tolerances)) if golden_digest else None
    )
    judge(outcome, comparison)
    outcome.golden_digest = golden_digest
    path = Path(outcome.folder) / 'result.json'
    staging = path.with_name(f'.result.json.{os.getpid()}')
    staging.write_text(outcome.to_json())
    os.replace(staging, path)  # whole or the old one, for whoever reads it at the same time
    return outcome


def behaviour(commands: list[tuple[int, list[float], str]]) -> tuple[float, float]:
    """(time stopped [s], RMS jerk of the first axis [unit/s^3]) of the gate's commands.

    Stopped: the gate's reason is not ``NONE`` until the next command. Jerk: the second
    derivative of the commanded velocity over the commands' own stamps; where several commands
    share a stamp (a new command and the gate's tick in the same instant) the last one is the
    one that held.
    """
    if len(commands) < 2:
        return 0.0, 0.0
    stamps = np.array([c[0] for c in commands], dtype=np.int64)
    dt = np.diff(stamps) / 1e9
    stopped = float(sum(d for d, c in zip(dt, commands, strict=False) if c[2] != 'NONE'))
    values = np.array([c[1][0] if c[1] else 0.0 for c in commands], dtype=np.float64)
    held = np.append(stamps[1:] != stamps[:-1], True)  # the last command at each stamp
    stamps, values = stamps[held], values[held]
    if len(values) < 4 or np.any(np.diff(stamps) <= 0):
        return stopped, 0.0
    acceleration = np.diff(values) / (np.diff(stamps) / 1e9)
    mid = (stamps[1:] + stamps[:-1]) / 2e9
    jerk = np.diff(acceleration) / np.diff(mid)
    rms = float(np.sqrt(np.mean(jerk**2))) if len(jerk) else 0.0
    return stopped, rms if math.isfinite(rms) else 0.0


def write_commands(commands: list[tuple[int, list[float], str]], path: Path) -> None:
    """The gate's commands as ``[[stamp_ns, value, ...], ...]`` (what ``suite diff`` compares)."""
    path.write_text(json.dumps([[c[0], *c[1]] for c in commands]), encoding='utf-8')


def read_commands(folder: Path) -> np.ndarray:
    """A case's commands (rows: stamp [ns], values per axis); empty where it has none."""
    try:
        rows = json.loads((folder / COMMANDS_FILE).read_text(encoding='utf-8'))
        return np.array(rows, dtype=np.float64).reshape(len(rows), -1)
    except (OSError, ValueError):
        return np.zeros((0, 0))


__all__ = [
    'CANCELLED',
    'ERROR',
    'NEW',
    'PASSED',
    'REGRESSED',
    'REPORT_FILE',
    'CaseResult',
    'TopicResult',
    'behaviour',
    'install',
    'judge',
    'read_commands',
    'rejudge',
    'remove_work_folders',
    'run_case',
    'work_folder',
    'write_commands',
]  # fmt: skip
