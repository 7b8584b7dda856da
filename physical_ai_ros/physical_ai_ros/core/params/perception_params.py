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


"""perception_node's parameters, their cross checks, and the PerceptionConfig built from them.

Per-source settings are parallel arrays (``lidar.names`` with ``lidar.extrinsics``, ...), whose
lengths are checked together by :func:`check_perception`.
"""

from __future__ import annotations

from collections.abc import Mapping
import math
from typing import Any

from physical_ai_ros.core.params.spec import CrossCheck, ParamError, ParamSet, ParamSpec
from physical_ai_ros.core.perception.grid import GridGeometry
from physical_ai_ros.core.perception.ground import GroundConfig
from physical_ai_ros.core.perception.iot import IotSensorConfig
from physical_ai_ros.core.perception.lidar import CropConfig
from physical_ai_ros.core.perception.mapping import MappingConfig
from physical_ai_ros.core.perception.perception import PerceptionConfig, SensorSource
from physical_ai_ros.core.perception.transforms import extrinsic

P = ParamSpec


def check_perception(values: Mapping[str, Any]) -> list[ParamError]:
    """Cross-parameter checks of resolved perception_node values; [] when fine."""
    check = CrossCheck('perception_node', values)
    lidars = values['lidar.names']
    check.need(
        'lidar.names',
        len(lidars) >= 1 and len(set(lidars)) == len(lidars),
        'at least one lidar name, no repeats',
    )
    check.need(
        'lidar.key_source',
        values['lidar.key_source'] in ('', *lidars),
        f'"" or one of {lidars}',
    )
    for kind, names in (('lidar', lidars), ('camera', values['camera.names'])):
        ext = values[f'{kind}.extrinsics']
        check.need(
            f'{kind}.extrinsics',
            len(ext) in (0, 6 * len(names)),
            f'empty (TF) or 6 values per {kind} ({6 * len(names)})',
        )
    check.need(
        'lidar.max_range',
        values['lidar.max_range'] > values['lidar.min_range'],
        f'more than lidar.min_range ({values["lidar.min_range"]})',
    )
    check.need(
        'lidar.box_max',
        all(a < b for a, b in zip(values['lidar.box_min'], values['lidar.box_max'], strict=True)),
        'each coordinate above lidar.box_min',
    )
    check.need(
        'mapping.max_obstacle_height',
        values['mapping.max_obstacle_height'] > values['mapping.min_obstacle_height'],
        'more than mapping.min_obstacle_height',
    )
    ids = values['iot.sensor_ids']
    for name in ('iot.quantities', 'iot.units', 'iot.min_values', 'iot.max_values'):
        check.need(
            name,
            len(values[name]) == len(ids),
            f'one entry per sensor in iot.sensor_ids ({len(ids)})',
        )
    check.need(
        'iot.positions',
        len(values['iot.positions']) in (0, 3 * len(ids)),
        f'empty or 3 values per sensor ({3 * len(ids)})',
    )
    if len(values['iot.min_values']) == len(values['iot.max_values']):
        check.need(
            'iot.max_values',
            all(
                a < b
                for a, b in zip(values['iot.min_values'], values['iot.max_values'], strict=True)
            ),
            'each above its iot.min_values entry',
        )
    return check.errors


