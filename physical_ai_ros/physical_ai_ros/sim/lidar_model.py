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

"""The spinning-lidar model both simulators share: beam directions and the organized scan."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: Point layout of the simulated lidars: an Ouster driver's, padding included.
LIDAR_DTYPE = np.dtype(
    {
        'names': ['x', 'y', 'z', 'intensity', 't', 'ring'],
        'formats': ['<f4', '<f4', '<f4', '<f4', '<u4', '<u2'],
        'offsets': [0, 4, 8, 16, 20, 24],
        'itemsize': 32,
    }
)


def beam_directions(channels: int, columns: int, vfov_deg: float) -> np.ndarray[Any, Any]:
    """Unit vectors of every beam in the lidar frame, ``(channels * columns, 3)``.

    Channels run from the top of the vertical field of view down; columns sweep from behind
    the sensor (azimuth 180 degrees) clockwise, as a spinning lidar's packets do.
    """
    half = math.radians(vfov_deg) / 2
    elevation = np.linspace(half, -half, channels)[:, None]
    azimuth = np.linspace(math.pi, -math.pi, columns, endpoint=False)[None, :]
    local = np.stack(
        np.broadcast_arrays(
            np.cos(elevation) * np.cos(azimuth),
            np.cos(elevation) * np.sin(azimuth),
            np.sin(elevation) * np.ones_like(azimuth),
        ),
        axis=-1,
    )
    return local.reshape(-1, 3)


def organized_scan(
    directions: np.ndarray[Any, Any],
    distance: np.ndarray[Any, Any],
    channels: int,
    columns: int,
    sweep_ns: int = 0,
) -> np.ndarray[Any, Any]:
    """The scan as an organized (channels, columns) cloud; NaN distance is no return."""
    points = np.zeros(channels * columns, dtype=LIDAR_DTYPE)
    xyz = directions * distance[:, None]
    points['x'], points['y'], points['z'] = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    finite = np.isfinite(distance)
    points['intensity'] = np.where(finite, 1000.0 / (1.0 + np.nan_to_num(distance)), 0.0)
    points['ring'] = np.repeat(np.arange(channels, dtype=np.uint16), columns)
    points['t'] = np.tile(np.linspace(0, sweep_ns, columns, dtype=np.uint32), channels)
    return points.reshape(channels, columns)
