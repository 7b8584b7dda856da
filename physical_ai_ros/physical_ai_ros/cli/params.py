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


"""Parameter commands: ``check-config`` (validate params files) and ``params`` (the reference)."""

from __future__ import annotations

import argparse
from pathlib import Path
import sys
from typing import TYPE_CHECKING

from physical_ai_ros.core.errors import PhysicalAiError

if TYPE_CHECKING:
    from physical_ai_ros.cli.arguments import Commands


def register(commands: Commands) -> None:
    """Add ``check-config`` and ``params``."""
    check = commands.add_parser(
        'check-config',
        help='validate params files (unknown keys, types, ranges, required ones)',
        description='Check ros__parameters files against the declared parameters of every node. '
        'Each problem names the file and line, node, parameter, value and what is allowed. '
        'Exit 1 when any problem is found.',
    )
    check.add_argument('files', nargs='+', metavar='FILE', help='params YAML files')
    check.set_defaults(handler=_check_config)

    params = commands.add_parser(
        'params',
        help='print the parameter reference (Markdown)',
        description='Print every parameter of every node (type, default, unit, range, whether '
        'it can change at run time) as Markdown tables, from the one schema.',
    )
    params.add_argument('--output', help='write to this file instead of stdout')
    params.set_defaults(handler=_params)


def _check_config(args: argparse.Namespace) -> int:
    """Validate ros__parameters files; exit 1 when any problem is found."""
    from physical_ai_ros.core.params.config_check import check_params_file
    from physical_ai_ros.core.params.plausible import plausibility_warnings

    failed = False
    for path in args.files:
        if not Path(path).is_file():
            raise PhysicalAiError(f'{path}: no such file')
        problems = check_params_file(path)
        for problem in problems:
            print(problem.format(path), file=sys.stderr)
        if problems:
            failed = True
            print(f'{path}: {len(problems)} problem(s)', file=sys.stderr)
            continue
        warnings = plausibility_warnings(path)
        for warning in warnings:  # allowed, but unlikely: said, not refused
            print(warning, file=sys.stderr)
        print(f'{path}: OK' + (f' ({len(warnings)} warning(s))' if warnings else ''))
    return 1 if failed else 0


def _params(args: argparse.Namespace) -> int:
    """Print the parameter reference."""
    from physical_ai_ros.core.params.docs import markdown

    text = markdown()
    if args.output:
        try:
            Path(args.output).write_text(text + '\n', encoding='utf-8')
        except OSError as exc:
            raise PhysicalAiError(f'--output {args.output}: {exc.strerror or exc}') from exc
        print(f'wrote {args.output}')
    else:
        print(text)
    return 0
