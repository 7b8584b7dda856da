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

"""Integration of lidar frames into the :class:`SpatialGrid`.

Occupancy is a log-odds map: cells with obstacle points gain, cells that rays passed through
lose (free space, found per angular sector without casting rays one by one), and everything
decays towards unknown with a time constant, so an obstacle that moved away clears. When the
robot moves, the grid is shifted by the odometry delta (whole cells exactly, rotations by a
nearest-neighbour warp) rather than rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any

import numpy as np

from physical_ai_ros.core.messages.stamps import NS_PER_S
from physical_ai_ros.core.perception.grid import GridGeometry, SpatialGrid

Floats = np.ndarray[Any, np.dtype[np.float32]]


def nearest_cells(
    width: int, height: int, matrix: tuple[float, float, float, float, float, float]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Where each cell of a grid comes from under an affine map: flat index, and inside or not.

    ``matrix`` is (a, b, c, d, e, f): x' = a x + b y + c, y' = d x + e y + f, in cells, from a
    cell of the new grid to the old; rounded to the nearest cell (halves up).

    Written out rather than ``cv2.warpAffine(..., INTER_NEAREST)``: OpenCV's fixed-point
    rounding changed between 4.x and 5.x, and with it the grid (a golden recorded with one
    failed on the other at ``/occupancy data[18014]``). Here each coordinate is a few IEEE
    double operations, element by element: the same cells on every numpy and OpenCV.
    """
    a, b, c, d, e, f = matrix
    cols = np.arange(width, dtype=np.float64)[None, :]
    rows = np.arange(height, dtype=np.float64)[:, None]
    x = np.floor(a * cols + b * rows + c + 0.5)
    y = np.floor(d * cols + e * rows + f + 0.5)
    inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    index = np.where(inside, y * width + x, 0).astype(np.intp).ravel()
    return index, inside.ravel()


@dataclass(frozen=True)
class MappingConfig:
    """How frames update the grid.

    Attributes:
        hit_log_odds: log-odds added to a cell with obstacle points.
        miss_log_odds: log-odds added to a cell rays passed through (negative).
        clamp_log_odds: log-odds are kept within +-this, so a cell can change its mind.
        decay_time_s: log-odds decay by e every this many seconds without evidence [s].
        min_obstacle_height: points lower above the ground are not obstacles [m].
        max_obstacle_height: points higher above the ground (overhangs) are ignored [m].
        angular_bins: sectors around the sensor for free-space carving.
        rotation_epsilon: yaw changes below this shift the grid without rotating it [rad].
    """

    hit_log_odds: float = 0.85
    miss_log_odds: float = -0.4
    clamp_log_odds: float = 3.5
    decay_time_s: float = 3.0
    min_obstacle_height: float = 0.12
    max_obstacle_height: float = 2.0
    angular_bins: int = 720
    rotation_epsilon: float = 0.005


@dataclass
class FrameInput:
    """One update's points, classified, in the base frame.

    Attributes:
        points: ``(N, 3)`` float32 base-frame points.
        intensity: ``(N,)`` float32.
        height: ``(N,)`` float32 height above the ground plane.
        ground: ``(N,)`` bool, points on the floor.
        colour_index: indices into ``points`` of the coloured points.
        colours: ``(len(colour_index), 3)`` float32 colours 0..1, or None without a camera.
        origin: base-frame (x, y) of the sensor, for free space.
        stamp_ns: the key source's stamp.
    """

    points: Floats
    intensity: Floats
    height: Floats
    ground: np.ndarray[Any, np.dtype[np.bool_]]
    colour_index: np.ndarray[Any, np.dtype[np.intp]]
    colours: Floats | None
    origin: tuple[float, float]
    stamp_ns: int


