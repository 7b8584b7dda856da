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


"""Replay commands: ``replay`` (deterministic, against a golden bag) and ``compare``."""

from __future__ import annotations

import argparse
from pathlib import Path
import sys
from typing import Any, TYPE_CHECKING

from physical_ai_ros.cli.arguments import (
    add_link_arguments,
    add_topic_mapping,
    not_negative,
    remaps,
)
from physical_ai_ros.core.errors import PhysicalAiError

if TYPE_CHECKING:
    from physical_ai_ros.cli.arguments import Commands


def register(commands: Commands) -> None:
    """Add ``replay`` and ``compare``."""
    rp = commands.add_parser(
        'replay',
        help='replay a rosbag2 deterministically through the pipeline; compare with a golden bag',
        description='Feed a bag through perception, policy and safety gate in log-time order with '
        'bag time as the clock, write the outputs to OUT/output (MCAP), a report to '
        'OUT/report.html, and with --golden compare field by field: exit 1 on regression.',
    )
    rp.add_argument('bag', help='rosbag2 directory, .mcap or .db3 file')
    rp.add_argument('--params', help='ROS params file of the nodes (default: built-in defaults)')
    rp.add_argument('--model', help='ONNX policy (default: params model_path, else the reference)')
    rp.add_argument('--out', default='replay_output', help='output folder')
    rp.add_argument('--golden', help='golden output bag to compare with (or to write, see below)')
    rp.add_argument('--tolerances', help='tolerances YAML for the comparison')
    rp.add_argument(
        '--update-golden', action='store_true', help='accept this run as the new golden'
    )
    rp.add_argument(
        '--force', action='store_true', help='replace OUT/output if a previous run left it'
    )
    rp.add_argument(
        '--fail-on-deadline',
        action='store_true',
        help="exit 1 (and fail JUnit) if a policy step took longer than policy_node's "
        'deadline_ms on this machine',
    )
    rp.add_argument('--junit', help='JUnit XML path (default OUT/junit.xml with --golden)')
    add_topic_mapping(rp)
    rp.add_argument(
        '--grid-rate',
        type=not_negative,
        default=1.0,
        help='SpatialGrid record rate [Hz] (0: none)',
    )
    rp.add_argument(
        '--distro', choices=('humble', 'jazzy'), default='jazzy', help='standard type store'
    )
    rp.add_argument('--output-type', help=argparse.SUPPRESS)
    add_link_arguments(rp)
    rp.add_argument('--no-report', action='store_true', help='skip the HTML report')
    rp.add_argument('--quiet', action='store_true', help='no progress bar')
    rp.set_defaults(handler=_replay)

    compare = commands.add_parser(
        'compare',
        help='replay a bag with a learned and a reference policy; compare commands',
        description='Replay BAG through the pipeline twice, with --model and with --against '
        '(default: the built-in reference policy), and report for each: commands, whether all '
        "were finite and within the gate's velocity limits, how often the gate intervened; "
        'and how far apart their commands were. Exit 1 if a command was not finite or not '
        'within the limits.',
    )
    compare.add_argument('bag', help='rosbag2 directory, .mcap or .db3 file')
    compare.add_argument('--model', required=True, help='the learned ONNX policy')
    compare.add_argument('--against', help='the policy to compare with (default: reference)')
    compare.add_argument('--params', help='ROS params file of the nodes')
    compare.add_argument(
        '--out', default='compare_output', help='output folder (OUT/learned, OUT/reference)'
    )
    compare.add_argument('--force', action='store_true', help='replace earlier outputs')
    add_topic_mapping(compare)
    compare.set_defaults(handler=_compare)