# One line or two per parameter, so that the table reads on a screen.
# fmt: off
PERCEPTION = ParamSet(
    'perception_node',
    (
        P('base_frame', 'string', 'base_link', 'Frame of the grid (the robot base).',
          read_only=True),
        P('odom_frame', 'string', 'odom', 'Fixed frame of odometry and IoT sensor positions.',
          read_only=True),
        P('use_odometry', 'bool', True, 'Shift the grid by odometry between updates.',
          read_only=True),
        P('odom_timeout_s', 'double', 0.5, 'Odometry older than this is stale.', 's', 0.01, 60.0),
        P('odom_loss_grace_s', 'double', 0.0, 'With use_odometry, what the grid does when '
          'odometry is stale: 0 stops updating it at once (it ages and the gate stops the '
          'robot); more keeps mapping without ego-motion for this long first. Reported on '
          '/diagnostics either way.', 's', 0.0, 10.0),
        P('max_future_stamp_s', 'double', 0.2, 'A message stamped further ahead of this '
          "computer's clock (ROS time) is dropped and reported, never taken as the newest.", 's',
          0.0, 10.0),
        P('grid.width', 'int', 200, 'Cells along x.', 'cells', 10, 2000, read_only=True),
        P('grid.height', 'int', 200, 'Cells along y.', 'cells', 10, 2000, read_only=True),
        P('grid.resolution', 'double', 0.1, 'Edge length of a cell.', 'm', 0.01, 2.0,
          read_only=True),
        P('lidar.enabled', 'bool', True, 'Subscribe to the lidars (false: no grid updates).',
          read_only=True),
        P('lidar.names', 'string_array', ['lidar'], 'Lidar sources; each subscribes to '
          '<name>/points.', read_only=True),
        P('lidar.key_source', 'string', '', 'Lidar whose clouds trigger updates ("" = the first).',
          read_only=True),
        P('lidar.extrinsics', 'double_array', [], 'Per lidar x y z roll pitch yaw (m, rad) of '
          'the sensor in base_frame; empty = TF.', read_only=True),
        P('lidar.timeout_s', 'double', 0.5, 'A lidar silent for longer is stale.', 's', 0.01,
          60.0),
        P('lidar.min_returns', 'int', 100, 'A cloud with fewer real returns (finite, within the '
          'range limits) is blind: the lidar is left out as stale, and the gate stops once the '
          'grid is too old.', '', 0, 10_000_000),
        P('lidar.max_skew_s', 'double', 0.1, 'Clouds further than this from the key stamp are '
          'not merged.', 's', 0.0, 5.0),
        P('lidar.min_range', 'double', 0.3, 'Returns closer to the sensor are dropped (the '
          'robot itself).', 'm', 0.0, 10.0),
        P('lidar.max_range', 'double', 30.0, 'Returns farther from the sensor are dropped.', 'm',
          0.5, 500.0),
        P('lidar.box_min', 'double_array', [-10.0, -10.0, -1.0], 'Lower corner x y z of the '
          'kept box in base_frame.', 'm', length=3),
        P('lidar.box_max', 'double_array', [10.0, 10.0, 2.5], 'Upper corner x y z of the kept '
          'box in base_frame.', 'm', length=3),
        P('lidar.voxel_size', 'double', 0.1, 'Voxel edge for downsampling.', 'm', 0.01, 2.0),
        P('ground.max_slope_deg', 'double', 15.0, 'Steepest floor accepted as ground.', 'deg', 0.0,
          45.0),
        P('ground.candidate_max_z', 'double', 0.5, 'Only points lower than this (base_frame z) '
          'can be ground.', 'm', -5.0, 5.0),
        P('ground.band', 'double', 0.08, 'Points this close to the ground plane are floor.', 'm',
          0.0, 1.0),
        P('mapping.hit_log_odds', 'double', 0.85, 'Log-odds added to a cell with obstacle points.',
          '', 0.01, 10.0),
        P('mapping.miss_log_odds', 'double', -0.4, 'Log-odds added to a cell rays passed through.',
          '', -10.0, 0.0),
        P('mapping.decay_time_s', 'double', 3.0, 'Occupancy decays towards unknown with this '
          'time constant.', 's', 0.05, 3600.0),
        P('mapping.min_obstacle_height', 'double', 0.12, 'Points lower above the ground are not '
          'obstacles.', 'm', 0.0, 5.0),
        P('mapping.max_obstacle_height', 'double', 2.0, 'Points higher above the ground '
          '(overhangs) are ignored.', 'm', 0.0, 20.0),
        P('camera.names', 'string_array', [], 'Cameras; each subscribes to '
          '<name>/image_raw(/compressed) and <name>/camera_info.', read_only=True),
        P('camera.compressed', 'bool', True, 'Subscribe to the compressed image topics.',
          read_only=True),
        P('camera.extrinsics', 'double_array', [], 'Per camera x y z roll pitch yaw of the '
          'optical frame in base_frame; empty = from TF.', read_only=True),
        P('camera.timeout_s', 'double', 0.5, 'A camera silent for longer is stale; rgb layers '
          'stay unknown.', 's', 0.01, 60.0),
        P('camera.max_skew_s', 'double', 0.1, 'Images further than this from the key stamp are '
          'not fused.', 's', 0.0, 5.0),
        P('camera.decode_scale', 'int', 1, 'Decode images at 1/1, 1/2, 1/4 or 1/8 size: faster, '
          'and enough to colour cells.', choices=(1, 2, 4, 8)),
        P('camera.enabled', 'bool', True, 'Fuse the cameras (false: rgb layers stay unknown).',
          read_only=True),
        P('camera.ground_projection', 'bool', False, 'Colour floor cells from the image (IPM).'),
        P('iot.enabled', 'bool', True, 'Use the IoT sensors (false: no IoT layers or features).',
          read_only=True),
        P('iot.sensor_ids', 'string_array', [], 'IoT sensors, in feature-vector order.',
          read_only=True),
        P('iot.quantities', 'string_array', [], 'Per sensor: what it measures (temperature, '
          'pressure, ...).', read_only=True),
        P('iot.units', 'string_array', [], 'Per sensor: the unit its readings must carry.',
          read_only=True),
        P('iot.min_values', 'double_array', [], 'Per sensor: lowest plausible value.',
          read_only=True),
        P('iot.max_values', 'double_array', [], 'Per sensor: highest plausible value.',
          read_only=True),
        P('iot.positions', 'double_array', [], 'Per sensor x y z in odom_frame (NaN x = not '
          'mounted); empty = none.', 'm', read_only=True),
        P('iot.max_age_s', 'double', 2.0, 'A reading older than this is stale.', 's', 0.01,
          3600.0),
        P('iot.falloff_radius', 'double', 2.0, 'How far a reading spreads on the grid.', 'm', 0.1,
          100.0),
        P('publish_occupancy', 'bool', True, 'Also publish nav_msgs/OccupancyGrid on occupancy.'),
        P('publish_cloud', 'bool', False, 'Also publish the coloured occupied cells as a '
          'PointCloud2.'),
    ),
    checks=check_perception,
)
# fmt: on


