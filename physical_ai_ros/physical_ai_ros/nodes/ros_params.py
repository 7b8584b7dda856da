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

"""Parameters of a node from the schema: declared with descriptors, checked on every set."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
from rclpy.exceptions import ParameterUninitializedException
from rclpy.node import Node
from rclpy.parameter import Parameter

from physical_ai_ros.core.errors import PhysicalAiError
from physical_ai_ros.core.params.schema import check_node
from physical_ai_ros.core.params.spec import (
    ParamError,
    ParamSet,
    ros_descriptor_fields,
    validate_value,
)


def declare(node: Node, params: ParamSet) -> None:
    """Declare every parameter of ``params`` with its descriptor (ranges enforced by rclpy)."""
    for spec in params.specs:
        fields = ros_descriptor_fields(spec)
        descriptor = ParameterDescriptor(
            name=spec.name,
            type=fields['type'],
            description=fields['description'],
            additional_constraints=fields['additional_constraints'],
            read_only=fields['read_only'],
        )
        if fields['floating_point_range'] is not None:
            lo, hi = fields['floating_point_range']
            descriptor.floating_point_range = [
                FloatingPointRange(from_value=lo, to_value=hi, step=0.0)
            ]
        if fields['integer_range'] is not None:
            lo, hi = fields['integer_range']
            descriptor.integer_range = [IntegerRange(from_value=lo, to_value=hi, step=0)]
        if spec.default is None or (isinstance(spec.default, list) and not spec.default):
            # no default, or an empty list whose element type rclpy cannot infer: declare the type
            node.declare_parameter(spec.name, Parameter.Type(fields['type']), descriptor)
        else:
            node.declare_parameter(spec.name, spec.default, descriptor)


def values(node: Node, params: ParamSet) -> dict[str, Any]:
    """Current values, checked against the schema and the node's cross checks.

    Raises:
        ParamError: the first problem, naming node, parameter, value and what is allowed.
    """
    out: dict[str, Any] = {}
    for spec in params.specs:
        try:
            value = node.get_parameter(spec.name).value
        except ParameterUninitializedException:
            value = spec.default
        if value is None:
            raise ParamError(params.node, spec.name, None, f'required: {spec.allowed()}')
        out[spec.name] = validate_value(spec, plain(value), params.node)
    errors = check_node(params.node, out)
    if errors:
        raise errors[0]
    return out


def plain(value: Any) -> Any:
    """A parameter value as plain Python (rclpy gives array.array for number arrays)."""
    if hasattr(value, 'tolist'):
        return value.tolist()
    return list(value) if isinstance(value, tuple) else value


def validator(
    node: Node, params: ParamSet, apply: Callable[[dict[str, Any]], None] | None = None
) -> Any:
    """A set-parameters callback: refuse bad values with the schema's message, apply good ones.

    Each value is checked alone, then together with the node's other values (array lengths
    that must agree, ranges that must be ordered). Once the node runs, ``apply`` gets the
    complete new values and makes them take effect from the next message or tick; if it
    refuses them (``ValueError``, or a model that does not load), so does the callback, and
    the old values stay in force.
    """

    def check(parameters: list[Parameter]) -> SetParametersResult:
        proposed = {}
        for parameter in parameters:
            if parameter.name == 'use_sim_time':
                continue
            try:
                spec = params.spec(parameter.name)
                proposed[spec.name] = validate_value(spec, plain(parameter.value), params.node)
            except ParamError as exc:
                return SetParametersResult(successful=False, reason=str(exc))
        if not proposed:
            return SetParametersResult(successful=True)
        running = True
        try:
            current = values(node, params)
        except ParamError:
            current, running = params.defaults(), False  # during declaration: not all are set
        new = {**current, **proposed}
        errors = check_node(params.node, new)
        if errors:
            return SetParametersResult(successful=False, reason=str(errors[0]))
        if apply is not None and running:
            try:
                apply(new)
            except (ValueError, PhysicalAiError) as exc:
                return SetParametersResult(successful=False, reason=f'{params.node}: {exc}')
        return SetParametersResult(successful=True)

    return check