class GridMapper:
    """Owns the live grid and updates it in place, frame by frame."""

    def __init__(
        self,
        geometry: GridGeometry,
        config: MappingConfig,
        extra_layers: list[tuple[str, str]],
        *,
        frame_id: str = 'base_link',
    ) -> None:
        self.config = config
        self.grid = SpatialGrid(geometry, extra_layers, frame_id=frame_id)
        shape = (geometry.height, geometry.width)
        self.log_odds = np.zeros(shape, np.float32)
        self.last_seen_s = np.full(shape, np.nan, np.float64)  # seconds since epoch_ns
        self.epoch_ns: int | None = None
        self.anchor: tuple[float, float, float] | None = None
        self.last_stamp_ns: int | None = None
        self._occupancy = self.grid.index('occupancy')
        xs, ys = geometry.cell_centres()
        self._cell_x, self._cell_y = np.meshgrid(xs.astype(np.float32), ys.astype(np.float32))
        self._polar_cache: tuple[tuple[float, float], Any, Any] | None = None

    # --- ego-motion -----------------------------------------------------------------------

    def move_to(self, pose: tuple[float, float, float]) -> None:
        """Shift the grid so it is centred on ``pose`` (x, y, yaw in the odometry frame)."""
        if self.anchor is None:
            self.anchor = pose
            return
        ax, ay, ayaw = self.anchor
        c, s = math.cos(ayaw), math.sin(ayaw)
        dx_w, dy_w = pose[0] - ax, pose[1] - ay
        dx, dy = c * dx_w + s * dy_w, -s * dx_w + c * dy_w  # motion in the anchor's frame
        dyaw = math.atan2(math.sin(pose[2] - ayaw), math.cos(pose[2] - ayaw))
        res = self.grid.geometry.resolution
        if abs(dyaw) < self.config.rotation_epsilon:
            kx, ky = round(dx / res), round(dy / res)
            if kx or ky:
                self._shift_cells(kx, ky)
                # keep the sub-cell remainder: the anchor moves by whole cells only
                self.anchor = (ax + (c * kx - s * ky) * res, ay + (s * kx + c * ky) * res, ayaw)
            return
        self._warp(dx / res, dy / res, dyaw)
        self.anchor = pose

    def _shift_cells(self, kx: int, ky: int) -> None:
        """new[r, c] = old[r + ky, c + kx]; what enters from outside is unknown."""
        for array, fill in (
            (self.grid.data, np.nan),
            (self.log_odds, 0.0),
            (self.last_seen_s, np.nan),
        ):
            shifted = np.full_like(array, fill)
            h, w = array.shape[-2:]
            src_r = slice(max(ky, 0), h + min(ky, 0))
            dst_r = slice(max(-ky, 0), h + min(-ky, 0))
            src_c = slice(max(kx, 0), w + min(kx, 0))
            dst_c = slice(max(-kx, 0), w + min(-kx, 0))
            shifted[..., dst_r, dst_c] = array[..., src_r, src_c]
            array[...] = shifted

    def _warp(self, dx_cells: float, dy_cells: float, dyaw: float) -> None:
        c, s = math.cos(dyaw), math.sin(dyaw)
        geometry = self.grid.geometry
        o = np.array(
            [
                geometry.origin[0] / geometry.resolution + 0.5,
                geometry.origin[1] / geometry.resolution + 0.5,
            ]
        )
        # new (col, row) -> old (col, row), nearest cell; outside the old grid: unknown
        ox = c * o[0] - s * o[1] + dx_cells - o[0]
        oy = s * o[0] + c * o[1] + dy_cells - o[1]
        index, inside = nearest_cells(geometry.width, geometry.height, (c, -s, ox, s, c, oy))

        def warp(image: np.ndarray[Any, Any], fill: float) -> np.ndarray[Any, Any]:
            flat = image.reshape(*image.shape[:-2], -1)
            out: np.ndarray[Any, Any] = flat[..., index]
            out[..., ~inside] = fill
            shaped: np.ndarray[Any, Any] = out.reshape(image.shape)
            return shaped

        self.grid.data[...] = warp(self.grid.data, float('nan'))
        self.log_odds[...] = warp(self.log_odds, 0.0)
        self.last_seen_s[...] = warp(self.last_seen_s, float('nan'))

    # --- integration ----------------------------------------------------------------------

    def integrate(self, frame: FrameInput) -> dict[str, int]:
        """Update every lidar layer of the grid from one frame; returns cell counts."""
        config, grid = self.config, self.grid
        geometry = grid.geometry
        if self.epoch_ns is None:
            self.epoch_ns = frame.stamp_ns
        now_s = (frame.stamp_ns - self.epoch_ns) / NS_PER_S
        if self.last_stamp_ns is not None and frame.stamp_ns > self.last_stamp_ns:
            dt = (frame.stamp_ns - self.last_stamp_ns) / NS_PER_S
            self.log_odds *= np.float32(math.exp(-dt / config.decay_time_s))
        self.last_stamp_ns = frame.stamp_ns

        points = frame.points
        rows, cols, inside = geometry.cell_of(points[:, 0], points[:, 1])
        obstacle = (frame.height >= config.min_obstacle_height) & (
            frame.height <= config.max_obstacle_height
        )
        obstacle &= ~frame.ground & inside
        n_cells = geometry.width * geometry.height
        linear = rows * geometry.width + cols
        obstacle_cells = linear[obstacle]
        counts = np.bincount(obstacle_cells, minlength=n_cells).reshape(
            geometry.height, geometry.width
        )
        hit = counts > 0
        returns = np.bincount(linear[inside], minlength=n_cells).reshape(hit.shape) > 0
        free = self._free_space(returns, hit, frame.origin) & ~hit

        lo = self.log_odds
        lo[hit] += np.float32(config.hit_log_odds)
        lo[free] += np.float32(config.miss_log_odds)
        np.clip(lo, -config.clamp_log_odds, config.clamp_log_odds, out=lo)
        observed = hit | free
        self.last_seen_s[observed] = now_s

        data = grid.data
        seen = np.isfinite(self.last_seen_s)
        occupancy = data[self._occupancy]
        np.negative(lo, out=occupancy)
        np.exp(occupancy, out=occupancy)
        occupancy += 1.0
        np.reciprocal(occupancy, out=occupancy)
        occupancy[~seen] = np.nan

        self._heights(points[obstacle, 2], obstacle_cells, hit, free)
        area = geometry.resolution**2
        density = grid.layer('density')
        density[observed] = counts[observed] / area
        intensity_sum = np.bincount(
            obstacle_cells, weights=frame.intensity[obstacle], minlength=n_cells
        )
        intensity = grid.layer('intensity')
        intensity[free] = np.nan
        intensity[hit] = intensity_sum.reshape(counts.shape)[hit] / counts[hit]
        self._colours(frame, linear, inside, n_cells)
        age = grid.layer('age')
        np.subtract(now_s, self.last_seen_s, out=age, casting='same_kind')  # NaN where never seen
        grid.stamp_ns = frame.stamp_ns
        return {
            'hit_cells': int(hit.sum()),
            'free_cells': int(free.sum()),
            'obstacle_points': int(obstacle.sum()),
        }

    def _free_space(
        self, returns: np.ndarray[Any, Any], hit: np.ndarray[Any, Any], origin: tuple[float, float]
    ) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Cells between the sensor and the first obstacle (or the farthest return) per sector.

        Works on cells, not points: a sector's reach is the nearest hit cell, or else the
        farthest cell with any return (floor included), so the cost does not grow with the
        number of points.
        """
        sector, distance = self._polar(origin)
        bins = self.config.angular_bins
        nearest = np.full(bins, np.inf, np.float32)
        np.minimum.at(nearest, sector[hit], distance[hit])
        farthest = np.zeros(bins, np.float32)
        np.maximum.at(farthest, sector[returns], distance[returns])
        reach = np.minimum(nearest - self.grid.geometry.resolution, farthest)
        free: np.ndarray[Any, np.dtype[np.bool_]] = distance < reach[sector]
        return free

    def _polar(
        self, origin: tuple[float, float]
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Sector index and distance of every cell centre from ``origin`` (cached)."""
        if self._polar_cache is None or self._polar_cache[0] != origin:
            cx = self._cell_x - np.float32(origin[0])
            cy = self._cell_y - np.float32(origin[1])
            scale = self.config.angular_bins / (2.0 * math.pi)
            sector = (np.arctan2(cy, cx) * scale).astype(np.int64) % self.config.angular_bins
            self._polar_cache = (origin, sector, np.hypot(cx, cy))
        return self._polar_cache[1], self._polar_cache[2]

    def _heights(
        self,
        z: Floats,
        cells: np.ndarray[Any, Any],
        hit: np.ndarray[Any, Any],
        free: np.ndarray[Any, Any],
    ) -> None:
        n = hit.size
        top = np.full(n, -np.inf, np.float32)
        bottom = np.full(n, np.inf, np.float32)
        np.maximum.at(top, cells, z)
        np.minimum.at(bottom, cells, z)
        for name, values in (('height_max', top), ('height_min', bottom)):
            layer = self.grid.layer(name)
            layer[free] = np.nan
            layer[hit] = values.reshape(hit.shape)[hit]

    def _colours(
        self,
        frame: FrameInput,
        linear: np.ndarray[Any, Any],
        inside: np.ndarray[Any, Any],
        n_cells: int,
    ) -> None:
        """Mean camera colour per cell of this frame's coloured points; NaN without a camera."""
        layers = [self.grid.layer(c) for c in 'rgb']
        for layer in layers:
            layer[...] = np.nan
        if frame.colours is None or frame.colour_index.size == 0:
            return
        keep = inside[frame.colour_index]
        cells = linear[frame.colour_index[keep]]
        counts = np.bincount(cells, minlength=n_cells)
        has = counts > 0
        for channel, layer in enumerate(layers):
            sums = np.bincount(cells, weights=frame.colours[keep, channel], minlength=n_cells)
            flat = layer.reshape(-1)
            flat[has] = sums[has] / counts[has]
