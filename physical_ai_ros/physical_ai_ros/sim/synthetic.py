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

"""A small factory-aisle scenario written straight to a rosbag2, with no physics engine.

The robot drives down an aisle between racks towards a pallet; a hot machine warms the air
around it. Sensors are ray-cast in :mod:`physical_ai_ros.sim.world`: an organized lidar cloud
laid out as an Ouster driver lays it out (padding included), a JPEG camera with its CameraInfo,
IoT temperatures, odometry and static TF. Deterministic for a given seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
import math
from pathlib import Path
from typing import Any

import numpy as np

from physical_ai_ros.core.messages.image import array_to_compressed
from physical_ai_ros.core.messages.pointcloud import array_to_cloud
from physical_ai_ros.core.messages.stamps import make_header, NS_PER_S
from physical_ai_ros.replay.bagwriter import BagWriter, Storage
from physical_ai_ros.replay.typestore import TypestoreTypes
from physical_ai_ros.sim.sensors import (
    beam_directions,
    CameraSpec,
    LidarSpec,
    organized_scan,
    SensorRates,
)
from physical_ai_ros.sim.world import Box, World

LIDAR_MOUNT = (0.2, 0.0, 0.6)  # base_link -> lidar_link [m]
CAMERA_MOUNT = (0.3, 0.0, 0.9)  # base_link -> camera_optical [m]
HOT_MACHINE = (9.0, 2.2, 1.0)  # centre of the machine that heats the air [m]


#: The synthetic scenario's sensors (the MuJoCo scenarios have their own defaults).
SYNTHETIC_LIDAR = LidarSpec(max_range=100.0)
SYNTHETIC_CAMERA = CameraSpec(width=640, height=360, fovy_deg=60.0)
SYNTHETIC_RATES = SensorRates(lidar=10.0, camera=15.0, iot=10.0, odom=50.0)


@dataclass(frozen=True)
class ScenarioConfig:
    """Sizes and rates of the synthetic scenario."""

    seconds: float = 8.0
    seed: int = 0
    speed: float = 0.6  # forward speed of the scripted drive [m/s]
    lidar: LidarSpec = SYNTHETIC_LIDAR
    camera: CameraSpec = SYNTHETIC_CAMERA
    rates: SensorRates = SYNTHETIC_RATES
    iot_sensors: int = 16


def factory_aisle(seed: int) -> World:
    """Racks on both sides of a 3 m aisle, a pallet ahead, a machine beside it."""
    rng = np.random.default_rng(seed)
    pallet_x = 7.0 + rng.uniform(-0.5, 0.5)
    return World(
        boxes=[
            Box((-2.0, 1.5, 0.0), (20.0, 2.0, 2.5), (60, 90, 160), 'rack_left'),
            Box((-2.0, -2.0, 0.0), (20.0, -1.5, 2.5), (60, 90, 160), 'rack_right'),
            Box((pallet_x, -0.6, 0.0), (pallet_x + 1.0, 0.6, 1.2), (170, 120, 60), 'pallet'),
            Box((8.2, 2.0, 0.0), (9.8, 3.2, 2.0), (190, 60, 50), 'machine'),
        ]
    )


def robot_pose(t: float, config: ScenarioConfig) -> tuple[float, float, float]:
    """Scripted drive: straight down the aisle with a gentle weave; (x, y, yaw)."""
    x = config.speed * t
    y = 0.15 * math.sin(0.5 * t)
    yaw = math.atan2(0.075 * math.cos(0.5 * t), config.speed)
    return x, y, yaw


def lidar_scan(
    world: World,
    pose: tuple[float, float, float],
    config: ScenarioConfig,
    rng: np.random.Generator,
) -> np.ndarray[Any, Any]:
    """An organized scan (channels x columns) in the lidar frame; no return is NaN."""
    channels, columns = config.lidar.channels, config.lidar.columns
    local = beam_directions(channels, columns, config.lidar.vfov_deg)
    x, y, yaw = pose
    c, s = math.cos(yaw), math.sin(yaw)
    rotation = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    origin = np.array([x, y, 0.0]) + rotation @ np.asarray(LIDAR_MOUNT)
    distance, _ = world.cast(origin[None, :], local @ rotation.T)
    distance = distance + rng.normal(0.0, 0.01, distance.shape)
    dropout = rng.random(distance.shape) < 0.01
    distance[(distance > config.lidar.max_range) | dropout] = np.nan
    return organized_scan(local, distance, channels, columns, int(1e8 / config.rates.lidar))


def camera_intrinsics(config: ScenarioConfig) -> tuple[float, float, float]:
    """Focal length and principal point of the ideal camera: (f, cx, cy)."""
    camera = config.camera
    return camera.focal_px, camera.width / 2.0, camera.height / 2.0


def camera_frame(
    world: World, pose: tuple[float, float, float], config: ScenarioConfig
) -> np.ndarray[Any, Any]:
    """Render an RGB frame by casting one ray per pixel, shaded by distance."""
    f, cx, cy = camera_intrinsics(config)
    v, u = np.mgrid[0 : config.camera.height, 0 : config.camera.width]
    # optical frame (x right, y down, z forward) -> base frame (x forward, y left, z up)
    optical = np.stack(
        [(u - cx) / f, (v - cy) / f, np.ones_like(u, dtype=float)], axis=-1
    ).reshape(-1, 3)
    base = np.stack([optical[:, 2], -optical[:, 0], -optical[:, 1]], axis=1)
    x, y, yaw = pose
    c, s = math.cos(yaw), math.sin(yaw)
    rotation = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    origin = np.array([x, y, 0.0]) + rotation @ np.asarray(CAMERA_MOUNT)
    distance, index = world.cast(origin[None, :], base @ rotation.T)
    shade = np.clip(1.3 - 0.04 * np.nan_to_num(distance, posinf=30.0), 0.4, 1.0)
    shade[index == -2] = 1.0  # open sky (no ceiling) is not shaded by distance
    rgb = world.colours(index).astype(np.float32) * shade[:, None]
    return rgb.reshape(config.camera.height, config.camera.width, 3).astype(np.uint8)


def iot_positions(config: ScenarioConfig) -> np.ndarray[Any, Any]:
    """Sensor positions along both racks, in the odom frame [m]."""
    along = np.linspace(0.0, 16.0, math.ceil(config.iot_sensors / 2))
    left = np.column_stack([along, np.full_like(along, 1.4), np.full_like(along, 1.5)])
    right = np.column_stack([along, np.full_like(along, -1.4), np.full_like(along, 1.5)])
    return np.vstack([left, right])[: config.iot_sensors]


def temperature_at(position: np.ndarray[Any, Any]) -> float:
    """Air temperature [degC]: 21 °C ambient, up to +60 °C near the hot machine."""
    d2 = float(np.sum((position - np.asarray(HOT_MACHINE)) ** 2))
    return 21.0 + 60.0 * math.exp(-d2 / 4.0)


def write_synthetic_bag(
    path: Path | str, config: ScenarioConfig | None = None, *, storage: Storage = 'mcap'
) -> Path:
    """Write the scenario to a new rosbag2 at ``path`` and return the path."""
    types = TypestoreTypes()
    with BagWriter(path, types, storage=storage) as bag:
        for topic, msg, log_ns in synthetic_messages(config, types):
            bag.write(topic, msg, log_ns)
    return Path(path)


def synthetic_messages(
    config: ScenarioConfig | None = None, types: TypestoreTypes | None = None
) -> Iterator[tuple[str, Any, int]]:
    """The scenario's messages as (topic, message, log time [ns]), in log-time order.

    Each is stamped with its log time (a sensor on time); tests that need a fault change the
    messages on their way to a bag.
    """
    config = config or ScenarioConfig()
    types = types or TypestoreTypes()
    world = factory_aisle(config.seed)
    rng = np.random.default_rng(config.seed)
    start_ns = 1_700_000_000 * NS_PER_S
    end_ns = start_ns + int(config.seconds * NS_PER_S)
    schedule: list[tuple[int, int, str]] = []  # (stamp, order, source): order keeps ties stable
    for order, (source, rate) in enumerate(
        [
            ('odom', config.rates.odom),
            ('lidar', config.rates.lidar),
            ('camera', config.rates.camera),
            ('iot', config.rates.iot),
        ]
    ):
        period = int(NS_PER_S / rate)
        schedule.extend((t, order, source) for t in range(start_ns, end_ns, period))
    schedule.sort()
    f, cx, cy = camera_intrinsics(config)
    sensors = iot_positions(config)
    yield '/tf_static', static_transforms(types, start_ns), start_ns
    for stamp, _, source in schedule:
        t = (stamp - start_ns) / NS_PER_S
        pose = robot_pose(t, config)
        if source == 'odom':
            yield '/odom', odometry(types, stamp, pose, config), stamp
        elif source == 'lidar':
            cloud = array_to_cloud(
                lidar_scan(world, pose, config, rng),
                make_header(stamp, 'lidar_link', types),
                types,
            )
            yield '/lidar/points', cloud, stamp
        elif source == 'camera':
            header = make_header(stamp, 'camera_optical', types)
            image = array_to_compressed(
                camera_frame(world, pose, config),
                'jpeg',
                header,
                types,
                encoding='rgb8',
                quality=85,
            )
            yield '/camera/image_raw/compressed', image, stamp
            yield (
                '/camera/camera_info',
                camera_info(types, header, config.camera, f, cx, cy),
                stamp,
            )
        else:
            for k, position in enumerate(sensors):
                value = temperature_at(position) + rng.normal(0.0, 0.2)
                yield '/iot/readings', iot_reading(types, stamp, k, value), stamp


def odometry(
    types: TypestoreTypes, stamp: int, pose: tuple[float, float, float], config: ScenarioConfig
) -> Any:
    """nav_msgs/Odometry of the scripted drive, odom -> base_link."""
    return odometry_message(types, stamp, pose, config.speed, 0.0)


def odometry_message(
    types: TypestoreTypes,
    stamp: int,
    pose: tuple[float, float, float],
    speed: float,
    yaw_rate: float,
) -> Any:
    """nav_msgs/Odometry at ``pose`` (x, y, yaw) moving at ``speed`` and ``yaw_rate``."""
    x, y, yaw = pose
    t = types.get
    vector = t('geometry_msgs/msg/Vector3')
    return t('nav_msgs/msg/Odometry')(
        header=make_header(stamp, 'odom', types),
        child_frame_id='base_link',
        pose=t('geometry_msgs/msg/PoseWithCovariance')(
            pose=t('geometry_msgs/msg/Pose')(
                position=t('geometry_msgs/msg/Point')(x=x, y=y, z=0.0),
                orientation=t('geometry_msgs/msg/Quaternion')(
                    x=0.0, y=0.0, z=math.sin(yaw / 2), w=math.cos(yaw / 2)
                ),
            ),
            covariance=np.zeros(36),
        ),
        twist=t('geometry_msgs/msg/TwistWithCovariance')(
            twist=t('geometry_msgs/msg/Twist')(
                linear=vector(x=float(speed), y=0.0, z=0.0),
                angular=vector(x=0.0, y=0.0, z=float(yaw_rate)),
            ),
            covariance=np.zeros(36),
        ),
    )


def static_transforms(types: TypestoreTypes, stamp: int) -> Any:
    """tf2_msgs/TFMessage with base_link -> lidar_link and base_link -> camera_optical."""
    t = types.get
    # camera_optical (z forward, x right, y down): roll -90°, yaw -90° from base_link
    optical = (-0.5, 0.5, -0.5, 0.5)
    transforms = []
    for child, (tx, ty, tz), (qx, qy, qz, qw) in (
        ('lidar_link', LIDAR_MOUNT, (0.0, 0.0, 0.0, 1.0)),
        ('camera_optical', CAMERA_MOUNT, optical),
    ):
        transforms.append(
            t('geometry_msgs/msg/TransformStamped')(
                header=make_header(stamp, 'base_link', types),
                child_frame_id=child,
                transform=t('geometry_msgs/msg/Transform')(
                    translation=t('geometry_msgs/msg/Vector3')(x=tx, y=ty, z=tz),
                    rotation=t('geometry_msgs/msg/Quaternion')(x=qx, y=qy, z=qz, w=qw),
                ),
            )
        )
    return t('tf2_msgs/msg/TFMessage')(transforms=transforms)


def camera_info(
    types: TypestoreTypes, header: Any, camera: CameraSpec, f: float, cx: float, cy: float
) -> Any:
    """Build the CameraInfo of an ideal (undistorted) pinhole camera of ``camera``'s size."""
    t = types.get
    return t('sensor_msgs/msg/CameraInfo')(
        header=header,
        height=camera.height,
        width=camera.width,
        distortion_model='plumb_bob',
        d=types.array(np.zeros(5)),
        k=np.array([f, 0, cx, 0, f, cy, 0, 0, 1], dtype=np.float64),
        r=np.eye(3).ravel(),
        p=np.array([f, 0, cx, 0, 0, f, cy, 0, 0, 0, 1, 0], dtype=np.float64),
        binning_x=0,
        binning_y=0,
        roi=t('sensor_msgs/msg/RegionOfInterest')(
            x_offset=0, y_offset=0, height=0, width=0, do_rectify=False
        ),
    )


def iot_reading(types: TypestoreTypes, stamp: int, sensor: int, value: float) -> Any:
    """An IotReading of temperature sensor ``sensor`` (mounted in the odom frame)."""
    cls = types.get('physical_ai_ros_interfaces/msg/IotReading')
    return cls(
        header=make_header(stamp, 'odom', types),
        sensor_id=f'temp_{sensor:02d}',
        quantity='temperature',
        value=float(value),
        unit='degC',
        variance=0.04,
        status=cls.STATUS_OK,
    )
