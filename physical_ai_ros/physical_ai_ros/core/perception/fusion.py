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

"""Camera fusion: colour lidar points by projecting them into camera images.

A point takes the colour of the pixel that contains its projection (pixel centres at integer
coordinates, :meth:`PinholeCamera.pixel_of`) only if it is in front of the camera and inside
the image (:meth:`PinholeCamera.project` decides, distortion included). Optionally the
image is also projected onto the floor (inverse perspective mapping) to colour floor cells that
no lidar point covers, e.g. painted lanes and markings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from physical_ai_ros.core.messages.camera import PinholeCamera
from physical_ai_ros.core.perception.grid import GridGeometry
from physical_ai_ros.core.perception.transforms import apply, Matrix


@dataclass
class CameraView:
    """One camera at one moment: its model, where it is, and its decoded RGB frame."""

    camera: PinholeCamera
    base_from_camera: Matrix  # pose of the optical frame in the base frame
    rgb: np.ndarray[Any, np.dtype[np.uint8]]  # (H, W, 3), rgb8
    stamp_ns: int

    @property
    def camera_from_base(self) -> Matrix:
        """Inverse of :attr:`base_from_camera`."""
        out = np.eye(4)
        rotation = self.base_from_camera[:3, :3]
        out[:3, :3] = rotation.T
        out[:3, 3] = -rotation.T @ self.base_from_camera[:3, 3]
        return out


def colour_points(
    points: np.ndarray[Any, np.dtype[np.float32]], views: list[CameraView]
) -> tuple[np.ndarray[Any, np.dtype[np.float32]], np.ndarray[Any, np.dtype[np.bool_]]]:
    """Colour base-frame points from camera images.

    Returns:
        ``(rgb, coloured)``: ``(N, 3)`` float32 colours in 0..1 and a mask of the points some
        camera saw. Where several cameras see a point, the first in ``views`` wins.
    """
    n = points.shape[0]
    rgb = np.zeros((n, 3), np.float32)
    coloured = np.zeros(n, bool)
    for view in views:
        if view.rgb.shape[:2] != (view.camera.height, view.camera.width):
            continue  # a frame that does not match its CameraInfo is not used
        todo = np.flatnonzero(~coloured)
        if todo.size == 0:
            break
        in_camera = apply(view.camera_from_base, points[todo])
        ahead = np.flatnonzero(in_camera[:, 2] > 0.0)  # cheap cull before the projection
        uv, visible = view.camera.project(in_camera[ahead])
        hit = todo[ahead[visible]]
        pixels = PinholeCamera.pixel_of(uv[visible])
        rgb[hit] = view.rgb[pixels[:, 1], pixels[:, 0]] * np.float32(1.0 / 255.0)
        coloured[hit] = True
    return rgb, coloured


def floor_colours(
    geometry: GridGeometry, view: CameraView, floor_z: float = 0.0
) -> tuple[np.ndarray[Any, np.dtype[np.float32]], np.ndarray[Any, np.dtype[np.bool_]]]:
    """Project the image onto the floor plane under each grid cell (IPM).

    Returns:
        ``(rgb, seen)``: ``(height, width, 3)`` colours 0..1 of the floor under each cell and a
        mask of the cells the camera sees.
    """
    xs, ys = geometry.cell_centres()
    bx, by = np.meshgrid(xs, ys)
    floor = (
        np.stack([bx, by, np.full_like(bx, floor_z)], axis=-1).reshape(-1, 3).astype(np.float32)
    )
    rgb, seen = colour_points(floor, [view])
    return rgb.reshape(geometry.height, geometry.width, 3), seen.reshape(
        geometry.height, geometry.width
    )
