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


"""``physical-ai``'s entry point: assembles the command modules and owns what they share."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import os
import signal
import sys
import tempfile
import threading

from physical_ai_ros import __version__
from physical_ai_ros.cli import bags, iot, learn, model, params, replay, sim, suite
from physical_ai_ros.cli.arguments import (
    EXTRA_OF,
    Handler,
    HelpFormatter,
    install_hint,
    missing_extra,
)
from physical_ai_ros.core.errors import PhysicalAiError

#: The command modules, in the order ``--help`` lists their commands.
COMMAND_MODULES = (bags, replay, params, model, sim, learn, suite, iot)

#: What the exit code says, for every command (``--help``'s epilog and the docs).
EXIT_CODES = (
    'Exit codes: 0 done, 1 a failed comparison or check, 2 bad input, '
    '128 + N stopped by signal N (130 Ctrl-C, 143 SIGTERM).'
)

#: Where libraries keep caches unless told otherwise: $HOME (see main).
SCRATCH_VARIABLES = ('MPLCONFIGDIR', 'XDG_CACHE_HOME')


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``physical-ai`` with every command module's commands."""
    parser = argparse.ArgumentParser(
        prog='physical-ai',
        description=(
            'Offline tools of physical_ai_ros: inspect bags, check parameter files, '
            'replay recordings through the pipeline. Run "physical-ai COMMAND --help" for details.'
        ),
        epilog=EXIT_CODES,
        formatter_class=HelpFormatter,
    )
    parser.add_argument('--version', action='version', version=f'physical_ai_ros {__version__}')
    commands = parser.add_subparsers(dest='command', metavar='COMMAND', required=True)
    for module in COMMAND_MODULES:
        module.register(commands)
    _inherit_formatter(parser)
    return parser


def _inherit_formatter(parser: argparse.ArgumentParser) -> None:
    """Give every subcommand's parser the top-level help formatter."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                sub.formatter_class = HelpFormatter
                _inherit_formatter(sub)


#: What a stopped command says of its work, unless its parser sets ``stop_note``.
BAGS_COMPLETE = 'the bags written so far are complete up to that point'


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is so that every open bag is finished on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


#: Signals received, newest last: a library that swallows the Terminated it raised (scikit-
#: learn's fit) may raise a plain KeyboardInterrupt instead, and this says which signal it was.
_RECEIVED: list[int] = []


def _terminate(signum: int, frame: object) -> None:
    _RECEIVED.append(signum)
    raise Terminated(signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``physical-ai``; returns the exit code (2 for a usage or input error).

    SIGINT and SIGTERM (a CI timeout, ``docker stop``) unwind like an exception: the bags
    being written are closed properly (footer and metadata.yaml) and the exit code is
    128 + the signal number. A bag cut short by SIGKILL is read back by ``info`` and
    ``replay`` up to its last complete chunk.
    """
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    _RECEIVED.clear()
    installed = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if installed else None
    # libraries' caches (matplotlib's font list, onnxruntime's device id) go to a scratch
    # folder, not the user's home: the tools write only where they are told to
    with tempfile.TemporaryDirectory(prefix='physical-ai-') as scratch:
        own = [name for name in SCRATCH_VARIABLES if name not in os.environ]
        os.environ.update(dict.fromkeys(own, scratch))
        try:
            missing = missing_extra(getattr(args, 'needs', ()))
            if missing:
                raise PhysicalAiError(missing)
            return handler(args)
        except PhysicalAiError as exc:
            print(f'physical-ai {args.command}: error: {exc}', file=sys.stderr)
            return 2
        except ModuleNotFoundError as exc:  # an optional import not declared with needs()
            if not exc.name or exc.name.split('.')[0] not in {m.split('.')[0] for m in EXTRA_OF}:
                raise
            print(f'physical-ai {args.command}: error: {install_hint(exc.name)}', file=sys.stderr)
            return 2
        except KeyboardInterrupt as exc:
            signum = (
                exc.signum
                if isinstance(exc, Terminated)
                else _RECEIVED[-1]
                if _RECEIVED
                else signal.SIGINT
            )
            name = signal.Signals(signum).name
            note = getattr(args, 'stop_note', BAGS_COMPLETE)
            print(f'physical-ai {args.command}: stopped by {name}; {note}', file=sys.stderr)
            return 128 + int(signum)
        finally:
            for name in own:
                os.environ.pop(name, None)
            if installed:
                signal.signal(signal.SIGTERM, previous or signal.SIG_DFL)
