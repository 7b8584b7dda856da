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


"""Reading what users hand in (models, contracts, params files) with bounded work.

A path to ``/dev/zero`` must not hang a tool, a 50 MB params file must not take minutes, and
a YAML "billion laughs" (aliases of aliases) must not expand into millions of entries: each
is refused with one line saying what and why. Like :mod:`.errors`, this module sits below every
room; callers pass the typed error their room raises.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
import stat
from typing import Any

import yaml

#: Largest model file read (protobuf, and so ONNX without external data, stops at 2 GiB).
MAX_MODEL_BYTES = 2 * 1024**3
#: Largest params file or contract read.
MAX_TEXT_BYTES = 4 * 1024**2
#: Most YAML nodes a document may expand to, counting every use of an alias.
MAX_YAML_NODES = 100_000

ErrorFactory = Callable[[str], Exception]


def read_limited(path: Path, limit: int, error: ErrorFactory) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Raises:
        Exception: ``error(reason)`` for a missing, unreadable, special (a device, a pipe, a
            folder) or larger file.
    """
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise error('is not a regular file')
        if info.st_size > limit:
            raise error(f'is {info.st_size} bytes, more than the {limit} allowed')
        with path.open('rb') as stream:
            data = stream.read(limit + 1)
    except OSError as exc:
        raise error(f'cannot read it ({exc.strerror or exc})') from exc
    if len(data) > limit:  # it grew while being read
        raise error(f'is more than the {limit} bytes allowed')
    return data


def read_text_limited(path: Path, error: ErrorFactory, limit: int = MAX_TEXT_BYTES) -> str:
    """A UTF-8 text file of at most ``limit`` bytes (see :func:`read_limited`)."""
    data = read_limited(path, limit, error)
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError as exc:
        raise error(
            f'is not UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r})'
        ) from exc


def compose_limited(text: str, error: ErrorFactory, limit: int = MAX_YAML_NODES) -> Any:
    """Compose a YAML document (``yaml.compose``), refusing one that expands past ``limit``.

    Aliases are counted at every use, as constructing or walking the data would.

    Raises:
        yaml.YAMLError: the text is not YAML.
        Exception: ``error(reason)`` for a document larger than ``limit`` nodes.
    """
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    seen, todo = 0, [root] if root is not None else []
    while todo:
        node = todo.pop()
        seen += 1
        if seen > limit:
            raise error(f'expands to more than {limit} YAML nodes (aliases of aliases?)')
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                todo += (key, value)
        elif isinstance(node, yaml.SequenceNode):
            todo += node.value
    return root


def yaml_problem(exc: yaml.YAMLError) -> tuple[int | None, str]:
    """(1-based line or None, one line saying what is wrong) of a YAML parse error.

    PyYAML's own text spans 4-5 lines (the snippet, a caret); users get the line number and
    the problem, with what was being parsed and where that started.
    """
    mark = getattr(exc, 'problem_mark', None)
    line = mark.line + 1 if mark is not None else None
    problem = ' '.join(str(getattr(exc, 'problem', None) or exc).split())
    context = getattr(exc, 'context', None)
    context_mark = getattr(exc, 'context_mark', None)
    if context:
        problem += f' ({" ".join(str(context).split())}'
        problem += f' started at line {context_mark.line + 1})' if context_mark else ')'
    return line, problem


def load_yaml_file(path: Path, error: ErrorFactory) -> tuple[Any, Any]:
    """A YAML file read with bounded work: its data and its composed root node (line numbers).

    Raises:
        whatever ``error`` makes of ``'PATH: reason'`` (unreadable, too large, too many nodes)
        or of ``'PATH:LINE: problem'`` (not YAML).
    """
    text = read_text_limited(path, lambda reason: error(f'{path}: {reason}'))
    try:
        node = compose_limited(text, lambda reason: error(f'{path}: {reason}'))
        data = yaml.safe_load(text) if node is not None else None
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc)
        raise error(f'{path}:{line or 1}: {problem}') from None
    return data, node


def load_yaml_limited(text: str, error: ErrorFactory, limit: int = MAX_YAML_NODES) -> Any:
    """``yaml.safe_load`` of a document no larger than ``limit`` nodes (see above)."""
    compose_limited(text, error, limit)
    return yaml.safe_load(text)
