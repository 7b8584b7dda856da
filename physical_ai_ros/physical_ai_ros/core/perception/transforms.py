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

"""Rigid transforms (extrinsics) as 4x4 matrices, from parameters or TF messages."""

from __future__ import annotations

from collections.abc import Sequence
import math
from typing import Any

import numpy as np

Matrix = np.ndarray[Any, np.dtype[np.float64]]


def rpy_to_matrix(roll: float, pitch: float, yaw: float) -> Matrix:
    """3x3 rotation of fixed-axis roll, pitch, yaw (R = Rz(yaw) Ry(pitch) Rx(roll)), as in TF."""
    cr, sr = math.cos(roll), math.sin(roll)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cy, sy = math.cos(yaw), math.sin(yaw)
    return np.array(
        [
            [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
            [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
            [-sp, cp * sr, cp * cr],
        ]
    )


def quaternion_to_matrix(x: float, y: float, z: float, w: float) -> Matrix:
    """3x3 rotation of a quaternion (normalised first).

    Raises:
        ValueError: the quaternion is zero or not finite.
    """
    norm = math.sqrt(x * x + y * y + z * z + w * w)
    if not math.isfinite(norm) or norm < 1e-9:
        raise ValueError(f'quaternion ({x}, {y}, {z}, {w}) is not a rotation')
    x, y, z, w = x / norm, y / norm, z / norm, w / norm
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def extrinsic(values: Sequence[float]) -> Matrix:
    """4x4 transform from ``[x, y, z, roll, pitch, yaw]`` (m, rad) or 16 row-major values.

    Raises:
        ValueError: another number of values, non-finite values, or a 4x4 that is not rigid.
    """
    data = np.asarray(values, dtype=np.float64).ravel()
    if not np.isfinite(data).all():
        raise ValueError(f'extrinsic has non-finite values: {data.tolist()}')
    if data.size == 6:
        out = np.eye(4)
        out[:3, :3] = rpy_to_matrix(*data[3:])
        out[:3, 3] = data[:3]
        return out
    if data.size == 16:
        out = data.reshape(4, 4)
        rotation = out[:3, :3]
        rigid = np.allclose(rotation @ rotation.T, np.eye(3), atol=1e-6) and np.allclose(
            out[3], [0, 0, 0, 1]
        )
        if not rigid or np.linalg.det(rotation) < 0:
            raise ValueError('extrinsic 4x4 is not a rigid transform (rotation + translation)')
        return out
    raise ValueError(f'extrinsic needs 6 values (x y z roll pitch yaw) or 16, got {data.size}')


def transform_to_matrix(transform: Any) -> Matrix:
    """4x4 of a ``geometry_msgs/Transform`` (e.g. from a TransformStamped on /tf_static)."""
    t, q = transform.translation, transform.rotation
    out = np.eye(4)
    out[:3, :3] = quaternion_to_matrix(q.x, q.y, q.z, q.w)
    out[:3, 3] = (t.x, t.y, t.z)
    return out


def apply(matrix: Matrix, points: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Transform ``(N, 3)`` points; float32 in, float32 out."""
    rotation = matrix[:3, :3].astype(np.float32)
    # einsum, not `@`: a 3x3 product over many points must not go through BLAS, whose
    # threads (OpenBLAS's default: one per core) cost more than they save here and make the
    # time depend on the machine's BLAS settings (bench/perception.py)
    out: np.ndarray[Any, np.dtype[np.float32]] = np.einsum('nj,ij->ni', points, rotation)
    out += matrix[:3, 3].astype(np.float32)
    return out


def yaw_of_quaternion(x: float, y: float, z: float, w: float) -> float:
    """Heading (rotation about z) of a quaternion [rad]."""
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
