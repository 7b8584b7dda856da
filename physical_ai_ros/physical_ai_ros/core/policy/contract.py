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

"""The policy contract: what goes into each model input, what each output element drives.

A contract is a small YAML beside the model (``model.contract.yaml``) or embedded in the ONNX
file's ``metadata_props`` under :data:`METADATA_KEY`. Example::

    name: reference_reactive
    inputs:
      - tensor: grid
        source: grid
        layers: [occupancy]
        size: [40, 40]          # cells cropped around the robot (rows, cols)
        fill_unknown: 0.5
    output:
      tensor: action
      command: cmd_vel          # cmd_vel | joint_position | joint_velocity
      fields: [linear.x, angular.z]
      scale: [1.0, 1.0]
      offset: [0.0, 0.0]

Sources: ``grid`` (layers cropped/resized, per-layer ``offset`` and ``scale``: x' = (x - offset)
* scale; ``history_s: [0.5]`` stacks the layers of the grid 0.5 s earlier after them),
``iot`` (named IoT features), ``odom_twist`` (twist fields), ``joint_position`` and
``joint_velocity`` (named joints), ``previous_action`` and ``image`` (resized, channel order,
per-channel ``mean``/``std``, layout ``nchw`` or ``nhwc``).

The output must have one element per field, in order; a model answering more (or fewer) is
refused. ``index: [2, 0]`` reads chosen elements of a larger output instead.

An *action chunk*: ``horizon: 8`` and ``step_s: 0.1`` say the output holds 8 steps of
commands 0.1 s apart (row-major, a step after another: shape ``(1, 8, F)``), the first for
the stamp of the observation it answers; ``index`` then picks within a step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import itertools
from typing import Any, Literal

import yaml

from physical_ai_ros.core.errors import ContractError
from physical_ai_ros.core.files import load_yaml_limited, yaml_problem
from physical_ai_ros.core.messages.commands import TWIST_AXES

METADATA_KEY = 'physical_ai_ros.contract'
VECTOR_SOURCES = ('iot', 'odom_twist', 'joint_position', 'joint_velocity', 'previous_action')
SOURCES = ('grid', 'image', *VECTOR_SOURCES)
COMMANDS = ('cmd_vel', 'joint_position', 'joint_velocity')


@dataclass(frozen=True)
class GridInput:
    """Grid layers cropped around the robot into a ``(1, layers, rows, cols)`` tensor.

    With ``history_s`` the tensor also holds the same layers of earlier grids, that many
    seconds before the current one (by grid stamp), after the current layers:
    ``(1, layers * (1 + len(history_s)), rows, cols)``. One frame cannot show which way a
    person or a forklift is going; two can.
    """

    tensor: str
    layers: tuple[str, ...]
    size: tuple[int, int]
    resize: tuple[int, int] | None
    fill_unknown: float
    offset: tuple[float, ...]
    scale: tuple[float, ...]
    resolution: float | None = None  # grid resolution the model was made for [m/cell]
    source: str = 'grid'
    history_s: tuple[float, ...] = ()  # ages of the earlier grids stacked after the current

    @property
    def names(self) -> tuple[str, ...]:
        """What feeds the tensor: its layers, then those of each earlier grid (``x@-0.5s``)."""
        earlier = [f'{layer}@-{age:g}s' for age in self.history_s for layer in self.layers]
        return (*self.layers, *earlier)

    @property
    def shape(self) -> tuple[int, ...]:
        """Tensor shape the model must declare."""
        rows, cols = self.resize or self.size
        return (1, len(self.layers) * (1 + len(self.history_s)), rows, cols)


@dataclass(frozen=True)
class VectorInput:
    """Named scalars (IoT features, twist fields, joints, previous action) as ``(1, n)``."""

    tensor: str
    source: str
    names: tuple[str, ...]
    offset: tuple[float, ...]
    scale: tuple[float, ...]
    fill: float

    @property
    def shape(self) -> tuple[int, ...]:
        """Tensor shape the model must declare."""
        return (1, len(self.names))


@dataclass(frozen=True)
class ImageInput:
    """A camera image resized and normalised into ``(1, C, H, W)`` or ``(1, H, W, C)``."""

    tensor: str
    size: tuple[int, int]
    encoding: Literal['rgb8', 'bgr8', 'mono8']
    layout: Literal['nchw', 'nhwc']
    mean: tuple[float, ...]
    std: tuple[float, ...]
    source: str = 'image'

    @property
    def names(self) -> tuple[str, ...]:
        """What feeds the tensor: the channels in order."""
        return tuple(self.encoding[:-1]) if self.encoding != 'mono8' else ('mono',)

    @property
    def channels(self) -> int:
        """Channels of the encoding."""
        return 1 if self.encoding == 'mono8' else 3

    @property
    def shape(self) -> tuple[int, ...]:
        """Tensor shape the model must declare."""
        h, w = self.size
        return (1, self.channels, h, w) if self.layout == 'nchw' else (1, h, w, self.channels)


InputSpec = GridInput | VectorInput | ImageInput


@dataclass(frozen=True)
class OutputMap:
    """How elements of one output tensor become command fields: value * scale + offset.

    Without an explicit ``index`` the output must have exactly one element per field: a
    model that answers more than the contract reads is refused, as one that answers less.
    With ``index`` the contract picks its elements from a larger output on purpose.
    """

    tensor: str
    command: str
    fields: tuple[str, ...]
    index: tuple[int, ...]
    scale: tuple[float, ...]
    offset: tuple[float, ...]
    selects: bool = False  # ``index`` was given: the output may hold more elements
    horizon: int = 1  # steps in one answer (an action chunk when > 1)
    step_s: float = 0.0  # time between the steps of a chunk [s]

    def size_problem(self, size: int) -> str:
        """'' if an output of ``size`` elements fits, else what is wrong with it."""
        if self.horizon > 1:
            if size % self.horizon:
                return f'has {size} elements, not {self.horizon} steps (horizon) of equal size'
            size //= self.horizon
        if max(self.index) >= size:
            return f'has {size} elements, contract reads index {max(self.index)}'
        if not self.selects and size != len(self.fields):
            return (
                f'has {size} elements, contract reads {len(self.fields)} '
                f'({", ".join(self.fields)}); give output.index to read some of them'
            )
        return ''


@dataclass(frozen=True)
class PolicyContract:
    """A validated contract (see the module docstring)."""

    name: str
    inputs: tuple[InputSpec, ...]
    output: OutputMap

    @property
    def axes(self) -> tuple[str, ...]:
        """Command axes the policy drives, in output order (the safety gate's axes)."""
        return self.output.fields

    def input(self, tensor: str) -> InputSpec:
        """The input spec feeding ``tensor``."""
        for spec in self.inputs:
            if spec.tensor == tensor:
                return spec
        raise KeyError(tensor)

    @classmethod
    def from_yaml(cls, text: str) -> PolicyContract:
        """Parse and validate a contract.

        Raises:
            ContractError: naming the entry that is wrong and why.
        """
        try:
            data = load_yaml_limited(text, lambda reason: ContractError('<yaml>', reason))
        except yaml.YAMLError as exc:
            line, problem = yaml_problem(exc)
            raise ContractError('<yaml>', f'not valid YAML at line {line}: {problem}') from None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> PolicyContract:
        """Validate a contract given as plain data (see :meth:`from_yaml`)."""
        if not isinstance(data, Mapping):
            raise ContractError('<root>', f'expected a mapping, got {type(data).__name__}')
        _known(data, '<root>', {'name', 'inputs', 'output', 'version'})
        inputs_raw = data.get('inputs')
        if not isinstance(inputs_raw, list) or not inputs_raw:
            raise ContractError('inputs', 'expected a non-empty list of input entries')
        inputs = tuple(_parse_input(entry, f'inputs[{i}]') for i, entry in enumerate(inputs_raw))
        tensors = [spec.tensor for spec in inputs]
        if len(set(tensors)) != len(tensors):
            raise ContractError('inputs', f'tensor names repeat: {tensors}')
        output = _parse_output(data.get('output'))
        return cls(name=str(data.get('name', 'unnamed')), inputs=inputs, output=output)


def _known(entry: Mapping[str, Any], where: str, keys: set[str]) -> None:
    unknown = sorted(set(entry) - keys)
    if unknown:
        raise ContractError(where, f'unknown key {unknown[0]!r}; known: {", ".join(sorted(keys))}')


def _name(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise ContractError(f'{where}.{key}', f'expected a non-empty string, got {value!r}')
    return value


def _names(entry: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v for v in value)
    ):
        raise ContractError(f'{where}.{key}', f'expected a non-empty list of names, got {value!r}')
    if len(set(value)) != len(value):
        raise ContractError(f'{where}.{key}', f'names repeat: {value}')
    return tuple(value)


def _numbers(
    entry: Mapping[str, Any], key: str, where: str, n: int, default: float
) -> tuple[float, ...]:
    value = entry.get(key, default)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (float(value),) * n
    if (
        not isinstance(value, list)
        or len(value) != n
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    ):
        raise ContractError(
            f'{where}.{key}', f'expected a number or a list of {n} numbers, got {value!r}'
        )
    return tuple(float(v) for v in value)


MAX_HISTORY_S = 10.0  # s: the oldest grid a contract may stack


def _history(entry: Mapping[str, Any], where: str) -> tuple[float, ...]:
    """A grid input's ``history_s``: ages > 0, increasing, at most :data:`MAX_HISTORY_S`."""
    value = entry.get('history_s', [])
    if (
        not isinstance(value, list)
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        or not all(0 < v <= MAX_HISTORY_S for v in value)
        or any(b <= a for a, b in itertools.pairwise(value))
    ):
        raise ContractError(
            f'{where}.history_s',
            f'expected increasing ages in seconds, each in (0, {MAX_HISTORY_S:g}], got {value!r}',
        )
    return tuple(float(v) for v in value)


def _size(
    entry: Mapping[str, Any], key: str, where: str, required: bool = True
) -> tuple[int, int] | None:
    value = entry.get(key)
    if value is None and not required:
        return None
    if not (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        raise ContractError(
            f'{where}.{key}', f'expected [rows, cols] of positive integers, got {value!r}'
        )
    return int(value[0]), int(value[1])


def _parse_input(entry: Any, where: str) -> InputSpec:
    if not isinstance(entry, Mapping):
        raise ContractError(where, f'expected a mapping, got {entry!r}')
    tensor = _name(entry, 'tensor', where)
    source = entry.get('source')
    if source not in SOURCES:
        raise ContractError(f'{where}.source', f'{source!r} is not one of {", ".join(SOURCES)}')
    if source == 'grid':
        _known(
            entry,
            where,
            {
                'tensor',
                'source',
                'layers',
                'size',
                'resize',
                'fill_unknown',
                'offset',
                'scale',
                'resolution',
                'history_s',
            },
        )
        resolution = entry.get('resolution')
        if resolution is not None and (
            isinstance(resolution, bool)
            or not isinstance(resolution, (int, float))
            or resolution <= 0
        ):
            raise ContractError(
                f'{where}.resolution', f'expected a cell size > 0 [m], got {resolution!r}'
            )
        layers = _names(entry, 'layers', where)
        size = _size(entry, 'size', where)
        assert size is not None
        fill = _numbers(entry, 'fill_unknown', where, 1, 0.0)[0]
        history = _history(entry, where)
        return GridInput(
            tensor=tensor,
            layers=layers,
            size=size,
            resize=_size(entry, 'resize', where, required=False),
            fill_unknown=fill,
            offset=_numbers(entry, 'offset', where, len(layers), 0.0),
            scale=_numbers(entry, 'scale', where, len(layers), 1.0),
            resolution=None if resolution is None else float(resolution),
            history_s=history,
        )
    if source == 'image':
        _known(entry, where, {'tensor', 'source', 'size', 'encoding', 'layout', 'mean', 'std'})
        encoding = entry.get('encoding', 'rgb8')
        if encoding not in ('rgb8', 'bgr8', 'mono8'):
            raise ContractError(f'{where}.encoding', f'{encoding!r} is not rgb8, bgr8 or mono8')
        layout = entry.get('layout', 'nchw')
        if layout not in ('nchw', 'nhwc'):
            raise ContractError(f'{where}.layout', f'{layout!r} is not nchw or nhwc')
        channels = 1 if encoding == 'mono8' else 3
        std = _numbers(entry, 'std', where, channels, 255.0)
        if any(s == 0 for s in std):
            raise ContractError(f'{where}.std', 'must not be zero')
        size = _size(entry, 'size', where)
        assert size is not None
        return ImageInput(
            tensor=tensor, size=size, encoding=encoding, layout=layout,
            mean=_numbers(entry, 'mean', where, channels, 0.0), std=std,
        )  # fmt: skip
    _known(entry, where, {'tensor', 'source', 'names', 'size', 'offset', 'scale', 'fill'})
    if source == 'previous_action':
        count = entry.get('size')
        if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
            raise ContractError(
                f'{where}.size', f'expected the action length (> 0), got {count!r}'
            )
        names: tuple[str, ...] = tuple(f'action[{i}]' for i in range(count))
    else:
        names = _names(entry, 'names', where)
    if source == 'odom_twist':
        bad = [n for n in names if n not in TWIST_AXES]
        if bad:
            raise ContractError(
                f'{where}.names', f'{bad[0]!r} is not a twist field ({", ".join(TWIST_AXES)})'
            )
    return VectorInput(
        tensor=tensor,
        source=str(source),
        names=names,
        offset=_numbers(entry, 'offset', where, len(names), 0.0),
        scale=_numbers(entry, 'scale', where, len(names), 1.0),
        fill=_numbers(entry, 'fill', where, 1, 0.0)[0],
    )


def _parse_output(entry: Any) -> OutputMap:
    where = 'output'
    if not isinstance(entry, Mapping):
        raise ContractError(where, f'expected a mapping, got {entry!r}')
    _known(
        entry,
        where,
        {'tensor', 'command', 'fields', 'index', 'scale', 'offset', 'horizon', 'step_s'},
    )
    horizon = entry.get('horizon', 1)
    if not isinstance(horizon, int) or isinstance(horizon, bool) or not 1 <= horizon <= 1000:
        raise ContractError(
            f'{where}.horizon', f'expected an integer in [1, 1000], got {horizon!r}'
        )
    step_s = entry.get('step_s', 0.0)
    chunked = horizon > 1
    if chunked and not (isinstance(step_s, (int, float)) and 0.0 < step_s <= 10.0):
        raise ContractError(
            f'{where}.step_s', f'expected seconds in (0, 10] for a chunk, got {step_s!r}'
        )
    command = entry.get('command')
    if command not in COMMANDS:
        raise ContractError(f'{where}.command', f'{command!r} is not one of {", ".join(COMMANDS)}')
    fields = _names(entry, 'fields', where)
    if command == 'cmd_vel':
        bad = [f for f in fields if f not in TWIST_AXES]
        if bad:
            raise ContractError(
                f'{where}.fields', f'{bad[0]!r} is not a twist field ({", ".join(TWIST_AXES)})'
            )
    selects = 'index' in entry
    index_raw = entry.get('index', list(range(len(fields))))
    if not (
        isinstance(index_raw, list)
        and len(index_raw) == len(fields)
        and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in index_raw)
    ):
        raise ContractError(
            f'{where}.index',
            f'expected {len(fields)} non-negative element indices, got {index_raw!r}',
        )
    return OutputMap(
        tensor=_name(entry, 'tensor', where),
        command=str(command),
        fields=fields,
        index=tuple(index_raw),
        scale=_numbers(entry, 'scale', where, len(fields), 1.0),
        offset=_numbers(entry, 'offset', where, len(fields), 0.0),
        selects=selects,
        horizon=horizon,
        step_s=float(step_s) if chunked else 0.0,
    )


def check_against_model(
    contract: PolicyContract, inputs: Sequence[Any], outputs: Sequence[Any]
) -> None:
    """Check the contract against a model's declared inputs and outputs.

    ``inputs``/``outputs`` are onnxruntime ``NodeArg``s (``name``, ``shape``, ``type``); a
    symbolic dimension (a name or None) accepts any size.

    Raises:
        ContractError: a tensor missing on either side, a rank or static dimension that
            differs (both shapes are named), or an element type other than float32.
    """
    declared = {arg.name: arg for arg in inputs}
    for spec in contract.inputs:
        arg = declared.get(spec.tensor)
        if arg is None:
            raise ContractError(
                f'input {spec.tensor!r}', f'the model has no such input; it has {sorted(declared)}'
            )
        _check_shape(f'input {spec.tensor!r}', list(arg.shape), spec.shape, arg.type)
    missing = sorted(set(declared) - {spec.tensor for spec in contract.inputs})
    if missing:
        raise ContractError(
            f'input {missing[0]!r}', 'the model needs it but the contract does not feed it'
        )
    produced = {arg.name: arg for arg in outputs}
    out = contract.output
    arg = produced.get(out.tensor)
    if arg is None:
        raise ContractError(
            f'output {out.tensor!r}', f'the model has no such output; it has {sorted(produced)}'
        )
    if arg.type != 'tensor(float)':
        raise ContractError(
            f'output {out.tensor!r}', f'element type {arg.type}, expected tensor(float)'
        )
    static = [d for d in arg.shape if isinstance(d, int)]
    if len(static) == len(arg.shape):
        size = 1
        for d in static:
            size *= d
        problem = out.size_problem(size)
        if problem:
            raise ContractError(
                f'output {out.tensor!r}', f'model shape {list(arg.shape)} {problem}'
            )


def _check_shape(
    where: str, model_shape: list[Any], contract_shape: tuple[int, ...], dtype: str
) -> None:
    if dtype != 'tensor(float)':
        raise ContractError(where, f'element type {dtype}, expected tensor(float) (float32)')
    mismatch = len(model_shape) != len(contract_shape) or any(
        isinstance(m, int) and m != c for m, c in zip(model_shape, contract_shape, strict=True)
    )
    if mismatch:
        raise ContractError(
            where, f'model expects shape {model_shape}, contract gives {list(contract_shape)}'
        )
