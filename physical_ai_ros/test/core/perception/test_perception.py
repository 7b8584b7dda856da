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

"""Perception with known answers: boxes, slopes, cameras, IoT, decay, ego-motion, garbage."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from physical_ai_ros.core.messages.camera import PinholeCamera
from physical_ai_ros.core.messages.image import array_to_image
from physical_ai_ros.core.messages.pointcloud import array_to_cloud
from physical_ai_ros.core.messages.stamps import make_header
from physical_ai_ros.core.perception.fusion import CameraView, colour_points
from physical_ai_ros.core.perception.ground import fit_ground, GroundConfig
from physical_ai_ros.core.perception.iot import IotSensorConfig
from physical_ai_ros.core.perception.lidar import CropConfig
from physical_ai_ros.core.perception.perception import (
    GridGeometry,
    Perception,
    PerceptionConfig,
    SensorSource,
)
from physical_ai_ros.core.perception.reasons import DropKind, StaleKind
from physical_ai_ros.core.perception.transforms import extrinsic

S = 1_000_000_000
T0 = 1_700_000_000 * S
MS = 1_000_000
POINT = np.dtype([('x', '<f4'), ('y', '<f4'), ('z', '<f4'), ('intensity', '<f4')])
OPTICAL = [0.0, 0.0, 1.0, -math.pi / 2, 0.0, -math.pi / 2]  # camera 1 m up, looking along +x


def floor(
    x_range: tuple[float, float] = (-6, 6), slope: float = 0.0, step: float = 0.05
) -> np.ndarray:
    xs, ys = np.meshgrid(np.arange(*x_range, step), np.arange(-6, 6, step))
    return np.column_stack([xs.ravel(), ys.ravel(), slope * xs.ravel()])


def box(
    centre: tuple[float, float], size: float, height: float, base: float = 0.0, step: float = 0.04
) -> np.ndarray:
    cx, cy = centre
    g = np.arange(-size / 2, size / 2 + 1e-9, step)
    zs = np.arange(base, base + height + 1e-9, step)
    faces = []
    for z in zs:
        for offset in (-size / 2, size / 2):
            faces.append(
                np.column_stack([cx + g, np.full_like(g, cy + offset), np.full_like(g, z)])
            )
            faces.append(
                np.column_stack([np.full_like(g, cx + offset), cy + g, np.full_like(g, z)])
            )
    top = np.stack(np.meshgrid(cx + g, cy + g), -1).reshape(-1, 2)
    faces.append(np.column_stack([top, np.full(len(top), base + height)]))
    return np.vstack(faces)


def cloud_msg(types: Any, xyz: np.ndarray, stamp: int, frame: str = 'lidar') -> Any:
    points = np.zeros(len(xyz), POINT)
    points['x'], points['y'], points['z'] = xyz.T
    points['intensity'] = 100.0
    return array_to_cloud(points, make_header(stamp, frame, types), types)


def config(**overrides: Any) -> PerceptionConfig:
    base: dict[str, Any] = {
        'geometry': GridGeometry(120, 120, 0.1),
        'lidars': (SensorSource('lidar', extrinsic([0, 0, 0, 0, 0, 0]), timeout_s=0.5),),
        'use_odometry': False,
    }
    base.update(overrides)
    return PerceptionConfig(**base)


def cell(grid: Any, x: float, y: float) -> tuple[int, int]:
    row, col, inside = grid.geometry.cell_of(np.array([x]), np.array([y]))
    assert inside[0]
    return int(row[0]), int(col[0])


def test_box_lands_in_its_cells_with_its_height(types: Any) -> None:
    stage = Perception(config())
    xyz = np.vstack([floor(), box((3.0, 1.0), 0.6, 0.8)])
    assert stage.on_cloud('lidar', cloud_msg(types, xyz, T0)) is None
    update = stage.update(T0)
    grid = update.grid
    occupancy, top = grid.layer('occupancy'), grid.layer('height_max')
    r, c = cell(grid, 3.25, 1.0)  # inside the box's far face
    assert occupancy[r, c] > 0.6
    assert top[r, c] == pytest.approx(0.8, abs=0.05)
    for x in (1.0, 2.0, -2.0):  # open floor around the robot: free, no height
        r, c = cell(grid, x, 0.0)
        assert occupancy[r, c] < 0.45 and np.isnan(top[r, c])  # one miss: p = 0.40
    r, c = cell(grid, 3.0, 3.5)  # floor off to the side, seen as free
    assert occupancy[r, c] < 0.5
    assert update.used == ['lidar'] and update.counts['ground_inliers'] > 100


def test_sloped_floor_is_not_an_obstacle(types: Any) -> None:
    slope = math.tan(math.radians(8.0))
    stage = Perception(config())
    obstacle = box((4.0, -1.0), 0.5, 0.6) + np.array([0.0, 0.0, slope * 4.0])  # on the slope
    stage.on_cloud('lidar', cloud_msg(types, np.vstack([floor((0.5, 5.5), slope), obstacle]), T0))
    grid = stage.update(T0).grid
    occupied = np.nan_to_num(grid.layer('occupancy'), nan=0.0) > 0.6
    rows, cols = np.nonzero(occupied)
    xs, ys = grid.geometry.cell_centres()
    assert occupied.sum() > 0
    # every occupied cell belongs to the box, none to the 0.7 m rise of the floor
    assert (np.abs(xs[cols] - 4.0) < 0.45).all() and (np.abs(ys[rows] + 1.0) < 0.45).all()


def test_ground_fit_is_deterministic_and_finds_the_slope() -> None:
    rng = np.random.default_rng(3)
    slope = 0.1
    xyz = floor((0, 5), slope).astype(np.float32)
    clutter = rng.uniform([0, -5, 0.2], [5, 5, 1.5], (3000, 3)).astype(np.float32)
    points = np.vstack([xyz, clutter])
    a, b = (
        fit_ground(points, GroundConfig(candidate_max_z=1.0)),
        fit_ground(points, GroundConfig(candidate_max_z=1.0)),
    )
    np.testing.assert_array_equal(a.normal, b.normal)
    expected = np.array([-slope, 0.0, 1.0]) / math.hypot(slope, 1.0)
    np.testing.assert_allclose(a.normal, expected, atol=1e-3)


def camera_info(types: Any, stamp: int, width: int = 64, height: int = 48) -> Any:
    f = width / 2.0
    roi = types.get('sensor_msgs/msg/RegionOfInterest')
    cx, cy = width / 2, height / 2
    return types.get('sensor_msgs/msg/CameraInfo')(
        header=make_header(stamp, 'camera', types),
        height=height,
        width=width,
        distortion_model='plumb_bob',
        d=np.zeros(5),
        k=np.array([f, 0, cx, 0, f, cy, 0, 0, 1.0]),
        r=np.eye(3).ravel(),
        p=np.array([f, 0, cx, 0, 0, f, cy, 0, 0, 0, 1, 0.0]),
        binning_x=0,
        binning_y=0,
        roi=roi(x_offset=0, y_offset=0, height=0, width=0, do_rectify=False),
    )


def test_point_behind_the_camera_is_never_coloured(types: Any) -> None:
    camera = PinholeCamera.from_camera_info(camera_info(types, 0))
    rgb = np.zeros((48, 64, 3), np.uint8)
    rgb[:, :32] = (255, 0, 0)  # left half red (base +y side)
    rgb[:, 32:] = (0, 0, 255)  # right half blue
    view = CameraView(camera, extrinsic(OPTICAL), rgb, 0)
    points = np.array(
        [[3.0, 0.5, 1.0], [3.0, -0.5, 1.0], [-3.0, 0.0, 1.0], [-3.0, 0.5, 1.2], [3.0, 9.0, 1.0]],
        np.float32,
    )
    colours, coloured = colour_points(points, [view])
    np.testing.assert_array_equal(coloured, [True, True, False, False, False])
    np.testing.assert_allclose(colours[0], (1, 0, 0))
    np.testing.assert_allclose(colours[1], (0, 0, 1))
    assert not colours[2:].any()


def camera_stage(types: Any, image_stamp: int) -> tuple[Perception, Any]:
    stage = Perception(
        config(cameras=(SensorSource('cam', extrinsic(OPTICAL), timeout_s=0.5, max_skew_s=0.05),))
    )
    stage.on_camera_info('cam', camera_info(types, image_stamp))
    pixels = np.full((48, 64, 3), (10, 200, 30), np.uint8)
    stage.on_image(
        'cam', array_to_image(pixels, 'rgb8', make_header(image_stamp, 'camera', types), types)
    )
    xyz = np.vstack([floor(), box((3.0, 0.0), 0.6, 1.5)])
    stage.on_cloud('lidar', cloud_msg(types, xyz, T0))
    return stage, stage.update(T0)


def test_fresh_camera_colours_cells(types: Any) -> None:
    _, update = camera_stage(types, T0)
    assert 'cam' in update.used and 'cam' not in update.stale
    r, c = cell(update.grid, 2.75, 0.0)
    np.testing.assert_allclose(
        [update.grid.layer(k)[r, c] for k in 'rgb'], [10 / 255, 200 / 255, 30 / 255], atol=1e-6
    )


def test_stale_camera_leaves_rgb_unknown_and_is_reported(types: Any) -> None:
    _, update = camera_stage(types, T0 - S // 5)  # 200 ms before the cloud, skew limit 50 ms
    assert 'cam' not in update.used
    assert update.stale['cam'].kind is StaleKind.SKEW
    assert '200 ms from the key stamp' in str(update.stale['cam'])
    assert all(np.isnan(update.grid.layer(k)).all() for k in 'rgb')


def test_ground_projection_paints_the_floor(types: Any) -> None:
    stage = Perception(config(cameras=(SensorSource('cam', extrinsic(OPTICAL)),), ipm=True))
    stage.on_camera_info('cam', camera_info(types, T0))
    pixels = np.zeros((48, 64, 3), np.uint8)
    pixels[24:] = (255, 255, 0)  # the lower half of the image sees the floor: yellow lane paint
    stage.on_image('cam', array_to_image(pixels, 'rgb8', make_header(T0, 'camera', types), types))
    stage.on_cloud('lidar', cloud_msg(types, floor(), T0))
    grid = stage.update(T0).grid
    r, c = cell(grid, 3.0, 0.0)
    assert grid.layer('r')[r, c] == pytest.approx(1.0) and grid.layer('b')[r, c] == pytest.approx(
        0.0
    )
    r, c = cell(grid, -3.0, 0.0)  # behind the camera
    assert np.isnan(grid.layer('r')[r, c])


def iot_msg(
    types: Any, sensor: str, value: float, stamp: int, unit: str = 'degC', status: int = 0
) -> Any:
    cls = types.get('physical_ai_ros_interfaces/msg/IotReading')
    return cls(header=make_header(stamp, 'odom', types), sensor_id=sensor, quantity='temperature',
               value=value, unit=unit, variance=0.0, status=status)  # fmt: skip


def iot_stage() -> Perception:
    sensors = (
        IotSensorConfig(
            'oven',
            'temperature',
            'degC',
            -20,
            150,
            max_age_s=1.0,
            position=(2.0, 0.0, 1.0),
            falloff_radius=1.0,
        ),
        IotSensorConfig('hall', 'temperature', 'degC', -20, 150, max_age_s=1.0),
    )
    return Perception(config(iot=sensors))


@pytest.mark.parametrize(
    ('kwargs', 'reason'),
    [
        ({'value': 400.0}, 'out of range: 400 degC outside [-20, 150]'),
        ({'value': float('nan')}, 'not finite: nan'),
        ({'unit': 'degF'}, "wrong unit: 'degF', expected 'degC'"),
        ({'status': 2}, 'sensor status: error'),
        ({'sensor': 'ghost'}, "unknown sensor: 'ghost' is not configured"),
    ],
)
def test_bad_iot_readings_are_rejected_with_reason_and_counted(
    types: Any, kwargs: dict[str, Any], reason: str
) -> None:
    stage = iot_stage()
    args = {'sensor': 'oven', 'value': 50.0, 'stamp': T0, **kwargs}
    drop = stage.on_iot(iot_msg(types, **args))
    assert drop is not None and str(drop) == reason
    assert sum(stage.iot.rejections.values()) == 1
    assert 'oven' not in stage.iot.latest


def test_iot_features_fields_and_staleness(types: Any) -> None:
    stage = iot_stage()
    assert stage.on_iot(iot_msg(types, 'oven', 65.0, T0)) is None
    duplicate = stage.on_iot(iot_msg(types, 'oven', 70.0, T0))
    assert duplicate is not None and duplicate.kind is DropKind.DUPLICATE
    assert str(duplicate).startswith('duplicate')
    late = stage.on_iot(iot_msg(types, 'oven', 70.0, T0 - 1))
    assert late is not None and late.kind is DropKind.OUT_OF_ORDER and late.jump_back_ns == 1
    assert str(late).startswith('out of order')
    np.testing.assert_allclose(stage.iot.feature_vector(T0), [(65 + 20) / 170, np.nan])
    stage.on_cloud('lidar', cloud_msg(types, floor(), T0))
    update = stage.update(T0)
    field = update.grid.layer('iot_temperature')
    r, c = cell(update.grid, 2.0, 0.0)
    assert field[r, c] == pytest.approx(65.0)
    r, c = cell(update.grid, 3.5, 0.0)
    assert np.isnan(field[r, c])  # beyond the falloff radius
    assert update.stale['iot/hall'].kind is StaleKind.NO_FRESH_READING
    assert str(update.stale['iot/hall']) == 'no fresh reading'
    later = T0 + 2 * S
    stage.on_cloud('lidar', cloud_msg(types, floor(), later))
    assert np.isnan(stage.update(later).grid.layer('iot_temperature')).all()  # oven went stale


def test_moved_obstacle_clears(types: Any) -> None:
    stage = Perception(config())
    base = floor()
    for k in range(5):
        stage.on_cloud(
            'lidar',
            cloud_msg(types, np.vstack([base, box((2.0, 0.0), 0.4, 1.0)]), T0 + k * S // 10),
        )
        stage.update(T0 + k * S // 10)
    r, c = cell(stage.grid, 1.85, 0.0)
    assert stage.grid.layer('occupancy')[r, c] > 0.8
    for k in range(5, 15):  # the obstacle moved 2 m to the side
        stamp = T0 + k * S // 10
        stage.on_cloud(
            'lidar', cloud_msg(types, np.vstack([base, box((2.0, 2.0), 0.4, 1.0)]), stamp)
        )
        stage.update(stamp)
    assert stage.grid.layer('occupancy')[r, c] < 0.3


def test_unobserved_obstacle_decays_towards_unknown(types: Any) -> None:
    stage = Perception(config(min_lidar_returns=0))  # empty clouds integrate: decay alone
    stage.on_cloud('lidar', cloud_msg(types, np.vstack([floor(), box((2.0, 0.0), 0.4, 1.0)]), T0))
    stage.update(T0)
    r, c = cell(stage.grid, 1.85, 0.0)
    first = stage.grid.layer('occupancy')[r, c]
    empty = np.zeros((0, 3))  # the sensor goes blind: no evidence either way
    for k in range(1, 4):
        stage.on_cloud('lidar', cloud_msg(types, empty, T0 + k * 3 * S))
        stage.update(T0 + k * 3 * S)
    later = stage.grid.layer('occupancy')[r, c]
    assert first > 0.65 and 0.5 < later < 0.55


def test_odometry_shift_moves_cells_exactly(types: Any) -> None:
    stage = Perception(config(use_odometry=True))
    grid = stage.grid
    grid.data[:] = np.arange(grid.data[0].size, dtype=np.float32).reshape(grid.data.shape[1:])
    before = grid.data.copy()
    stage.mapper.move_to((10.0, 5.0, 0.0))
    stage.mapper.move_to((10.3, 5.2, 0.0))  # 3 cells forward, 2 to the left
    np.testing.assert_array_equal(grid.data[:, :-2, :-3], before[:, 2:, 3:])
    assert np.isnan(grid.data[:, -2:, :]).all() and np.isnan(grid.data[:, :, -3:]).all()
    stage.mapper.move_to((10.34, 5.2, 0.0))  # less than half a cell: no shift, remainder kept
    np.testing.assert_array_equal(grid.data[:, :-2, :-3], before[:, 2:, 3:])
    stage.mapper.move_to((10.38, 5.2, 0.0))  # the remainder adds up to a cell
    np.testing.assert_array_equal(grid.data[:, :-2, :-4], before[:, 2:, 4:])


def test_rotation_turns_the_grid(types: Any) -> None:
    stage = Perception(config())
    occupancy = stage.grid.layer('occupancy')
    r, c = cell(stage.grid, 2.05, 0.05)
    occupancy[r, c] = 1.0
    stage.mapper.move_to((0.0, 0.0, 0.0))
    stage.mapper.move_to(
        (0.0, 0.0, math.pi / 2)
    )  # turned left: what was ahead is now on the right
    r2, c2 = cell(stage.grid, 0.05, -2.05)
    assert occupancy[r2, c2] == 1.0 and np.nansum(occupancy) == 1.0


def test_two_lidars_merge_and_a_late_one_is_stale(types: Any) -> None:
    lidars = (
        SensorSource('front', extrinsic([0.5, 0, 0.5, 0, 0, 0]), max_skew_s=0.05),
        SensorSource('rear', extrinsic([-0.5, 0, 0.5, 0, 0, math.pi]), max_skew_s=0.05),
    )
    stage = Perception(config(lidars=lidars))
    sensor_floor = floor() - [0, 0, 0.5]
    stage.on_cloud(
        'rear',
        cloud_msg(types, np.vstack([sensor_floor, box((2.0, 0.0), 0.4, 1.0) - [0, 0, 0.5]]), T0),
    )
    stage.on_cloud(
        'front',
        cloud_msg(types, np.vstack([sensor_floor, box((2.0, 0.0), 0.4, 1.0) - [0, 0, 0.5]]), T0),
    )
    update = stage.update(T0)
    assert update.used == ['front', 'rear']
    occupancy = update.grid.layer('occupancy')
    assert occupancy[cell(update.grid, 2.35, 0.0)] > 0.6  # ahead, seen by the front lidar
    assert occupancy[cell(update.grid, -2.35, 0.0)] > 0.6  # behind, seen by the rear lidar
    stage.on_cloud('front', cloud_msg(types, sensor_floor, T0 + S // 5))
    update = stage.update(T0 + S // 5)
    assert update.used == ['front'] and 'from the key stamp' in str(update.stale['rear'])


def test_garbage_is_counted_never_raised(types: Any) -> None:
    stage = Perception(config(cameras=(SensorSource('cam', extrinsic(OPTICAL)),)))
    bad_cloud = SimpleNamespace(
        header=SimpleNamespace(stamp=SimpleNamespace(sec=1, nanosec=0)), height=1, width=10,
        fields=[SimpleNamespace(name='x', offset=0, datatype=99, count=1)], is_bigendian=False,
        point_step=4, row_step=40, data=bytes(40),
    )  # fmt: skip
    assert stage.on_cloud('lidar', bad_cloud) is None  # decoded lazily, at the update
    update = stage.update(1 * S)
    assert update.stale['lidar'].kind is StaleKind.MALFORMED_CLOUD
    assert 'malformed cloud' in str(update.stale['lidar']) and stage.status.errors['lidar'] == 1
    info = camera_info(types, T0)
    info.k[0] = np.nan
    assert 'k=' in str(stage.on_camera_info('cam', info))
    assert str(stage.on_iot(SimpleNamespace(header=None))).startswith('malformed reading')
    bad_stamp = SimpleNamespace(
        header=SimpleNamespace(stamp=SimpleNamespace(sec=0, nanosec=2 * S))
    )
    assert str(stage.on_cloud('lidar', bad_stamp)).startswith('bad header')
    assert str(stage.on_cloud('lidar', cloud_msg(types, floor(), 1 * S))).startswith('duplicate')
    assert stage.monitor.dropped[('lidar', DropKind.DUPLICATE)] == 1
    corrupt = types.get('sensor_msgs/msg/CompressedImage')(
        header=make_header(T0, 'camera', types),
        format='jpeg',
        data=np.frombuffer(b'\xff\xd8garbage', np.uint8),
    )
    stage.on_camera_info('cam', camera_info(types, T0))
    stage.on_image('cam', corrupt, compressed=True)
    stage.on_cloud('lidar', cloud_msg(types, floor(), T0))
    update = stage.update(T0)
    assert update.stale['cam'].kind is StaleKind.UNDECODABLE_IMAGE
    assert 'undecodable image' in str(update.stale['cam']) and update.used == ['lidar']


@pytest.mark.real_data
def test_real_luminar_cloud_updates_the_grid(types: Any, real_data: Any) -> None:
    from rosbags.rosbag2 import Reader

    # a truck lidar about 2 m above the road, seeing far: a wider grid and crop box
    stage = Perception(config(
        geometry=GridGeometry(400, 400, 0.25),
        lidars=(SensorSource('luminar', extrinsic([0, 0, 2.0, 0, 0, 0]), max_skew_s=1.0),),
        crop=CropConfig(max_range=60.0, box_min=(-50, -50, -1), box_max=(50, 50, 4)),
    ))  # fmt: skip
    with Reader(real_data / 'luminar_lidar') as reader:
        connections = [c for c in reader.connections if c.topic == '/luminar_pointcloud']
        for connection, _, data in reader.messages(connections):
            assert stage.on_cloud('luminar', types.deserialize(data, connection.msgtype)) is None
            update = stage.update(stage.monitor.latest_ns['luminar'])
    assert update.used == ['luminar'] and update.counts['hit_cells'] > 0
    assert update.counts['ground_inliers'] > 100
    assert np.isfinite(update.grid.layer('occupancy')).sum() > 1000


def test_reconfigure_applies_thresholds_and_keeps_the_grid(types: Any) -> None:
    stage = Perception(config())
    stage.on_cloud('lidar', cloud_msg(types, np.vstack([floor(), box((3.0, 1.0), 0.6, 0.8)]), T0))
    grid = stage.update(T0).grid
    r, c = cell(grid, 3.0, 1.0)
    assert grid.layer('occupancy')[r, c] > 0.5
    # a shorter range: the box, 3.2 m away, is no longer seen; the grid keeps what it had
    stage.reconfigure(config(crop=CropConfig(max_range=2.0)))
    scene = np.vstack([floor(), box((3.0, 1.0), 0.6, 0.8)])
    stage.on_cloud('lidar', cloud_msg(types, scene, T0 + S // 10))
    update = stage.update(T0 + S // 10)
    assert update.counts['obstacle_points'] == 0 and update.counts['hit_cells'] == 0
    assert update.grid.layer('occupancy')[r, c] > 0.5
    # a longer timeout applies to the next update
    stage.reconfigure(config(lidars=(SensorSource('lidar', extrinsic([0] * 6), timeout_s=5.0),)))
    assert stage.monitor.timeouts_s['lidar'] == 5.0


def test_reconfigure_refuses_what_the_running_stage_is_built_around() -> None:
    stage = Perception(config())
    with pytest.raises(ValueError, match='grid geometry'):
        stage.reconfigure(config(geometry=GridGeometry(60, 60, 0.1)))
    with pytest.raises(ValueError, match='lidars'):
        stage.reconfigure(config(lidars=(SensorSource('front', extrinsic([0] * 6)),)))


def test_a_cloud_already_stale_when_it_arrives_is_dropped_and_counted(types: Any) -> None:
    stage = Perception(config())  # lidar timeout 0.5 s
    late = stage.on_cloud('lidar', cloud_msg(types, floor(), T0), received_ns=T0 + 600 * MS)
    assert late is not None and late.kind is DropKind.STALE_ON_ARRIVAL
    assert str(late) == 'stale on arrival: 600 ms old (timeout 0.5 s)'
    assert stage.monitor.dropped[('lidar', DropKind.STALE_ON_ARRIVAL)] == 1
    assert stage.on_cloud('lidar', cloud_msg(types, floor(), T0), received_ns=T0 + 40 * MS) is None


@pytest.mark.parametrize(
    'blind',
    [
        np.full((5000, 3), np.nan),  # a lidar that returns only NaN
        np.zeros((5000, 3)),  # only points at its origin
        np.vstack([floor()[:40], np.full((5000, 3), np.inf)]),  # fewer returns than the minimum
    ],
    ids=['nan', 'origin', 'few'],
)
def test_a_blind_lidar_is_stale_and_the_grid_ages(types: Any, blind: np.ndarray) -> None:
    stage = Perception(config(crop=CropConfig(min_range=0.3)))  # at least 100 returns
    stage.on_cloud('lidar', cloud_msg(types, floor(), T0))
    assert stage.update(T0).grid.stamp_ns == T0
    stage.on_cloud('lidar', cloud_msg(types, blind, T0 + S // 10))
    update = stage.update(T0 + S // 10)
    assert update.stale['lidar'].kind is StaleKind.BLIND and 'lidar' not in update.used
    assert 'fewer than 100' in str(update.stale['lidar'])
    assert update.grid.stamp_ns == T0  # not refreshed: the policy sees it age and stops


def test_a_stamp_from_the_future_is_dropped_and_never_taken_as_the_newest(types: Any) -> None:
    stage = Perception(config())  # 0.2 s of tolerance for clocks that disagree
    hour = 3600 * S
    ahead = stage.on_cloud('lidar', cloud_msg(types, floor(), T0 + hour), received_ns=T0)
    assert ahead is not None and ahead.kind is DropKind.FUTURE_STAMP
    assert str(ahead) == 'stamped 3600.000 s ahead of the clock (max 0.2 s)'
    # the correct messages after it are not "out of order", and the source ages as it should
    for k in range(1, 4):
        stamp = T0 + k * S // 10
        assert stage.on_cloud('lidar', cloud_msg(types, floor(), stamp), received_ns=stamp) is None
    assert stage.monitor.latest_ns['lidar'] == T0 + 3 * S // 10
    assert 'lidar' in stage.monitor.stale(T0 + 2 * S)  # silent for 1.7 s: stale, not fresh
    slightly = stage.on_cloud(
        'lidar', cloud_msg(types, floor(), T0 + S), received_ns=T0 + 9 * S // 10
    )
    assert slightly is None  # 0.1 s ahead: within the tolerance


def test_an_iot_reading_from_the_future_is_rejected(types: Any) -> None:
    stage = iot_stage()
    drop = stage.on_iot(iot_msg(types, 'oven', 65.0, T0 + 60 * S), received_ns=T0)
    assert drop is not None and drop.kind is DropKind.FUTURE_STAMP
    assert 'oven' not in stage.iot.latest and sum(stage.iot.rejections.values()) == 1


def test_ten_thousand_unknown_sensor_ids_do_not_grow_the_diagnostics(types: Any) -> None:
    from physical_ai_ros.core.perception.iot import MAX_UNKNOWN_SENSORS, OTHERS

    stage = iot_stage()
    for k in range(10_000):
        drop = stage.on_iot(iot_msg(types, f'ghost_{k}', 20.0, T0 + k))
        assert drop is not None and drop.kind is DropKind.UNKNOWN_SENSOR
    keys = {key for key, _ in stage.iot.rejections}
    assert len(keys) == MAX_UNKNOWN_SENSORS + 1 and OTHERS in keys
    assert sum(stage.iot.rejections.values()) == 10_000  # every reading still counted
    assert len(stage.iot.last_rejection) == MAX_UNKNOWN_SENSORS + 1


def test_an_image_its_camera_info_does_not_describe_is_not_fused(types: Any) -> None:
    stage = Perception(
        config(cameras=(SensorSource('cam', extrinsic(OPTICAL), timeout_s=0.5, max_skew_s=0.05),))
    )
    stage.on_camera_info('cam', camera_info(types, T0))  # 64x48
    pixels = np.full((96, 128, 3), (10, 200, 30), np.uint8)  # twice as large
    image = array_to_image(pixels, 'rgb8', make_header(T0, 'camera', types), types)
    stage.on_image('cam', image)
    stage.on_cloud('lidar', cloud_msg(types, np.vstack([floor(), box((3.0, 0.0), 0.6, 1.5)]), T0))
    update = stage.update(T0)
    assert 'cam' not in update.used and update.stale['cam'].kind is StaleKind.SIZE_MISMATCH
    assert 'image 128x96, CameraInfo 64x48' in str(update.stale['cam'])
    assert np.isnan(update.grid.layer('r')).all()  # no colour from an undescribed image


def test_xyz_fields_with_several_values_per_point_are_a_typed_error(types: Any) -> None:
    from physical_ai_ros.core.errors import PointCloudError
    from physical_ai_ros.core.perception.lidar import prepare_cloud

    points = np.zeros(4, dtype=[('x', '<f4', (2,)), ('y', '<f4'), ('z', '<f4')])
    cloud = array_to_cloud(points, make_header(T0, 'lidar', types), types)
    with pytest.raises(PointCloudError, match=r"fields\['x'\].count"):
        prepare_cloud(cloud, extrinsic([0] * 6), CropConfig(), T0)


def test_a_sensor_sending_from_another_frame_is_refused(types: Any) -> None:
    stage = Perception(config())
    assert stage.on_cloud('lidar', cloud_msg(types, floor(), T0)) is None  # pins 'lidar'
    drop = stage.on_cloud('lidar', cloud_msg(types, floor(), T0 + S // 10, frame='elsewhere'))
    assert drop is not None and drop.kind is DropKind.WRONG_FRAME
    assert str(drop) == "wrong frame: 'elsewhere', expected 'lidar'"
    # the frame TF resolved the extrinsic for wins over what came first
    stage.set_extrinsic('lidar', np.eye(4), '/lidar_link')
    assert stage.on_cloud('lidar', cloud_msg(types, floor(), T0 + S // 5)).kind is (
        DropKind.WRONG_FRAME
    )
    assert stage.on_cloud('lidar', cloud_msg(types, floor(), T0 + S // 5, 'lidar_link')) is None
