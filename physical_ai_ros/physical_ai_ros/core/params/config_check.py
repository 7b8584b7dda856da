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

"""Offline validation of ROS 2 params files (``physical-ai check-config``).

A params file maps node names to ``ros__parameters`` (nested keys are dotted names, as rclpy
reads them). Every value is checked against the node's declarations (:mod:`.schema`); each
problem names the node, the parameter, the value, what is allowed and, where the YAML tells,
the line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from physical_ai_ros.core.files import compose_limited, read_text_limited, yaml_problem
from physical_ai_ros.core.params.schema import check_node, NODES
from physical_ai_ros.core.params.spec import ParamError, validate_value

#: Parameters every rclpy node has; accepted in any section.
ROS_PARAMETERS = ('use_sim_time',)


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a params file."""

    node: str
    name: str
    value: Any
    allowed: str
    line: int | None

    def format(self, path: str) -> str:
        """``path:line: node: name=value: allowed`` (``path:line: problem`` for the file's own)."""
        where = f'{path}:{self.line}' if self.line else path
        if not self.node and self.name == '<yaml>':
            return f'{where}: {self.allowed}'
        return f'{where}: {self.node}: {self.name}={self.value!r}: {self.allowed}'


def _node_name(key: str) -> str:
    """``/ns/perception_node`` and ``perception_node`` both name ``perception_node``."""
    return key.rstrip('/').rsplit('/', 1)[-1]


def _lines(node: yaml.Node | None, prefix: str = '') -> dict[str, int]:
    """1-based line of every (dotted) key under a composed YAML mapping."""
    out: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = f'{prefix}{key_node.value}'
            out[key] = key_node.start_mark.line + 1
            out.update(_lines(value_node, key + '.'))
    return out


def _flatten(section: dict[str, Any], prefix: str = '') -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in section.items():
        name = f'{prefix}{key}'
        if isinstance(value, dict):
            out.update(_flatten(value, name + '.'))
        else:
            out[name] = value
    return out


def check_params_text(text: str) -> list[ConfigProblem]:
    """Check a params file's text; returns every problem found ([] when valid)."""
    try:
        tree = compose_limited(text, _RefusedError)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc)
        return [ConfigProblem('', '<yaml>', None, f'not valid YAML: {problem}', line)]
    except _RefusedError as exc:
        return [ConfigProblem('', '<yaml>', None, str(exc), None)]
    lines = _lines(tree)
    if not isinstance(data, dict):
        return [
            ConfigProblem(
                '',
                '<root>',
                type(data).__name__,
                'expected node names mapping to ros__parameters',
                1,
            )
        ]
    problems = [
        ConfigProblem('', name, None, 'duplicate key: YAML would keep the last one silently', line)
        for name, line in _duplicates(tree)
    ]
    for key, body in data.items():
        node = _node_name(str(key))
        if (
            node == '**'
            and isinstance(body, dict)
            and isinstance(body.get('ros__parameters'), dict)
        ):
            problems.extend(_check_wildcard(str(key), body['ros__parameters'], lines))
            continue
        params = NODES.get(node)
        if params is None:
            problems.append(
                ConfigProblem(
                    str(key),
                    '<node>',
                    key,
                    f'unknown node; known: {", ".join(NODES)}',
                    lines.get(str(key)),
                )
            )
            continue
        if not isinstance(body, dict) or not isinstance(body.get('ros__parameters'), dict):
            problems.append(
                ConfigProblem(
                    node,
                    'ros__parameters',
                    body,
                    'expected a ros__parameters mapping',
                    lines.get(str(key)),
                )
            )
            continue
        problems.extend(_check_section(node, str(key), body['ros__parameters'], lines))
    return problems