def _sources(
    values: Mapping[str, Any], kind: str, timeout: float, skew: float
) -> tuple[SensorSource, ...]:
    names = values[f'{kind}.names']
    ext = values[f'{kind}.extrinsics']
    return tuple(
        SensorSource(
            name=name,
            extrinsic=extrinsic(ext[6 * i : 6 * i + 6]) if ext else None,
            timeout_s=timeout,
            max_skew_s=skew,
        )
        for i, name in enumerate(names)
    )


def perception_config(values: Mapping[str, Any]) -> PerceptionConfig:
    """The :class:`PerceptionConfig` of resolved ``perception_node`` values."""
    positions = values['iot.positions']
    sensors = []
    for i, sensor_id in enumerate(values['iot.sensor_ids'] if values['iot.enabled'] else ()):
        position = tuple(positions[3 * i : 3 * i + 3]) if positions else None
        if position is not None and not math.isfinite(position[0]):
            position = None
        sensors.append(
            IotSensorConfig(
                sensor_id=sensor_id,
                quantity=values['iot.quantities'][i],
                unit=values['iot.units'][i],
                min_value=values['iot.min_values'][i],
                max_value=values['iot.max_values'][i],
                max_age_s=values['iot.max_age_s'],
                position=position,
                frame=values['odom_frame'],
                falloff_radius=values['iot.falloff_radius'],
            )
        )
    return PerceptionConfig(
        geometry=GridGeometry(
            values['grid.width'], values['grid.height'], values['grid.resolution']
        ),
        lidars=_sources(values, 'lidar', values['lidar.timeout_s'], values['lidar.max_skew_s']),
        cameras=(
            _sources(values, 'camera', values['camera.timeout_s'], values['camera.max_skew_s'])
            if values['camera.enabled']
            else ()
        ),
        iot=tuple(sensors),
        crop=CropConfig(
            min_range=values['lidar.min_range'],
            max_range=values['lidar.max_range'],
            box_min=tuple(values['lidar.box_min']),
            box_max=tuple(values['lidar.box_max']),
            voxel_size=values['lidar.voxel_size'],
        ),
        ground=GroundConfig(
            max_slope_deg=values['ground.max_slope_deg'],
            candidate_max_z=values['ground.candidate_max_z'],
            band=values['ground.band'],
        ),
        mapping=MappingConfig(
            hit_log_odds=values['mapping.hit_log_odds'],
            miss_log_odds=values['mapping.miss_log_odds'],
            decay_time_s=values['mapping.decay_time_s'],
            min_obstacle_height=values['mapping.min_obstacle_height'],
            max_obstacle_height=values['mapping.max_obstacle_height'],
        ),
        key_source=values['lidar.key_source'],
        odom_timeout_s=values['odom_timeout_s'],
        odom_loss_grace_s=values['odom_loss_grace_s'],
        use_odometry=values['use_odometry'],
        ipm=values['camera.ground_projection'],
        camera_decode_scale=values['camera.decode_scale'],
        min_lidar_returns=values['lidar.min_returns'],
        max_future_s=values['max_future_stamp_s'],
        base_frame=values['base_frame'],
    )
