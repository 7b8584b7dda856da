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

"""The sensors both simulators share: their specs, the lidar's beams and its organized scan.

The MuJoCo world (:mod:`.world_mujoco`) and the numpy ray caster (:mod:`.synthetic`) take the
same :class:`LidarSpec`, :class:`CameraSpec` and :class:`SensorRates`, so a scenario's sensors
are described once whichever simulator renders them.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class LidarSpec:
    """Beam pattern of a spinning lidar (defaults: a 32-channel, 33 degree sensor).

    Attributes:
        channels: beams stacked vertically (rows of the organized cloud).
        columns: firings per revolution (columns of the organized cloud).
        vfov_deg: vertical field of view, top beam to bottom beam [deg].
        max_range: beyond this a beam returns nothing [m].
    """

    channels: int = 32
    columns: int = 512
    vfov_deg: float = 33.2
    max_range: float = 60.0


@dataclass(frozen=True)
class CameraSpec:
    """The front camera: image size and vertical field of view (MuJoCo's ``fovy``)."""

    width: int = 320
    height: int = 240
    fovy_deg: float = 70.0

    @property
    def focal_px(self) -> float:
        """Focal length of the ideal pinhole with this size and field of view [px]."""
        return (self.height / 2.0) / math.tan(math.radians(self.fovy_deg) / 2.0)


@dataclass(frozen=True)
class SensorRates:
    """How often each sensor publishes [Hz]."""

    lidar: float = 10.0
    camera: float = 10.0
    iot: float = 2.0
    odom: float = 50.0


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
