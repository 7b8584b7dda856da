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


"""What the command modules share: argument types, common options, the help formatter."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
import math
from typing import Any, TYPE_CHECKING

from physical_ai_ros.core.errors import PhysicalAiError

if TYPE_CHECKING:
    from typing import TypeAlias

    #: What ``ArgumentParser.add_subparsers()`` returns: a command module adds its parsers to it.
    Commands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

#: A command's handler: parsed arguments in, exit code out.
Handler = Callable[[argparse.Namespace], int]


class HelpFormatter(argparse.HelpFormatter):
    """Help that shows every option's default, unless its text already says it.

    ``argparse.ArgumentDefaultsHelpFormatter`` would also print ``(default: None)`` for
    options without one and ``(default: False)`` for every flag; those say nothing.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ''
        default = action.default
        if (
            action.option_strings
            and 'default' not in text
            and default is not None
            and default is not False  # `0 in (False,)` holds: compare by identity
            and default != argparse.SUPPRESS
            and default != []
        ):
            text += ' (default: %(default)s)'
        return text


def number(convert: Callable[[str], Any], low: float, *, inclusive: bool) -> Any:
    """An argparse type: a finite number above ``low`` (or at it, if ``inclusive``)."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f'{text!r} is not a number') from None
        if not (math.isfinite(value) and (value >= low if inclusive else value > low)):
            raise argparse.ArgumentTypeError(
                f'{text} must be {">=" if inclusive else ">"} {low:g}'
            )
        return value

    return parse


positive = number(float, 0.0, inclusive=False)
positive_int = number(int, 0.0, inclusive=False)
not_negative = number(float, 0.0, inclusive=True)
non_negative_int = number(int, 0.0, inclusive=True)

RESTAMP_HELP = (
    "use each message's log time as its header stamp (a bag recorded from a playback of "
    'older data: header stamps far from log times, every sensor stale on arrival)'
)


#: What each optional import belongs to: the extra that installs it (setup.py).
EXTRA_OF = {
    'mujoco': 'sim', 'grpc': 'remote', 'tritonclient': 'remote', 'paho': 'iot',
    'asyncua': 'iot', 'google.protobuf': 'iot', 'ray': 'fleet', 'pyarrow': 'train',
    'sklearn': 'train', 'onnx': 'train',
}  # fmt: skip


def needs(parser: argparse.ArgumentParser, *modules: str) -> None:
    """Say that the command imports ``modules`` (each from an extra in :data:`EXTRA_OF`).

    ``main`` checks them before the command starts, so a base install gets one line naming
    the extra to install, not a traceback half way through.
    """
    parser.set_defaults(needs=modules)


def missing_extra(modules: Sequence[str]) -> str | None:
    """The first of ``modules`` that cannot be imported, said with its extra; None if none."""
    import importlib.util

    for module in modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a parent missing, or a module set to None
            found = False
        if not found:
            return install_hint(module)
    return None


def install_hint(module: str) -> str:
    """``module`` is missing: which extra brings it, and the command that installs it."""
    extra = EXTRA_OF.get(module) or EXTRA_OF.get(module.split('.')[0], '')
    if not extra:
        return f'needs {module}, which is not installed'
    return (
        f"needs {module}, from the '{extra}' extra: pip install -e "
        f"'physical_ai_ros[{extra}]' in the repository's folder (make setup installs all)"
    )


def add_topic_mapping(parser: argparse.ArgumentParser) -> None:
    """``--namespace``, ``--remap`` and ``--restamp``: how the nodes' topics meet a bag's."""
    parser.add_argument('--namespace', default='', help='namespace the bag was recorded in')
    parser.add_argument(
        '--remap',
        action='append',
        default=[],
        metavar='NODE_TOPIC:=BAG_TOPIC',
        help='map a node-relative topic to a bag topic (repeatable)',
    )
    parser.add_argument('--restamp', action='store_true', help=RESTAMP_HELP)


def remaps(items: Sequence[str]) -> dict[str, str]:
    """``--remap node_topic:=bag_topic`` arguments as a dict."""
    mapping = {}
    for item in items:
        source, sep, target = item.partition(':=')
        if not sep or not source or not target:
            raise PhysicalAiError(f'--remap {item!r}: expected node_topic:=bag_topic')
        mapping[source.lstrip('/')] = target
    return mapping


def add_link_arguments(parser: argparse.ArgumentParser) -> None:
    """``--link`` and ``--remote-model`` (replay and sim eval)."""
    parser.add_argument(
        '--link',
        help='link model YAML: the policy answers as a remote model behind it, the local '
        'one when the link loses or delays an answer (deterministic; core/policy/link.py)',
    )
    parser.add_argument(
        '--remote-model', help='with --link: the model served remotely (default --model)'
    )


def add_jobs(parser: argparse.ArgumentParser, what: str) -> None:
    """``--jobs``: worker processes of a command whose output does not depend on their number."""
    parser.add_argument(
        '--jobs',
        type=positive_int,
        help=f'{what} side by side, a worker process each (default: one per '
        'CPU core); the output is the same bytes for any number',
    )


def jobs(given: int | None, tasks: int) -> int:
    """``--jobs`` as given, else one worker per CPU core and no more than ``tasks``."""
    from physical_ai_ros.learn.parallel import default_jobs

    return given if given is not None else default_jobs(tasks)


def hidden_layers(text: str) -> tuple[int, ...]:
    """An argparse type: ``64,32`` -> (64, 32), each a positive layer size."""
    try:
        sizes = tuple(int(n) for n in text.split(',') if n.strip())
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f'{text!r}: expected layer sizes such as 64,32')
    return sizes
