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

"""A suite file: groups of bags, their params files, models, tolerances and a golden store.

::

    golden: goldens/                   # the golden store: one folder per case
    cache: .suite_cache/               # optional; default GOLDEN/.cache (shareable by CI)
    tolerances: tolerances.yaml        # optional (physical-ai replay --tolerances)
    models:                            # optional; default one model, the params' own
      reference: null                  # null: the params file's model_path (or built-in)
      candidate: models/candidate.onnx
    groups:
      - name: warehouse
        bags: ['bags/warehouse/*']     # globs, relative to the suite file
        params: [params/mobile_base.yaml, params/slow.yaml]
        namespace: ''                  # as for physical-ai replay
        remap: {lidar/points: /ouster/points}

The cases are every group's bags x its params files x the models, named
``GROUP/BAG/PARAMS/MODEL``. A wrong entry is refused with ``FILE:LINE: key=value: what is
allowed``; paths are relative to the suite file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import glob
from pathlib import Path
import re
from typing import Any

import yaml

from physical_ai_ros.core.errors import PhysicalAiError
from physical_ai_ros.core.files import load_yaml_file

SUITE_KEYS = {'golden', 'cache', 'tolerances', 'models', 'groups'}
GROUP_KEYS = {'name', 'bags', 'params', 'namespace', 'remap'}
NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]*')


class SuiteError(PhysicalAiError, ValueError):
    """A suite file is refused: where (file:line), which key, the value, what is allowed."""


@dataclass(frozen=True)
class Case:
    """One replay of the matrix: a bag with a params file and a model."""

    group: str
    bag: Path
    params: Path
    model_name: str
    model: Path | None  # None: the params file's own model
    namespace: str = ''
    remaps: tuple[tuple[str, str], ...] = ()

    @property
    def case_id(self) -> str:
        """``GROUP/BAG/PARAMS/MODEL``: unique in a suite, the golden store's folder."""
        return f'{self.group}/{self.bag.name}/{self.params.stem}/{self.model_name}'


@dataclass(frozen=True)
class Suite:
    """A checked suite file and the cases it names."""

    path: Path
    golden: Path
    cache: Path
    tolerances: Path | None
    cases: tuple[Case, ...] = field(default=())


def load_suite(path: Path | str) -> Suite:
    """Read and check a suite file, expand its cases.

    Raises:
        SuiteError: the first problem, with its file and line.
    """
    path = Path(path)
    data, node = load_yaml_file(path, SuiteError)
    lines = _Lines(path, node)
    if not isinstance(data, dict):
        raise SuiteError(f'{path}:1: expected a mapping with {", ".join(sorted(SUITE_KEYS))}')
    unknown = sorted(map(str, set(data) - SUITE_KEYS))
    if unknown:
        raise SuiteError(f'{lines.at(unknown[0])}: {unknown[0]}: unknown key; known: '
                         f'{", ".join(sorted(SUITE_KEYS))}')  # fmt: skip
    base = path.resolve().parent  # absolute: summaries and Ray workers need no cwd
    golden = base / _string(data, 'golden', lines, required=True)
    cache = base / _string(data, 'cache', lines) if data.get('cache') else golden / '.cache'
    tolerances = base / _string(data, 'tolerances', lines) if data.get('tolerances') else None
    if tolerances is not None and not tolerances.is_file():
        raise SuiteError(f'{lines.at("tolerances")}: tolerances={str(tolerances)!r}: no such file')
    models = _models(data.get('models'), base, lines)
    groups = data.get('groups')
    if not isinstance(groups, list) or not groups:
        raise SuiteError(f"{lines.at('groups')}: groups={groups!r}: a list of groups (name, "
                         'bags, params)')  # fmt: skip
    cases: list[Case] = []
    names: set[str] = set()
    for k, group in enumerate(groups):
        where = f'{lines.at("groups", k)}: groups[{k}]'
        cases.extend(_group(group, where, base, models, names))
    return Suite(path, golden, cache, tolerances, tuple(cases))


