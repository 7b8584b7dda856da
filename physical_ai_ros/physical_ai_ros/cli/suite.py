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


"""Fleet regression suites: ``suite run``, ``suite golden`` and ``suite diff``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import signal
import sys
from typing import TYPE_CHECKING

from physical_ai_ros.cli.arguments import positive, positive_int
from physical_ai_ros.core.errors import PhysicalAiError

if TYPE_CHECKING:
    from physical_ai_ros.cli.arguments import Commands


def register(commands: Commands) -> None:
    """Add ``suite run``, ``suite golden`` and ``suite diff``."""
    suite = commands.add_parser(
        'suite',
        help='regression suites: bags x params x models, one verdict (local workers or Ray)',
    )
    suite_commands = suite.add_subparsers(dest='suite_command', metavar='ACTION', required=True)
    suite_run = suite_commands.add_parser('run', help='run a suite file')
    suite_run.add_argument('suite', help='suite YAML')
    suite_run.add_argument(
        '--engine',
        choices=('local', 'ray', 'sequential'),
        default='local',
        help='worker processes here, Ray tasks, or one by one',
    )
    suite_run.add_argument(
        '--workers',
        type=positive_int,
        default=os.cpu_count() or 1,
        help='cases at once (local; Ray: CPUs of the local cluster; default: CPU cores)',
    )
    suite_run.add_argument(
        '--address',
        default='',
        help='Ray cluster to join (ray://... or HOST:PORT); default: start a local one',
    )
    suite_run.add_argument('--out', default='suite_run', help='run folder (verdict, logs)')
    suite_run.add_argument('--no-cache', action='store_true', help='replay every case')
    suite_run.add_argument(
        '--strict-bags',
        action='store_true',
        help='a bag cut short by a crash makes its case an error; default: read it up to its '
        'last complete chunk and say so',
    )
    suite_run.add_argument(
        '--allow-new',
        action='store_true',
        help='cases without a golden bag pass (a first run); default: they fail the run',
    )
    suite_run.add_argument(
        '--reports',
        choices=('failing', 'all'),
        default='failing',
        help="build a case's report.html only when it does not pass (default), or for all",
    )
    suite_run.add_argument(
        '--case-timeout',
        type=positive,
        default=None,
        help='seconds a case may run, from its start, on every engine; past it: an error',
    )
    suite_run.set_defaults(handler=_run)
    suite_golden = suite_commands.add_parser('golden', help="accept a run's outputs as golden")
    suite_golden.add_argument('suite', help='suite YAML (names the golden store)')
    suite_golden.add_argument('--update', action='store_true', help='replace the golden bags')
    suite_golden.add_argument('--run', default='suite_run', help='the run to accept')
    suite_golden.set_defaults(handler=_golden)
    suite_diff = suite_commands.add_parser('diff', help='two runs case by case (model A vs B)')
    suite_diff.add_argument('run_a', help='run folder of the baseline (suite run --out)')
    suite_diff.add_argument('run_b', help='run folder to compare with it')
    suite_diff.set_defaults(handler=_diff)


def _run(args: argparse.Namespace) -> int:
    """Run a regression suite; exit 1 if a case regressed, 2 on errors."""
    from physical_ai_ros.suite.case import ERROR, NEW
    from physical_ai_ros.suite.run import run_suite
    from physical_ai_ros.suite.spec import load_suite
    from physical_ai_ros.suite.verdict import exit_code, totals

    suite = load_suite(args.suite)
    run = Path(args.out)
    print(
        f'[suite] {len(suite.cases)} case(s) from {args.suite} on engine {args.engine} '
        f'({args.workers} worker(s){", " + args.address if args.address else ""})'
    )
    outcome = run_suite(
        suite,
        run,
        engine=args.engine,
        workers=args.workers,
        address=args.address,
        no_cache=args.no_cache,
        case_timeout_s=args.case_timeout or 0.0,
        allow_new=args.allow_new,
        strict_bags=args.strict_bags,
        all_reports=args.reports == 'all',
        say=lambda line: print(line, flush=True),
    )
    counts = ', '.join(f'{k} {v}' for k, v in totals(outcome.results).items() if v)
    print(f'[suite] {counts}')
    print(f'[suite] verdict: {run / "index.html"}, {run / "junit.xml"}, {run / "summary.json"}')
    for result in outcome.results:
        if result.damaged and result.verdict != ERROR:
            print(f'[suite] warning: {result.case_id} read a damaged bag: {result.damaged}')
    new = [r.case_id for r in outcome.results if r.verdict == NEW]
    if new and not args.allow_new:
        print(
            f'[suite] {len(new)} case(s) without a golden bag fail the run (--allow-new lets '
            f'them pass): {", ".join(new[:5])}{" ..." if len(new) > 5 else ""}'
        )
    if outcome.interrupted:
        name = signal.Signals(outcome.interrupted).name
        print(f'physical-ai suite: stopped by {name}; the running cases were stopped, the '
              'finished ones are cached and in the verdict', file=sys.stderr)  # fmt: skip
        return 128 + outcome.interrupted
    return exit_code(outcome.results, args.allow_new)


def _golden(args: argparse.Namespace) -> int:
    """Accept a run's outputs as the suite's golden bags."""
    from physical_ai_ros.suite.run import update_golden
    from physical_ai_ros.suite.spec import load_suite

    if not args.update:
        raise PhysicalAiError('suite golden changes the golden store only with --update')
    suite = load_suite(args.suite)
    accepted = update_golden(suite, Path(args.run))
    print(f'golden store {suite.golden}: {len(accepted)} case(s) accepted from {args.run}')
    return 0


def _diff(args: argparse.Namespace) -> int:
    """Compare two runs case by case on behaviour: stops, time stopped, jerk, clearance."""
    from physical_ai_ros.suite.run import diff_runs, format_diff

    for run in (args.run_a, args.run_b):
        if not (Path(run) / 'summary.json').is_file():
            raise PhysicalAiError(f'{run}: not a suite run (no summary.json)')
    diffs = diff_runs(Path(args.run_a), Path(args.run_b))
    print(format_diff(diffs, Path(args.run_a).name, Path(args.run_b).name))
    return 0