def _duplicates(node: yaml.Node | None, prefix: str = '') -> list[tuple[str, int]]:
    """Keys given twice in one mapping, dotted, with the line of the second one."""
    found: list[tuple[str, int]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = f'{prefix}{key_node.value}'
            if key in seen:
                found.append((key, key_node.start_mark.line + 1))
            seen.add(key)
            found += _duplicates(value_node, key + '.')
    return found


def _check_wildcard(
    key: str, section: dict[str, Any], lines: dict[str, int]
) -> list[ConfigProblem]:
    """Check a ``/**`` section, which reaches every node.

    Each name must be a parameter of one of the nodes, and its value must suit every node
    that declares it.
    """
    problems = []
    prefix = f'{key}.ros__parameters.'
    for name, value in _flatten(section).items():
        if name in ROS_PARAMETERS:
            continue
        line = lines.get(prefix + name)
        owners = [params for params in NODES.values() if name in params.names()]
        if not owners:
            problems.append(
                ConfigProblem('**', name, value, 'no node declares this parameter', line)
            )
        for params in owners:
            try:
                validate_value(params.spec(name), value, params.node)
            except ParamError as exc:
                problems.append(ConfigProblem(params.node, name, value, exc.allowed, line))
    return problems


def _check_section(
    node: str, key: str, section: dict[str, Any], lines: dict[str, int]
) -> list[ConfigProblem]:
    params = NODES[node]
    prefix = f'{key}.ros__parameters.'
    problems = []
    values = params.defaults()
    for name, value in _flatten(section).items():
        line = lines.get(prefix + name)
        if name in ROS_PARAMETERS:
            continue
        try:
            values[name] = validate_value(params.spec(name), value, node)
        except ParamError as exc:
            problems.append(ConfigProblem(node, name, value, exc.allowed, line))
    for spec in params.specs:
        if spec.required and spec.name not in values:
            problems.append(
                ConfigProblem(node, spec.name, None, f'required: {spec.allowed()}', lines.get(key))
            )
    if not problems:
        for error in check_node(node, values):
            problems.append(
                ConfigProblem(
                    node, error.name, error.value, error.allowed, lines.get(prefix + error.name)
                )
            )
    return problems


def check_params_file(path: Path | str) -> list[ConfigProblem]:
    """Check a params file on disk (see :func:`check_params_text`)."""
    try:
        text = read_text_limited(Path(path), _RefusedError)
    except _RefusedError as exc:
        return [ConfigProblem('', '<file>', str(path), str(exc), None)]
    return check_params_text(text)


class _RefusedError(Exception):
    """A params file refused before its contents are looked at (too big, not text...)."""


def for_any_namespace(data: Mapping[str, Any]) -> dict[str, Any]:
    """A params file's contents with each bare node section keyed for any namespace.

    rcl gives ``perception_node:`` only to a node at the root; ``/**/perception_node:`` reaches
    it in every namespace, which is what a namespaced launch needs (Nav2's bringup rewrites
    its params file the same way). Sections already keyed by path stay as they are.
    """
    return {
        f'/**/{key}' if isinstance(key, str) and key in NODES else key: body
        for key, body in data.items()
    }


def load_node_params(path: Path | str, node: str) -> dict[str, Any]:
    """The overrides a params file gives ``node`` (wildcard sections first, then its own).

    Raises:
        ParamError: the file has problems (the first is raised, with its line).
    """
    return load_params(path, (node,))[node]


def load_params(path: Path | str, nodes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The overrides a params file gives each of ``nodes``: checked and parsed once.

    Raises:
        ParamError: the file has problems (the first is raised, with its line).
    """
    problems = check_params_file(path)
    if problems:
        first = problems[0]
        where = f'{path}:{first.line}' if first.line else str(path)
        raise ParamError(first.node, first.name, first.value, f'{first.allowed} ({where})')
    data = yaml.safe_load(read_text_limited(Path(path), _RefusedError)) or {}  # checked above
    out: dict[str, dict[str, Any]] = {}
    for node in nodes:
        merged: dict[str, Any] = {}
        for key, body in data.items():
            name = _node_name(str(key))
            if name in ('**', node) and isinstance(body, dict):
                section = _flatten(body.get('ros__parameters', {}))
                merged.update(
                    {
                        k: v
                        for k, v in section.items()
                        if k not in ROS_PARAMETERS and (name == node or k in NODES[node].names())
                    }
                )
        out[node] = merged
    return out
