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

"""Observation assembly: robot data into the model's input tensors, as the contract says.

Buffers are allocated once per contract and filled in place each control step. A grid input
with ``history_s`` keeps the frames it built, by grid stamp, for as long as its oldest age
asks (at most :data:`MAX_HISTORY_FRAMES`): an earlier frame is the newest one at least that
old, or the oldest kept while the run is younger than that. The builder reads no clock: the
same grids in give the same tensors out, live, in replay and in dataset export.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from physical_ai_ros.core.errors import PolicyInputError
from physical_ai_ros.core.messages.image import convert_encoding
from physical_ai_ros.core.perception.grid import SpatialGrid
from physical_ai_ros.core.policy.contract import GridInput, ImageInput, PolicyContract, VectorInput

MAX_HISTORY_FRAMES = 256  # per grid input: 10 s of history_s at 25 Hz


@dataclass
class PolicyInputs:
    """Everything a policy may read at one control step.

    Attributes:
        grid: the latest spatial grid.
        iot: normalised IoT features by name.
        twist: robot velocity by twist field (``linear.x``, ``angular.z`` ...).
        joint_positions: joint positions by joint name.
        joint_velocities: joint velocities by joint name.
        previous_action: the last command the gate let through.
        image: a decoded camera image, in ``image_encoding``.
        image_encoding: encoding of ``image``.
    """

    grid: SpatialGrid | None = None
    iot: Mapping[str, float] | None = None
    twist: Mapping[str, float] | None = None
    joint_positions: Mapping[str, float] | None = None
    joint_velocities: Mapping[str, float] | None = None
    previous_action: np.ndarray[Any, Any] | None = None
    image: np.ndarray[Any, Any] | None = None
    image_encoding: str = 'rgb8'


class ObservationBuilder:
    """Fills preallocated float32 input tensors from :class:`PolicyInputs`."""

    def __init__(self, contract: PolicyContract) -> None:
        self.contract = contract
        self._buffers = {spec.tensor: np.zeros(spec.shape, np.float32) for spec in contract.inputs}
        self._norm: dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = {}
        #: per grid input with history: (grid stamp, its frame) oldest first
        self._frames: dict[str, deque[tuple[int, np.ndarray[Any, Any]]]] = {
            spec.tensor: deque(maxlen=MAX_HISTORY_FRAMES)
            for spec in contract.inputs
            if isinstance(spec, GridInput) and spec.history_s
        }
        for spec in contract.inputs:
            shape: tuple[int, ...]
            if isinstance(spec, GridInput):
                shape = (len(spec.layers) * (1 + len(spec.history_s)), 1, 1)
            elif isinstance(spec, VectorInput):
                shape = (len(spec.names),)
            else:
                shape = (spec.channels, 1, 1) if spec.layout == 'nchw' else (1, 1, spec.channels)
            offset = spec.mean if isinstance(spec, ImageInput) else spec.offset
            scale = (
                tuple(1.0 / s for s in spec.std) if isinstance(spec, ImageInput) else spec.scale
            )
            if isinstance(spec, GridInput):  # the same per layer in every frame
                offset, scale = (
                    offset * (1 + len(spec.history_s)),
                    scale * (1 + len(spec.history_s)),
                )
            if any(o != 0.0 for o in offset) or any(k != 1.0 for k in scale):
                self._norm[spec.tensor] = (
                    np.asarray(offset, np.float32).reshape(shape),
                    np.asarray(scale, np.float32).reshape(shape),
                )

    def build(self, inputs: PolicyInputs) -> dict[str, np.ndarray[Any, Any]]:
        """Return the feeds for ``session.run`` (the same arrays every call, refilled).

        Raises:
            PolicyInputError: an input the contract needs is absent or unusable.
        """
        for spec in self.contract.inputs:
            out = self._buffers[spec.tensor]
            if isinstance(spec, GridInput):
                current = out[0, : len(spec.layers)]
                self._fill_grid(spec, inputs.grid, current)
                if spec.history_s:
                    assert inputs.grid is not None  # _fill_grid raised otherwise
                    self._fill_history(spec, inputs.grid.stamp_ns, current, out[0])
            elif isinstance(spec, VectorInput):
                self._fill_vector(spec, inputs, out[0])
            else:
                self._fill_image(spec, inputs, out[0])
            normalisation = self._norm.get(spec.tensor)
            if normalisation is not None:
                offset, scale = normalisation
                view = out[0]
                view -= offset
                view *= scale
        return self._buffers

    def _fill_grid(
        self, spec: GridInput, grid: SpatialGrid | None, out: np.ndarray[Any, Any]
    ) -> None:
        if grid is None:
            raise PolicyInputError(spec.tensor, 'no spatial grid received yet')
        if spec.resolution is not None and abs(grid.geometry.resolution - spec.resolution) > 1e-6:
            raise PolicyInputError(
                spec.tensor,
                f'grid resolution {grid.geometry.resolution} m, '
                f'the model was made for {spec.resolution} m',
            )
        rows, cols = spec.size
        height, width = grid.geometry.height, grid.geometry.width
        # the crop is centred on the robot, which sits at the centre of the grid
        r0, c0 = (height - rows) // 2, (width - cols) // 2
        src_r = slice(max(r0, 0), min(r0 + rows, height))
        src_c = slice(max(c0, 0), min(c0 + cols, width))
        dst_r = slice(src_r.start - r0, src_r.stop - r0)
        dst_c = slice(src_c.start - c0, src_c.stop - c0)
        target = (
            out if spec.resize is None else np.empty((len(spec.layers), rows, cols), np.float32)
        )
        if (dst_r.stop - dst_r.start, dst_c.stop - dst_c.start) != (rows, cols):
            target.fill(spec.fill_unknown)
        for k, layer in enumerate(spec.layers):
            try:
                index = grid.index(layer)
            except KeyError as exc:
                raise PolicyInputError(spec.tensor, str(exc.args[0])) from None
            target[k, dst_r, dst_c] = grid.data[index, src_r, src_c]
        np.copyto(target, spec.fill_unknown, where=np.isnan(target))
        if spec.resize is not None:
            resized = cv2.resize(
                np.moveaxis(target, 0, -1),
                (spec.resize[1], spec.resize[0]),
                interpolation=cv2.INTER_AREA,
            )
            out[...] = resized.reshape(spec.resize[0], spec.resize[1], -1).transpose(2, 0, 1)

    def _fill_history(
        self,
        spec: GridInput,
        stamp_ns: int,
        current: np.ndarray[Any, Any],
        out: np.ndarray[Any, Any],
    ) -> None:
        """Keep ``current`` (the frame of the grid stamped ``stamp_ns``); stack earlier ones."""
        frames = self._frames[spec.tensor]
        if frames and stamp_ns < frames[-1][0]:  # time went back: another run
            frames.clear()
        if not frames or stamp_ns > frames[-1][0]:  # a new grid, not a second step on one
            frames.append((stamp_ns, current.copy()))
        oldest_needed = stamp_ns - round(spec.history_s[-1] * 1e9)
        while len(frames) > 1 and frames[1][0] <= oldest_needed:
            frames.popleft()  # frames[1] is old enough for every age: frames[0] never used
        n = len(spec.layers)
        for k, age in enumerate(spec.history_s, start=1):
            wanted = stamp_ns - round(age * 1e9)
            frame = next((f for s, f in reversed(frames) if s <= wanted), frames[0][1])
            out[k * n : (k + 1) * n] = frame

    def _fill_vector(
        self, spec: VectorInput, inputs: PolicyInputs, out: np.ndarray[Any, Any]
    ) -> None:
        if spec.source == 'previous_action':
            action = inputs.previous_action
            if action is None:
                out.fill(spec.fill)
            elif action.size != out.size:
                raise PolicyInputError(
                    spec.tensor,
                    f'previous action has {action.size} values, contract says {out.size}',
                )
            else:
                out[:] = action
            return
        source: Mapping[str, float] | None = {
            'iot': inputs.iot,
            'odom_twist': inputs.twist,
            'joint_position': inputs.joint_positions,
            'joint_velocity': inputs.joint_velocities,
        }[spec.source]
        if source is None:
            if spec.source == 'iot':  # IoT may be absent: features fall back to `fill`
                out.fill(spec.fill)
                return
            raise PolicyInputError(spec.tensor, f'no {spec.source} received yet')
        for i, name in enumerate(spec.names):
            value = source.get(name)
            if value is None:
                if spec.source in ('joint_position', 'joint_velocity'):
                    raise PolicyInputError(
                        spec.tensor, f'joint {name!r} missing from joint_states'
                    )
                value = spec.fill
            out[i] = value

    def _fill_image(
        self, spec: ImageInput, inputs: PolicyInputs, out: np.ndarray[Any, Any]
    ) -> None:
        if inputs.image is None:
            raise PolicyInputError(spec.tensor, 'no camera image received yet')
        pixels = convert_encoding(inputs.image, inputs.image_encoding, spec.encoding)
        h, w = spec.size
        resized = cv2.resize(pixels, (w, h), interpolation=cv2.INTER_AREA)
        if resized.ndim == 2:
            resized = resized[:, :, None]
        if spec.layout == 'nchw':
            out[...] = resized.transpose(2, 0, 1)
        else:
            out[...] = resized