def _replay(args: argparse.Namespace) -> int:
    """Replay a bag through the pipeline; compare with a golden bag; write the report."""
    from physical_ai_ros.core.stages import COMMAND_TOPICS
    from physical_ai_ros.replay.errors import OutputError
    from physical_ai_ros.replay.golden import command_series, compare_bags, Tolerances
    from physical_ai_ros.replay.junit import suite_name, write_junit
    from physical_ai_ros.replay.outputs import is_bag_folder, prepare_bag_output, replace_golden
    from physical_ai_ros.replay.report import summary, write_report
    from physical_ai_ros.replay.runner import replay, ReplayOptions

    out, bag = Path(args.out), Path(args.bag)
    if out.resolve() == bag.resolve() or bag.resolve() in out.resolve().parents:
        raise OutputError(out, f'is inside the input {bag}; choose another --out')
    golden = Path(args.golden) if args.golden else None
    if args.update_golden and golden is None:
        raise PhysicalAiError('--update-golden needs --golden PATH (where to store the baseline)')
    if golden is not None and args.update_golden and golden.exists() and not is_bag_folder(golden):
        raise OutputError(golden, 'exists and is not a golden bag; not replaced')
    _check_before_replaying(args, bag, golden)
    inputs = (bag,) if golden is None else (bag, golden)
    prepare_bag_output(out / 'output', inputs, force=args.force)
    options = ReplayOptions(
        params=Path(args.params) if args.params else None,
        model=Path(args.model) if args.model else None,
        namespace=args.namespace,
        remaps=remaps(args.remap),
        restamp=args.restamp,
        grid_rate_hz=args.grid_rate,
        distro=args.distro,
        link=Path(args.link) if args.link else None,
        remote_model=Path(args.remote_model) if args.remote_model else None,
    )
    tolerances = Tolerances.load(args.tolerances)
    with _ReplayProgress(enabled=not args.quiet) as progress:
        result = replay(args.bag, out, options, progress=progress)
    comparison = None
    golden_commands = None
    steps = len(result.latency_ms.get('policy', []))
    deadline = (
        (result.deadline_ms, result.deadline_misses, steps) if args.fail_on_deadline else None
    )

    def junit(comparison: Any) -> None:  # the comparison's cases and/or the deadline's
        path = write_junit(comparison, args.junit or out / 'junit.xml',
                           suite=suite_name(args.bag), deadline=deadline,
                           replay_s=result.wall_s)  # fmt: skip
        print(f'junit: {path}')

    if args.golden and not args.update_golden:
        comparison = compare_bags(result.out_bag, args.golden, tolerances)
        junit(comparison)
        topic = options.topic(COMMAND_TOPICS[args.output_type or _output_type(options)])
        golden_commands = command_series(args.golden, topic, result.axes)
    report = None
    if not args.no_report:
        compared = args.golden if args.golden and not args.update_golden else None
        report = write_report(result, out, comparison, golden_commands, compared)
    print(summary(result, comparison, report))
    if args.update_golden:
        assert golden is not None
        replace_golden(result.out_bag, golden)
        print(f'golden baseline updated: {golden}')
        return 0
    if comparison is None and deadline is not None:
        junit(None)
    if args.fail_on_deadline and result.deadline_misses:
        return 1
    return 1 if comparison is not None and not comparison.passed else 0


def _check_before_replaying(args: argparse.Namespace, bag: Path, golden: Path | None) -> None:
    """What would fail only after the whole replay, refused before it starts.

    Raises:
        PhysicalAiError: no such bag or golden bag, a params file with problems, a
            ``--junit`` with nothing to report or in a folder that does not exist.
    """
    if not bag.exists():
        raise PhysicalAiError(f'{bag}: does not exist')
    if args.params:
        from physical_ai_ros.core.params.config_check import check_params_file

        problems = check_params_file(Path(args.params))
        if problems:
            more = f' (and {len(problems) - 1} more: physical-ai check-config {args.params})'
            raise PhysicalAiError(problems[0].format(args.params) + (more if problems[1:] else ''))
    if golden is not None and not args.update_golden and not golden.exists():
        raise PhysicalAiError(
            f'--golden {golden}: no such golden bag; record one first with --update-golden'
        )
    if args.junit:
        if golden is None and not args.fail_on_deadline:
            raise PhysicalAiError(
                '--junit reports the golden comparison or the deadline: add --golden or '
                '--fail-on-deadline'
            )
        folder = Path(args.junit).resolve().parent
        if not folder.is_dir():
            raise PhysicalAiError(f'--junit {args.junit}: folder {folder} does not exist')


def _output_type(options: object) -> str:
    """The safety node's ``output_type`` in the params file of a replay (the command topic)."""
    from physical_ai_ros.core.params.config_check import load_node_params
    from physical_ai_ros.core.params.schema import resolve

    params = getattr(options, 'params', None)
    values = resolve('safety_node', load_node_params(params, 'safety_node') if params else {})
    return str(values['output_type'])


class _ReplayProgress:
    """Replay progress on stderr with tqdm: live on a terminal, a line every 10 s in CI logs."""

    def __init__(self, *, enabled: bool) -> None:
        from tqdm import tqdm

        tty = sys.stderr.isatty()
        self._bar = tqdm(
            total=100.0,
            desc='replaying',
            unit='%',
            file=sys.stderr,
            disable=not enabled,
            dynamic_ncols=tty,
            ncols=None if tty else 80,
            mininterval=0.1 if tty else 10.0,
            bar_format='{desc} {percentage:5.1f}% |{bar}| {elapsed} elapsed, {remaining} left',
        )

    def __call__(self, fraction: float) -> None:
        self._bar.update(min(max(fraction, 0.0), 1.0) * 100.0 - self._bar.n)

    def __enter__(self) -> _ReplayProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._bar.close()


def _compare(args: argparse.Namespace) -> int:
    """Replay a bag with a learned and a reference policy; compare what the gate let out."""
    from physical_ai_ros.learn.compare import compare_on_bag
    from physical_ai_ros.replay.outputs import prepare_bag_output
    from physical_ai_ros.replay.runner import ReplayOptions

    out = Path(args.out)
    for name in ('learned', 'reference'):
        prepare_bag_output(out / name / 'output', (Path(args.bag),), force=args.force)
    options = ReplayOptions(
        params=Path(args.params) if args.params else None,
        namespace=args.namespace,
        remaps=remaps(args.remap),
        restamp=args.restamp,
    )
    against = Path(args.against) if args.against else None
    comparison = compare_on_bag(Path(args.bag), out, options, Path(args.model), against)
    print(comparison.describe())
    return 0 if comparison.safe else 1
