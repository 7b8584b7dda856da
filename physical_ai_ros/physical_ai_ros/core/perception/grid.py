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

"""The shared spatial picture: an ego-centric, multi-layer grid around the robot.

A :class:`SpatialGrid` is a preallocated ``(layers, height, width)`` float32 array in the base
frame, centred on the robot: column ``c`` covers x in ``[origin_x + c*res, origin_x + (c+1)*res)``
and row ``r`` covers y likewise, as in ``nav_msgs/OccupancyGrid``. NaN means unknown. It is
published as ``SpatialGrid.msg`` (every layer), as an OccupancyGrid for Nav2 and RViz, and as
a coloured PointCloud2.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
import math
from typing import Any

import numpy as np

from physical_ai_ros.core.errors import MessageFormatError
from physical_ai_ros.core.messages.msgtypes import MessageTypes
from physical_ai_ros.core.messages.stamps import make_header, stamp_to_ns

#: Layers every grid has, with their units.
BASE_LAYERS: tuple[tuple[str, str], ...] = (
    ('occupancy', '1'),  # probability that the cell holds an obstacle
    ('height_max', 'm'),  # highest obstacle point in the cell (base frame z)
    ('height_min', 'm'),  # lowest obstacle point in the cell
    ('density', '1/m2'),  # obstacle points per square metre in the last update
    ('intensity', '1'),  # mean lidar intensity of the cell's points
    ('r', '1'),  # camera colour of the cell's points, 0..1
    ('g', '1'),
    ('b', '1'),
    ('age', 's'),  # time since the cell was last observed
)


@dataclass(frozen=True)
class GridGeometry:
    """Size and resolution of an ego-centric grid; the robot is at its centre."""

    width: int  # cells along x
    height: int  # cells along y
    resolution: float  # m per cell

    @property
    def origin(self) -> tuple[float, float]:
        """Base-frame (x, y) of the corner of cell (0, 0) [m]."""
        return -self.width * self.resolution / 2.0, -self.height * self.resolution / 2.0

    def cell_of(
        self, x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Return (row, col, inside) of base-frame points."""
        ox, oy = self.origin
        col = np.floor((x - ox) / self.resolution).astype(np.int64)
        row = np.floor((y - oy) / self.resolution).astype(np.int64)
        inside = (col >= 0) & (col < self.width) & (row >= 0) & (row < self.height)
        return row, col, inside

    def cell_centres(self) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Base-frame x (per column) and y (per row) of the cell centres [m]."""
        ox, oy = self.origin
        xs = ox + (np.arange(self.width) + 0.5) * self.resolution
        ys = oy + (np.arange(self.height) + 0.5) * self.resolution
        return xs, ys


class SpatialGrid:
    """Layers of cell values over one :class:`GridGeometry`, in the base frame.

    Attributes:
        geometry: size and resolution.
        layers: layer names, in data order.
        units: unit of each layer.
        data: ``(len(layers), height, width)`` float32; NaN is unknown.
        stamp_ns: time of the update that produced the values.
        frame_id: the frame the grid is expressed in (the robot's base frame).
    """

    def __init__(
        self,
        geometry: GridGeometry,
        extra_layers: Sequence[tuple[str, str]] = (),
        *,
        frame_id: str = 'base_link',
    ) -> None:
        layers = [*BASE_LAYERS, *extra_layers]
        names = [name for name, _ in layers]
        if len(set(names)) != len(names):
            raise ValueError(f'duplicate grid layer names: {names}')
        self.geometry = geometry
        self.layers: tuple[str, ...] = tuple(names)
        self.units: tuple[str, ...] = tuple(unit for _, unit in layers)
        self._index = {name: i for i, name in enumerate(names)}
        self.data = np.full((len(layers), geometry.height, geometry.width), np.nan, np.float32)
        self.stamp_ns = 0
        self.frame_id = frame_id

    def index(self, name: str) -> int:
        """Position of layer ``name`` in :attr:`data`.

        Raises:
            KeyError: no such layer (the message lists the layers there are).
        """
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f'no grid layer {name!r}; layers: {", ".join(self.layers)}') from None

    def layer(self, name: str) -> np.ndarray[Any, np.dtype[np.float32]]:
        """A writable view of one layer, ``(height, width)``."""
        view: np.ndarray[Any, np.dtype[np.float32]] = self.data[self.index(name)]
        return view

    def copy(self) -> SpatialGrid:
        """Return a deep copy, for snapshots: the live grid is updated in place."""
        out = SpatialGrid.__new__(SpatialGrid)
        out.__dict__.update(self.__dict__)
        out.data = self.data.copy()
        return out


def grid_to_msg(grid: SpatialGrid, types: MessageTypes) -> Any:
    """Build a ``physical_ai_ros_interfaces/SpatialGrid`` with every layer."""
    t = types.get
    ox, oy = grid.geometry.origin
    return t('physical_ai_ros_interfaces/msg/SpatialGrid')(
        header=make_header(grid.stamp_ns, grid.frame_id, types),
        resolution=float(grid.geometry.resolution),
        width=grid.geometry.width,
        height=grid.geometry.height,
        origin=_pose(types, ox, oy),
        layers=list(grid.layers),
        units=list(grid.units),
        data=types.array(grid.data.reshape(-1)),
    )


def msg_to_grid(msg: Any) -> SpatialGrid:
    """Rebuild a :class:`SpatialGrid` from a SpatialGrid message (policy side).

    Raises:
        MessageFormatError: sizes and data length disagree, or layers and units differ in count.
    """
    name = 'physical_ai_ros_interfaces/msg/SpatialGrid'
    width, height = int(msg.width), int(msg.height)
    layers, units = list(msg.layers), list(msg.units)
    resolution = float(msg.resolution)
    if not (math.isfinite(resolution) and resolution > 0):
        raise MessageFormatError(name, 'resolution', resolution, 'must be > 0')
    if len(units) != len(layers):
        raise MessageFormatError(name, 'units', units, f'needs one unit per layer ({len(layers)})')
    data = np.asarray(msg.data, dtype=np.float32)
    expected = len(layers) * width * height
    if data.size != expected or width <= 0 or height <= 0:
        raise MessageFormatError(
            name, 'data', f'{data.size} values', f'expected len(layers)*height*width = {expected}'
        )
    base = {n for n, _ in BASE_LAYERS}
    extra = [(n, u) for n, u in zip(layers, units, strict=True) if n not in base]
    grid = SpatialGrid(
        GridGeometry(width, height, resolution), extra, frame_id=str(msg.header.frame_id)
    )
    by_name = data.reshape(len(layers), height, width)
    for i, layer in enumerate(layers):
        grid.data[grid.index(layer)] = by_name[i]
    grid.stamp_ns = stamp_to_ns(msg.header.stamp)
    return grid


#: Occupancy from which a cell counts as an obstacle (Nav2's occupied_thresh default).
OCCUPIED = 0.65


def nearest_occupied(
    grid: SpatialGrid,
    distance: Callable[[np.ndarray[Any, Any]], np.ndarray[Any, Any]],
    occupied: float = OCCUPIED,
) -> float:
    """The least ``distance`` (the robot's footprint's, from cell centres) of an occupied cell.

    The clearance a replay without a simulator can report: how near the robot came to what
    its own perception saw. inf when no cell is occupied.
    """
    rows, cols = np.nonzero(grid.layer('occupancy') >= occupied)  # NaN (unknown) is not
    if not rows.size:
        return math.inf
    xs, ys = grid.geometry.cell_centres()
    centres = np.stack([xs[cols], ys[rows]], axis=1).astype(np.float64)
    return float(np.min(distance(centres)))


def grid_to_occupancy(grid: SpatialGrid, types: MessageTypes) -> Any:
    """Build a ``nav_msgs/OccupancyGrid`` of the occupancy layer (Nav2: -1 unknown, 0..100)."""
    occupancy = grid.layer('occupancy')
    values = np.full(occupancy.shape, -1, dtype=np.int8)
    known = np.isfinite(occupancy)
    values[known] = np.clip(np.rint(occupancy[known] * 100.0), 0, 100).astype(np.int8)
    t = types.get
    ox, oy = grid.geometry.origin
    header = make_header(grid.stamp_ns, grid.frame_id, types)
    return t('nav_msgs/msg/OccupancyGrid')(
        header=header,
        info=t('nav_msgs/msg/MapMetaData')(
            map_load_time=header.stamp,
            resolution=float(grid.geometry.resolution),
            width=grid.geometry.width,
            height=grid.geometry.height,
            origin=_pose(types, ox, oy),
        ),
        data=types.array(values.reshape(-1)),
    )


CLOUD_DTYPE = np.dtype(
    {
        'names': ['x', 'y', 'z', 'rgb'],
        'formats': ['<f4', '<f4', '<f4', '<f4'],
        'offsets': [0, 4, 8, 12],
        'itemsize': 16,
    }
)


def grid_to_colored_cloud(
    grid: SpatialGrid, types: MessageTypes, *, threshold: float = 0.5
) -> Any:
    """Build an RViz-ready PointCloud2 (x y z + packed float rgb) of the occupied cells.

    Each occupied cell becomes one point at its centre and ``height_max``, coloured by the
    camera where known and grey otherwise.
    """
    from physical_ai_ros.core.messages.pointcloud import array_to_cloud

    occupancy = grid.layer('occupancy')
    rows, cols = np.nonzero(np.nan_to_num(occupancy, nan=0.0) >= threshold)
    xs, ys = grid.geometry.cell_centres()
    points = np.zeros(rows.size, dtype=CLOUD_DTYPE)
    points['x'] = xs[cols]
    points['y'] = ys[rows]
    points['z'] = np.nan_to_num(grid.layer('height_max')[rows, cols], nan=0.0)
    rgb = np.stack([grid.layer(c)[rows, cols] for c in 'rgb'], axis=1)
    rgb = np.where(np.isfinite(rgb), rgb, 0.6)
    bytes_ = np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint32)
    packed = (bytes_[:, 0] << 16) | (bytes_[:, 1] << 8) | bytes_[:, 2]
    points['rgb'] = packed.view(np.float32)  # RViz reads rgb as a float32 holding 0x00RRGGBB
    return array_to_cloud(
        points, make_header(grid.stamp_ns, grid.frame_id, types), types, is_dense=True
    )


def _pose(types: MessageTypes, x: float, y: float) -> Any:
    t = types.get
    return t('geometry_msgs/msg/Pose')(
        position=t('geometry_msgs/msg/Point')(x=float(x), y=float(y), z=0.0),
        orientation=t('geometry_msgs/msg/Quaternion')(x=0.0, y=0.0, z=0.0, w=1.0),
    )
