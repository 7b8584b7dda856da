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

"""Parameter declarations: one schema for nodes, check-config, docs and core configs.

Each parameter is declared once with its type, default, unit, allowed range or choices,
description and whether it may change at run time — in the spirit of
generate_parameter_library, which is ROS-only. Nodes turn a :class:`ParamSpec` into an rclpy
``ParameterDescriptor``; ``physical-ai check-config`` and the config dataclasses in core use
:func:`validate_value` directly, so a wrong value gets the same message everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
import math
from typing import Any, Literal

from physical_ai_ros.core.errors import PhysicalAiError

ParamType = Literal[
    'bool', 'int', 'double', 'string', 'bool_array', 'int_array', 'double_array', 'string_array'
]
_SCALAR_OF = {
    'bool_array': 'bool',
    'int_array': 'int',
    'double_array': 'double',
    'string_array': 'string',
}


class ParamError(PhysicalAiError, ValueError):
    """A parameter value is refused.

    Attributes:
        node: the node the parameter belongs to ('' where unknown).
        name: the parameter's full name, e.g. ``grid.resolution``.
        value: the refused value.
        allowed: what would be accepted, in words.
    """

    def __init__(self, node: str, name: str, value: Any, allowed: str) -> None:
        self.node = node
        self.name = name
        self.value = value
        self.allowed = allowed
        where = f'{node}: ' if node else ''
        super().__init__(f'{where}{name}={value!r}: {allowed}')


@dataclass(frozen=True)
class ParamSpec:
    """The declaration of one parameter.

    Attributes:
        name: full dotted name as in the params file (``grid.resolution``).
        type: ROS parameter type.
        default: value used when the file does not set it; ``None`` for required ones.
        description: what it does, for docs and ``ros2 param describe``.
        unit: unit symbol of the value (``m``, ``m/s``, ``Hz``, ``s``) or ``''``.
        min: smallest allowed value (numbers and number arrays), inclusive.
        max: largest allowed value, inclusive.
        choices: the allowed values (strings and ints).
        length: exact length of an array; ``None`` for any length.
        read_only: only settable at start-up (the node must be restarted to change it).
    """

    name: str
    type: ParamType
    default: Any
    description: str
    unit: str = ''
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] | None = None
    length: int | None = None
    read_only: bool = False

    @property
    def required(self) -> bool:
        """Whether the params file must set this parameter."""
        return self.default is None

    def allowed(self) -> str:
        """Describe the accepted values in words, e.g. ``double in [0.01, 1.0] m``."""
        text = self.type.replace('_', ' ')
        if self.length is not None:
            text += f' of length {self.length}'
        if self.choices is not None:
            text += ', one of ' + ', '.join(repr(c) for c in self.choices)
        if self.min is not None or self.max is not None:
            lo = '-inf' if self.min is None else f'{self.min:g}'
            hi = 'inf' if self.max is None else f'{self.max:g}'
            text += f' in [{lo}, {hi}]'
        if self.unit:
            text += f' {self.unit}'
        return text


def _scalar(spec: ParamSpec, kind: str, value: Any, node: str) -> Any:
    def refuse(reason: str = '') -> ParamError:
        return ParamError(node, spec.name, value, f'{reason}expected {spec.allowed()}')

    if kind == 'bool':
        if not isinstance(value, bool):
            raise refuse()
        return value
    if kind == 'string':
        if not isinstance(value, str):
            raise refuse()
        out: Any = value
    elif kind == 'int':
        if isinstance(value, bool) or not isinstance(value, int):
            raise refuse()
        out = value
    else:  # double
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise refuse()
        if isinstance(value, int):
            # rclpy refuses an integer for a double parameter at start-up: say so here
            raise refuse(f'write {value}.0 (ROS 2 does not turn integers into doubles); ')
        out = float(value)
        if not math.isfinite(out):
            raise refuse('must be finite; ')
    if spec.choices is not None and out not in spec.choices:
        raise refuse()
    if spec.min is not None and out < spec.min:
        raise refuse()
    if spec.max is not None and out > spec.max:
        raise refuse()
    return out


def validate_value(spec: ParamSpec, value: Any, node: str = '') -> Any:
    """Return ``value`` checked (and ints widened to float for doubles) against ``spec``.

    Raises:
        ParamError: wrong type, out of range, not a choice, or an array of the wrong length.
    """
    scalar_kind = _SCALAR_OF.get(spec.type)
    if scalar_kind is None:
        return _scalar(spec, spec.type, value, node)
    if not isinstance(value, (list, tuple)):
        raise ParamError(node, spec.name, value, f'expected {spec.allowed()}')
    if spec.length is not None and len(value) != spec.length:
        raise ParamError(node, spec.name, value, f'expected {spec.allowed()}')
    return [_scalar(spec, scalar_kind, item, node) for item in value]


@dataclass(frozen=True)
class ParamSet:
    """The declared parameters of one node, by name.

    Attributes:
        node: the node's default name (the params file's root key).
        specs: the declarations, in the order the docs list them.
        checks: cross-parameter checks of resolved values (array lengths, ordering).
    """

    node: str
    specs: tuple[ParamSpec, ...]
    checks: Callable[[Mapping[str, Any]], list[ParamError]] | None = None

    def __post_init__(self) -> None:
        names = [s.name for s in self.specs]
        if len(names) != len(set(names)):
            raise ValueError(f'{self.node}: duplicate parameter declarations')

    def spec(self, name: str) -> ParamSpec:
        """Return the declaration of ``name``.

        Raises:
            ParamError: the node declares no such parameter.
        """
        for spec in self.specs:
            if spec.name == name:
                return spec
        raise ParamError(self.node, name, None, 'unknown parameter' + _suggest(name, self.names()))

    def cross_check(self, values: Mapping[str, Any]) -> list[ParamError]:
        """Problems between resolved values (lengths that must agree, ordering); [] when fine."""
        return self.checks(values) if self.checks is not None else []

    def names(self) -> list[str]:
        """Every declared name, in declaration order."""
        return [s.name for s in self.specs]

    def defaults(self) -> dict[str, Any]:
        """Default value of each parameter that has one."""
        return {s.name: s.default for s in self.specs if s.default is not None}

    def resolve(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """Return defaults updated by ``overrides``, each checked.

        Raises:
            ParamError: for the first unknown name, bad value or missing required parameter.
        """
        values = self.defaults()
        for name, value in overrides.items():
            values[name] = validate_value(self.spec(name), value, self.node)
        for spec in self.specs:
            if spec.required and spec.name not in values:
                raise ParamError(self.node, spec.name, None, f'required: {spec.allowed()}')
        return values

    def section(self, values: Mapping[str, Any], prefix: str) -> dict[str, Any]:
        """Return the values under ``prefix.`` with the prefix removed."""
        dotted = prefix + '.'
        return {k[len(dotted) :]: v for k, v in values.items() if k.startswith(dotted)}


def _suggest(name: str, names: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(names), n=1)
    return f"; did you mean '{close[0]}'?" if close else ''


#: rcl_interfaces/msg/ParameterType value of each schema type.
ROS_TYPES = {
    'bool': 1, 'int': 2, 'double': 3, 'string': 4,
    'bool_array': 6, 'int_array': 7, 'double_array': 8, 'string_array': 9,
}  # fmt: skip
_INT64 = 2**63 - 1


def ros_descriptor_fields(spec: ParamSpec) -> dict[str, Any]:
    """The ``rcl_interfaces/ParameterDescriptor`` fields a node declares for ``spec``.

    Ranges go into ``floating_point_range``/``integer_range`` (rclpy enforces them on every
    set), as ``(from_value, to_value)``; choices and array lengths, which rclpy cannot
    enforce, into ``additional_constraints`` (the set-parameters callback enforces them).
    """
    fields: dict[str, Any] = {
        'name': spec.name,
        'type': ROS_TYPES[spec.type],
        'description': spec.description + (f' [{spec.unit}]' if spec.unit else ''),
        'read_only': spec.read_only,
        'additional_constraints': spec.allowed(),
        'floating_point_range': None,
        'integer_range': None,
    }
    if spec.min is not None or spec.max is not None:
        if spec.type == 'double':
            lo = -math.inf if spec.min is None else float(spec.min)
            hi = math.inf if spec.max is None else float(spec.max)
            fields['floating_point_range'] = (lo, hi)
        elif spec.type == 'int':
            lo_i = -_INT64 - 1 if spec.min is None else int(spec.min)
            hi_i = _INT64 if spec.max is None else int(spec.max)
            fields['integer_range'] = (lo_i, hi_i)
    return fields


@dataclass
class CrossCheck:
    """Collects the cross-parameter problems of one node's resolved values."""

    node: str
    values: Mapping[str, Any]
    errors: list[ParamError] = field(default_factory=list)

    def need(self, name: str, ok: bool, allowed: str) -> None:
        """Record a problem with ``name`` unless ``ok``; ``allowed`` says what would be."""
        if not ok:
            self.errors.append(ParamError(self.node, name, self.values.get(name), allowed))
