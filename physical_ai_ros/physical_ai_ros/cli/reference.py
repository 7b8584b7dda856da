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

"""The CLI reference as Markdown, from the parser itself: every command, every option.

The docs site builds its ``cli.md`` page from :func:`markdown` (``tools/mkdocs_hooks.py``), so
the reference cannot drift from the parser: an option added to a command is on the page at
the next ``make docs``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from physical_ai_ros.cli.main import build_parser, EXIT_CODES


def commands(
    parser: argparse.ArgumentParser, path: str = 'physical-ai'
) -> Iterator[tuple[str, argparse.ArgumentParser, str]]:
    """(command path, its parser, its one-line help) for every command that runs something."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        yield path, parser, ''
        return
    helps = {c.dest: c.help or '' for a in subparsers for c in a._choices_actions}
    for action in subparsers:
        for name, sub in action.choices.items():
            for found, child, text in commands(sub, f'{path} {name}'):
                yield found, child, text or helps.get(name, '')


def markdown() -> str:
    """The whole reference: the exit codes, then a section per command."""
    lines = [
        '# Command reference',
        '',
        'Generated from the `physical-ai` parser when the docs are built; `physical-ai COMMAND',
        '--help` prints the same.',
        '',
        '## Exit codes',
        '',
        EXIT_CODES,
        '',
    ]
    for path, parser, text in commands(build_parser()):
        lines += [f'## `{path}`', '']
        if text:
            lines += [_cell(text[0].upper() + text[1:]) + '.', '']
        if parser.description:
            lines += [_cell(parser.description), '']
        usage = ' '.join(parser.format_usage().split())
        lines += ['```text', usage.removeprefix('usage: '), '```', '']
        rows = [_row(action) for action in parser._actions if _documented(action)]
        if rows:
            lines += ['| argument | default | what it does |', '|---|---|---|', *rows, '']
    return '\n'.join(lines)


def _documented(action: argparse.Action) -> bool:
    return action.help is not argparse.SUPPRESS and not isinstance(action, argparse._HelpAction)


def _row(action: argparse.Action) -> str:
    name = (
        ', '.join(f'`{o}`' for o in action.option_strings) or f'`{action.metavar or action.dest}`'
    )
    if action.option_strings and action.nargs != 0:
        name += f' {action.metavar or action.dest.upper()}'
    if action.choices is not None:
        name += ' (' + ', '.join(f'`{c}`' for c in action.choices) + ')'
    default = action.default
    shown = (
        '' if default in (None, False, argparse.SUPPRESS) or action.required else f'`{default}`'
    )
    return f'| {name} | {shown} | {_cell(action.help or "")} |'


def _cell(text: str) -> str:
    """Text fit for one Markdown table cell (or paragraph): one line, pipes escaped."""
    return ' '.join(str(text).split()).replace('|', '\\|')


__all__ = ['commands', 'markdown']