def _group(
    group: Any, where: str, base: Path, models: dict[str, Path | None], names: set[str]
) -> list[Case]:
    if not isinstance(group, dict):
        raise SuiteError(f'{where}: expected a mapping of {", ".join(sorted(GROUP_KEYS))}')
    unknown = sorted(map(str, set(group) - GROUP_KEYS))
    if unknown:
        raise SuiteError(f'{where}.{unknown[0]}: unknown key; known: '
                         f'{", ".join(sorted(GROUP_KEYS))}')  # fmt: skip
    name = group.get('name')
    if not isinstance(name, str) or not NAME.fullmatch(name) or name in names:
        raise SuiteError(f'{where}.name={name!r}: a unique name of letters, digits, _ . -')
    names.add(name)
    bags: list[Path] = []
    for pattern in _strings(group.get('bags'), f'{where}.bags'):
        found = sorted(Path(p) for p in glob.glob(str(base / pattern)) if Path(p).is_dir())
        if not found:
            raise SuiteError(f'{where}.bags: {pattern!r} matches no bag folder under {base}')
        bags.extend(p for p in found if p not in bags)
    params = [base / p for p in _strings(group.get('params'), f'{where}.params')]
    for file in params:
        if not file.is_file():
            raise SuiteError(f'{where}.params: {str(file)!r}: no such file')
    stems = [p.stem for p in params]
    if len(set(stems)) != len(stems):
        raise SuiteError(f'{where}.params: two params files named {stems} (case ids need '
                         'distinct file names)')  # fmt: skip
    if len({b.name for b in bags}) != len(bags):
        raise SuiteError(f'{where}.bags: two bags with the same folder name')
    namespace = group.get('namespace', '')
    remap = group.get('remap') or {}
    if not isinstance(namespace, str):
        raise SuiteError(f'{where}.namespace={namespace!r}: a string')
    if not isinstance(remap, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in remap.items()
    ):
        raise SuiteError(f'{where}.remap={remap!r}: node_topic: bag_topic pairs')
    remaps = tuple(sorted((k.lstrip('/'), v) for k, v in remap.items()))
    return [
        Case(name, bag, param, model_name, model, namespace, remaps)
        for bag in bags for param in params for model_name, model in models.items()
    ]  # fmt: skip


def _models(entry: Any, base: Path, lines: _Lines) -> dict[str, Path | None]:
    if entry is None:
        return {'params-model': None}
    if not isinstance(entry, dict) or not entry:
        raise SuiteError(f"{lines.at('models')}: models={entry!r}: a mapping of name: path "
                         "(null for the params file's model)")  # fmt: skip
    models: dict[str, Path | None] = {}
    for name, file in entry.items():
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise SuiteError(f"{lines.at('models')}: models: {name!r}: a name of letters, "
                             'digits, _ . -')  # fmt: skip
        if file is None:
            models[name] = None
            continue
        path = base / str(file)
        if not path.is_file():
            raise SuiteError(f'{lines.at("models")}: models.{name}={str(file)!r}: no such file')
        models[name] = path
    return models


def _string(data: dict[str, Any], key: str, lines: _Lines, *, required: bool = False) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        if required or value is not None:
            raise SuiteError(f'{lines.at(key)}: {key}={value!r}: a path (relative to the suite)')
        return ''
    return value


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise SuiteError(f'{where}={value!r}: a path or a list of paths')
    return value


class _Lines:
    """Line numbers of a suite's keys and group entries, from the composed YAML node."""

    def __init__(self, path: Path, node: Any) -> None:
        self.path = path
        self.keys: dict[str, Any] = {}
        for key, value in getattr(node, 'value', None) or []:
            if isinstance(getattr(key, 'value', None), str):
                self.keys[key.value] = (key, value)

    def at(self, key: str, index: int | None = None) -> str:
        if key not in self.keys:
            return f'{self.path}:1'
        key_node, value = self.keys[key]
        if index is not None and isinstance(value, yaml.SequenceNode) and index < len(value.value):
            return f'{self.path}:{value.value[index].start_mark.line + 1}'
        return f'{self.path}:{key_node.start_mark.line + 1}'


__all__ = ['Case', 'Suite', 'SuiteError', 'load_suite']
