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

"""Lidar preprocessing in the base frame: transform, crop, NaN removal, voxel downsampling.

No per-point Python: every step is a vectorised numpy pass. Voxel downsampling keeps one real
point per occupied voxel (the last one in scan order), found with a dense voxel index inside
the crop box instead of a sort, which is what makes it cheaper than open3d's
``voxel_down_sample`` on these clouds (see ``bench/perception.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any

import numpy as np

from physical_ai_ros.core.errors import PointCloudError
from physical_ai_ros.core.messages.pointcloud import cloud_to_array, PointCloud2Like
from physical_ai_ros.core.perception.transforms import Matrix

FloatPoints = np.ndarray[Any, np.dtype[np.float32]]


@dataclass(frozen=True)
class CropConfig:
    """What part of a cloud is kept, in the base frame.

    Attributes:
        min_range: drop returns closer than this to the sensor (the robot itself) [m].
        max_range: drop returns farther than this from the sensor [m].
        box_min: lower corner (x, y, z) of the kept box [m].
        box_max: upper corner (x, y, z) of the kept box [m].
        voxel_size: edge of a voxel for downsampling [m].
    """

    min_range: float = 0.3
    max_range: float = 30.0
    box_min: tuple[float, float, float] = (-10.0, -10.0, -1.0)
    box_max: tuple[float, float, float] = (10.0, 10.0, 2.5)
    voxel_size: float = 0.1


@dataclass
class LidarFrame:
    """One lidar's points in the base frame, cropped and finite.

    Attributes:
        points: ``(N, 3)`` float32 base-frame coordinates.
        intensity: ``(N,)`` float32 intensity (zeros where the cloud has none).
        stamp_ns: the cloud's stamp.
        dropped_nonfinite: points dropped for NaN/Inf coordinates.
        dropped_crop: points dropped by the range and box crop.
        returns: points with a real return: finite and within the lidar's range limits (a
            lidar that reports only NaN, or only points at its origin, has none).
    """

    points: FloatPoints
    intensity: FloatPoints
    stamp_ns: int
    dropped_nonfinite: int = 0
    dropped_crop: int = 0
    returns: int = 0


def prepare_cloud(
    msg: PointCloud2Like, base_from_sensor: Matrix, crop: CropConfig, stamp_ns: int
) -> LidarFrame:
    """Decode a cloud and bring it into the base frame, cropped and NaN-free.

    Raises:
        PointCloudError: the cloud is malformed or has no x, y, z.
    """
    points = cloud_to_array(msg)
    names = points.dtype.names or ()
    if not all(axis in names for axis in 'xyz'):
        raise PointCloudError('fields', list(names), 'lacks x, y or z')
    for axis in 'xyz':
        if points[axis].ndim != 1:  # a PointField count > 1: several values per point
            raise PointCloudError(f'fields[{axis!r}].count', points.dtype[axis].shape, 'must be 1')
    n = points.shape[0]
    # Coordinates are kept as rows (3, N): every pass below then runs over contiguous memory.
    sensor = np.empty((3, n), np.float32)
    for row, axis in enumerate('xyz'):
        sensor[row] = points[axis]
    with np.errstate(invalid='ignore'):
        range2 = np.einsum('ij,ij->j', sensor, sensor)  # NaN for non-finite points
        # einsum, not `@`: independent of BLAS threading (see transforms.apply)
        base = np.einsum('ij,jn->in', base_from_sensor[:3, :3].astype(np.float32), sensor)
        base += base_from_sensor[:3, 3:4].astype(np.float32)
        keep = (range2 >= crop.min_range**2) & (range2 <= crop.max_range**2)
        returns = int(np.count_nonzero(keep))
        for k in range(3):
            keep &= (base[k] >= crop.box_min[k]) & (base[k] <= crop.box_max[k])
    nonfinite = n - int(np.count_nonzero(np.isfinite(range2)))
    if 'intensity' in names and points['intensity'].ndim == 1:
        intensity = points['intensity'][keep].astype(np.float32, copy=False)
    else:
        intensity = np.zeros(int(np.count_nonzero(keep)), np.float32)
    kept = np.ascontiguousarray(base[:, keep].T)
    return LidarFrame(
        points=kept,
        intensity=intensity,
        stamp_ns=stamp_ns,
        dropped_nonfinite=nonfinite,
        dropped_crop=n - nonfinite - kept.shape[0],
        returns=returns,
    )


def merge_frames(frames: list[LidarFrame]) -> LidarFrame:
    """Concatenate several lidars' base-frame points; the stamp is the newest one."""
    if len(frames) == 1:
        return frames[0]
    return LidarFrame(
        points=np.concatenate([f.points for f in frames]),
        intensity=np.concatenate([f.intensity for f in frames]),
        stamp_ns=max(f.stamp_ns for f in frames),
        dropped_nonfinite=sum(f.dropped_nonfinite for f in frames),
        dropped_crop=sum(f.dropped_crop for f in frames),
    )


class VoxelFilter:
    """Keeps one point per occupied voxel of the crop box, with a preallocated index.

    The index holds, per voxel, the position of the last point written to it, offset by a
    running counter so entries from earlier calls never match and need no reset.
    """

    def __init__(self, crop: CropConfig) -> None:
        self.size = float(crop.voxel_size)
        self.lo = np.asarray(crop.box_min, np.float32)
        span = np.asarray(crop.box_max, np.float64) - np.asarray(crop.box_min, np.float64)
        self.dims = [max(math.ceil(d / self.size), 1) for d in span]
        self._last = np.full(self.dims[0] * self.dims[1] * self.dims[2], -1, dtype=np.int64)
        self._offset = 0

    def __call__(self, points: FloatPoints) -> np.ndarray[Any, np.dtype[np.intp]]:
        """Indices of the kept points (one per voxel), in ascending order."""
        n = points.shape[0]
        if n == 0:
            return np.zeros(0, np.intp)
        rows = np.ascontiguousarray(points.T)  # contiguous x, y, z rows: faster passes
        scale = np.float32(1.0 / self.size)
        key = np.zeros(n, np.int64)
        stride = 1
        for axis in (2, 1, 0):
            cell = ((rows[axis] - self.lo[axis]) * scale).astype(np.int64)
            np.clip(cell, 0, self.dims[axis] - 1, out=cell)  # points outside share edge voxels
            cell *= stride
            key += cell
            stride *= self.dims[axis]
        order = np.arange(self._offset, self._offset + n, dtype=np.int64)
        self._offset += n
        self._last[key] = order  # the last point written to a voxel wins
        winners: np.ndarray[Any, np.dtype[np.intp]] = np.flatnonzero(self._last[key] == order)
        return winners
