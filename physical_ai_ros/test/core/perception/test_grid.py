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

"""SpatialGrid conversions: SpatialGrid.msg, nav_msgs/OccupancyGrid, coloured PointCloud2."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from physical_ai_ros.core.errors import MessageFormatError
from physical_ai_ros.core.messages.pointcloud import cloud_to_array
from physical_ai_ros.core.perception.grid import (
    grid_to_colored_cloud,
    grid_to_msg,
    grid_to_occupancy,
    GridGeometry,
    msg_to_grid,
    nearest_occupied,
    SpatialGrid,
)
from physical_ai_ros.core.safety.shapes import Circle


def sample_grid() -> SpatialGrid:
    grid = SpatialGrid(
        GridGeometry(4, 3, 0.5), [('iot_temperature', 'degC')], frame_id='base_link'
    )
    grid.stamp_ns = 1_700_000_000_500_000_000
    occupancy = grid.layer('occupancy')
    occupancy[:] = [[0.0, 0.2, 0.5, 1.0], [np.nan, 0.7, 0.994, 0.006], [0.9, np.nan, np.nan, 0.1]]
    grid.layer('height_max')[:] = 1.25
    grid.layer('r')[0, 3], grid.layer('g')[0, 3], grid.layer('b')[0, 3] = 1.0, 0.5, 0.0
    grid.layer('iot_temperature')[1, 2] = 42.0
    return grid


def test_nearest_occupied_cell_to_the_footprint() -> None:
    grid = sample_grid()  # occupied (>= 0.65) centres: (0.25, 0), (-0.25, 0), (0.75, -0.5) ...
    assert nearest_occupied(grid, Circle(0.0, 0.0, 0.1).signed_distance) == pytest.approx(0.15)
    # the robot elsewhere: the nearest is another cell; 0.5 and NaN cells are not occupied
    assert nearest_occupied(grid, Circle(0.75, -0.75, 0.1).signed_distance) == pytest.approx(0.15)
    grid.layer('occupancy')[:] = np.nan
    assert nearest_occupied(grid, Circle(0.0, 0.0, 0.1).signed_distance) == float('inf')


def test_spatial_grid_msg_roundtrip(types: Any) -> None:
    grid = sample_grid()
    msg = types.deserialize(
        types.serialize(grid_to_msg(grid, types)), 'physical_ai_ros_interfaces/msg/SpatialGrid'
    )
    assert (msg.width, msg.height, msg.resolution) == (4, 3, 0.5)
    assert (msg.origin.position.x, msg.origin.position.y) == (-1.0, -0.75)
    assert msg.layers[-1] == 'iot_temperature' and msg.units[-1] == 'degC'
    back = msg_to_grid(msg)
    np.testing.assert_array_equal(back.data, grid.data)
    assert back.layers == grid.layers and back.stamp_ns == grid.stamp_ns


def test_occupancy_grid_follows_nav2_conventions(types: Any) -> None:
    msg = grid_to_occupancy(sample_grid(), types)
    values = np.asarray(msg.data).reshape(3, 4)
    np.testing.assert_array_equal(values, [[0, 20, 50, 100], [-1, 70, 99, 1], [90, -1, -1, 10]])
    assert msg.info.resolution == 0.5 and msg.info.origin.position.x == -1.0
    types.serialize(msg)  # int8[] data serialises


def test_coloured_cloud_packs_rgb_as_rviz_reads_it(types: Any) -> None:
    msg = grid_to_colored_cloud(sample_grid(), types, threshold=0.9)
    points = cloud_to_array(types.deserialize(types.serialize(msg), 'sensor_msgs/msg/PointCloud2'))
    assert len(points) == 3  # p >= 0.9: (0,3), (1,2), (2,0)
    packed = points['rgb'].view(np.uint32)
    first = points[np.argmax(points['x'])]
    assert first['z'] == pytest.approx(1.25)
    assert packed[np.argmax(points['x'])] == (255 << 16) | (128 << 8) | 0
    assert (
        (packed[np.argmax(points['x']) != np.arange(3)] >> 16) & 0xFF == 153
    ).all()  # unknown colour: grey


def test_malformed_grid_msg_is_refused(types: Any) -> None:
    msg = grid_to_msg(sample_grid(), types)
    msg.data = msg.data[:-1]
    with pytest.raises(
        MessageFormatError, match=r'data=.*expected len\(layers\)\*height\*width = 120'
    ):
        msg_to_grid(msg)
    msg = grid_to_msg(sample_grid(), types)
    msg.units = ['1']
    with pytest.raises(MessageFormatError, match='needs one unit per layer'):
        msg_to_grid(msg)


def test_unknown_layer_names_the_layers() -> None:
    with pytest.raises(KeyError, match=r"no grid layer 'colour'; layers: occupancy, height_max"):
        sample_grid().layer('colour')
