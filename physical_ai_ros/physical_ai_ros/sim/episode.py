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

"""Closed-loop episodes: simulated sensors -> the pipeline the nodes run -> the robot.

Each episode records every sensor message and every pipeline output to one rosbag2 (which
``physical-ai replay`` accepts), and measures what the robot did: whether it reached the goal,
collisions, minimum clearance, time to goal, mean speed and safety stops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import math
from pathlib import Path
from typing import Any

import numpy as np

from physical_ai_ros.core.messages.image import array_to_compressed
from physical_ai_ros.core.messages.pointcloud import array_to_cloud
from physical_ai_ros.core.messages.stamps import make_header, NS_PER_S
from physical_ai_ros.replay.bagwriter import BagWriter, Storage
from physical_ai_ros.replay.events import EventKind
from physical_ai_ros.replay.runner import ReplayOptions, ReplayResult, ReplayRunner
from physical_ai_ros.sim.scene import make_scenario, Scenario
from physical_ai_ros.sim.sensors import CameraSpec, LidarSpec, SensorRates
from physical_ai_ros.sim.synthetic import camera_info, iot_reading, odometry_message
from physical_ai_ros.sim.world_mujoco import quaternion, SimWorld

START_NS = 1_700_000_000 * NS_PER_S


DEFAULT_RATES, DEFAULT_LIDAR, DEFAULT_CAMERA = SensorRates(), LidarSpec(), CameraSpec()


@dataclass
class EpisodeResult:
    """What the robot did in one episode."""

    scenario: str
    seed: int
    bag: Path
    seconds: float
    reached_goal: bool = False
    collisions: int = 0
    #: contacts that began with the robot driving into the obstacle (closing faster than
    #: MOVING_SPEED); the rest began with a mover coming at a standing or passing robot
    moving_collisions: int = 0
    #: new contacts per obstacle name (a contact held over several steps counts once)
    hits: dict[str, int] = field(default_factory=dict)
    movers: tuple[str, ...] = ()  # names of the scenario's moving obstacles
    min_clearance_m: float = math.inf
    time_to_goal_s: float | None = None
    distance_m: float = 0.0
    safety_stops: int = 0
    replay: ReplayResult | None = field(default=None, repr=False)

    @property
    def success(self) -> bool:
        """Reached the goal without touching anything."""
        return self.reached_goal and self.collisions == 0

    @property
    def mover_hits(self) -> int:
        """Contacts with a moving obstacle (the person, the forklift)."""
        return sum(n for name, n in self.hits.items() if name in self.movers)

    def describe_hits(self) -> str:
        """``person 1, rack_left 2``, or ``none``."""
        return ', '.join(f'{name} {n}' for name, n in sorted(self.hits.items())) or 'none'

    @property
    def mean_speed(self) -> float:
        """Distance over time [m/s]."""
        return self.distance_m / self.seconds if self.seconds > 0 else 0.0


#: A contact that begins with the robot closing on the obstacle faster than this [m/s] is the
#: robot's doing.
MOVING_SPEED = 0.05

#: Where an episode records its labeller's (the expert's) command for each odometry message.
EXPERT_TOPIC = '/expert/cmd_vel'

#: A driver or labeller: (x, y, yaw, scenario time) -> (linear.x, angular.z).
Driver = Callable[[float, float, float, float], tuple[float, float]]


def run_episode(
    scenario: str,
    seed: int,
    bag: Path | str,
    *,
    seconds: float = 30.0,
    options: ReplayOptions | None = None,
    rates: SensorRates = DEFAULT_RATES,
    lidar: LidarSpec = DEFAULT_LIDAR,
    camera: CameraSpec = DEFAULT_CAMERA,
    storage: Storage = 'mcap',
    stop_at_goal: bool = True,
    iot_sink: Callable[[Any], None] | None = None,
    driver: Driver | None = None,
    labeler: Driver | None = None,
    layout: Scenario | None = None,
) -> EpisodeResult:
    """Run one closed-loop episode and record it to ``bag`` (see the module docstring).

    ``iot_sink``, when given, also receives every IotReading the sensors produce (``sim
    record --mqtt`` publishes them to a broker). ``driver`` drives the robot instead of the
    pipeline's gated command (an expert collecting demonstrations); ``labeler``'s command
    for the robot's pose is recorded beside every odometry message on
    :data:`EXPERT_TOPIC` (the expert labelling what the learner does, as DAgger needs).
    ``layout`` replaces the scene ``make_scenario(scenario, seed)`` would build (another
    start, movers elsewhere: see :func:`~physical_ai_ros.learn.collect.crossing_start`).
    """
    bag = Path(bag)
    options = options or ReplayOptions()
    world = SimWorld(layout or make_scenario(scenario, seed), lidar, camera)
    runner = ReplayRunner(options)
    types = runner.types
    episode = EpisodeResult(
        scenario=scenario,
        seed=seed,
        bag=bag,
        seconds=0.0,
        movers=tuple(m.name for m in world.scenario.movers),
    )
    end_ns = START_NS + int(seconds * NS_PER_S)
    result = ReplayResult(out_bag=bag, axes=tuple(runner.values['safety_node']['axes']))
    schedule = _schedule(rates, end_ns)
    axes = result.axes
    with BagWriter(bag, types, storage=storage) as writer:
        runner.begin(writer, result, START_NS, end_ns)

        def emit(topic: str, msg: Any, stamp: int) -> None:
            writer.write(topic, msg, stamp)
            runner.feed(topic, msg, stamp)
            if iot_sink is not None and topic == '/iot/readings':
                iot_sink(msg)

        emit('/tf_static', _static_tf(world, types, START_NS), START_NS)
        f, cx, cy = world.camera_intrinsics()
        previous = world.pose()[:2]
        touching: set[str] = set()
        for stamp, source in schedule:
            command = (
                runner.safety.last.command
                if runner.safety.last is not None
                else np.zeros(len(axes))
            )
            v = float(command[axes.index('linear.x')]) if 'linear.x' in axes else 0.0
            w = float(command[axes.index('angular.z')]) if 'angular.z' in axes else 0.0
            if driver is not None:
                v, w = driver(*world.pose(), world.time)
            world.step(v, w, (stamp - START_NS) / NS_PER_S - world.time)
            runner.advance(stamp)
            if source == 'odom':
                x, y, yaw = world.pose()
                speed, yaw_rate = world.velocity()
                emit('/odom', odometry_message(types, stamp, (x, y, yaw), speed, yaw_rate), stamp)
                emit('/tf', _odom_tf(types, stamp, (x, y, yaw)), stamp)
                if labeler is not None:
                    label = labeler(x, y, yaw, world.time)
                    writer.write(EXPERT_TOPIC, _twist(types, stamp, label), stamp)
                episode.distance_m += math.dist(previous, (x, y))
                previous = (x, y)
                episode.min_clearance_m = min(episode.min_clearance_m, world.clearance())
                hit = world.touched()
                episode.collisions += bool(hit) and not touching
                closing = world.closing_speeds(v)  # what the robot was told to do
                episode.moving_collisions += any(
                    closing.get(name, 0.0) > MOVING_SPEED for name in hit - touching
                )
                for name in hit - touching:
                    episode.hits[name] = episode.hits.get(name, 0) + 1
                touching = hit
                if not episode.reached_goal and x >= world.scenario.goal_x:
                    episode.reached_goal = True
                    episode.time_to_goal_s = (stamp - START_NS) / NS_PER_S
                    if stop_at_goal:
                        break
            elif source == 'lidar':
                header = make_header(stamp, 'lidar_link', types)
                emit('/lidar/points', array_to_cloud(world.lidar_scan(), header, types), stamp)
            elif source == 'camera':
                header = make_header(stamp, 'camera_optical', types)
                frame = world.render()
                emit(
                    '/camera/image_raw/compressed',
                    array_to_compressed(frame, 'jpeg', header, types, encoding='rgb8', quality=85),
                    stamp,
                )
                emit('/camera/camera_info', camera_info(types, header, camera, f, cx, cy), stamp)
            else:
                for k, position in enumerate(world.scenario.iot_positions):
                    emit(
                        '/iot/readings',
                        iot_reading(types, stamp, k, world.temperature(position)),
                        stamp,
                    )
                emit('/iot/readings', _vibration(types, stamp, world), stamp)
        last = min(stamp, end_ns)
        runner.end(last)
    episode.seconds = (last - START_NS) / NS_PER_S
    episode.safety_stops = sum(1 for e in result.events if e.kind is EventKind.STOP)
    result.link = runner.link_summary()
    episode.replay = result
    return episode


def _twist(types: Any, stamp: int, command: tuple[float, float]) -> Any:
    """A TwistStamped in base_link: (linear.x, angular.z)."""
    t = types.get
    return t('geometry_msgs/msg/TwistStamped')(
        header=make_header(stamp, 'base_link', types),
        twist=t('geometry_msgs/msg/Twist')(
            linear=t('geometry_msgs/msg/Vector3')(x=float(command[0]), y=0.0, z=0.0),
            angular=t('geometry_msgs/msg/Vector3')(x=0.0, y=0.0, z=float(command[1])),
        ),
    )


def _schedule(rates: SensorRates, end_ns: int) -> list[tuple[int, str]]:
    """Sensor events in time order (odometry first on ties, so the pose is fresh)."""
    events = []
    for order, (source, rate) in enumerate(
        (
            ('odom', rates.odom),
            ('lidar', rates.lidar),
            ('camera', rates.camera),
            ('iot', rates.iot),
        )
    ):
        period = int(NS_PER_S / rate)
        events += [(t, order, source) for t in range(START_NS + period, end_ns + 1, period)]
    events.sort()
    return [(t, source) for t, _, source in events]


def _transform(types: Any, stamp: int, parent: str, child: str, xyz: Any, xyzw: Any) -> Any:
    """A geometry_msgs/TransformStamped ``parent`` -> ``child``."""
    t = types.get
    x, y, z = (float(v) for v in xyz)
    qx, qy, qz, qw = (float(v) for v in xyzw)
    return t('geometry_msgs/msg/TransformStamped')(
        header=make_header(stamp, parent, types),
        child_frame_id=child,
        transform=t('geometry_msgs/msg/Transform')(
            translation=t('geometry_msgs/msg/Vector3')(x=x, y=y, z=z),
            rotation=t('geometry_msgs/msg/Quaternion')(x=qx, y=qy, z=qz, w=qw),
        ),
    )


def _static_tf(world: SimWorld, types: Any, stamp: int) -> Any:
    """base_link -> lidar_link and base_link -> camera_optical, from the MJCF."""
    transforms = []
    for child, name in (('lidar_link', 'lidar'), ('camera_optical', 'camera')):
        position, rotation = world.mount(name)
        transforms.append(
            _transform(types, stamp, 'base_link', child, position, quaternion(rotation))
        )
    return types.get('tf2_msgs/msg/TFMessage')(transforms=transforms)


def _odom_tf(types: Any, stamp: int, pose: tuple[float, float, float]) -> Any:
    """Odom -> base_link at the robot's pose, as a diff_drive_controller broadcasts it."""
    x, y, yaw = pose
    rotation = (0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2))
    transform = _transform(types, stamp, 'odom', 'base_link', (x, y, 0.0), rotation)
    return types.get('tf2_msgs/msg/TFMessage')(transforms=[transform])


def _vibration(types: Any, stamp: int, world: SimWorld) -> Any:
    """Vibration of the hot machine [m/s2 RMS], an IotReading from a sensor on the machine."""
    cls = types.get('physical_ai_ros_interfaces/msg/IotReading')
    return cls(
        header=make_header(stamp, 'odom', types),
        sensor_id='vib_machine',
        quantity='vibration_rms',
        value=world.vibration(),
        unit='m/s2',
        variance=0.01,
        status=cls.STATUS_OK,
    )
