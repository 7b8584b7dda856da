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

"""MuJoCo factory-floor scenes, built from code: aisles, racks, machines, people, a robot.

The robot is a differential-drive base (planar slide x/y + hinge yaw, velocity actuators)
carrying a lidar site and a camera. Obstacles that move (a walking person, a forklift) are
mocap bodies driven by the scenario script. Everything random (placements, colours, lighting,
sensor noise) comes from the seed, so a seed is a scene.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math

import numpy as np

ROBOT_RADIUS = 0.32  # m, footprint used for clearance


@dataclass(frozen=True)
class Obstacle:
    """A static box: centre (x, y), half sizes (sx, sy, sz), colour."""

    name: str
    centre: tuple[float, float]
    half: tuple[float, float, float]
    rgba: tuple[float, float, float, float]


@dataclass(frozen=True)
class Mover:
    """A mocap obstacle going back and forth between two points at a speed.

    ``phase`` [s] shifts where it is at time 0: the place it reaches ``phase`` seconds after
    leaving ``start``.
    """

    name: str
    start: tuple[float, float]
    end: tuple[float, float]
    speed: float
    half: tuple[float, float, float]
    rgba: tuple[float, float, float, float]
    phase: float = 0.0

    def position(self, t: float) -> tuple[float, float]:
        """Where it is at time ``t`` [s] (ping-pong along the segment)."""
        length = math.dist(self.start, self.end)
        if length == 0 or self.speed == 0:
            return self.start
        s = ((t + self.phase) * self.speed) % (2 * length)
        f = (s if s <= length else 2 * length - s) / length
        return (
            self.start[0] + f * (self.end[0] - self.start[0]),
            self.start[1] + f * (self.end[1] - self.start[1]),
        )


@dataclass(frozen=True)
class Scenario:
    """A factory scene: what stands where, where the robot starts and where it should go."""

    name: str
    seed: int
    obstacles: tuple[Obstacle, ...]
    movers: tuple[Mover, ...]
    hot_machine: tuple[float, float, float]  # position of the heat source [m]
    start: tuple[float, float, float]  # x, y, yaw
    goal_x: float  # reaching this x is success [m]
    light: float  # diffuse intensity of the main light
    range_noise: float  # lidar range noise sigma [m]
    dropout: float  # lidar dropout probability
    iot_positions: tuple[tuple[float, float, float], ...] = field(default=())


def _jitter(
    rng: np.random.Generator, rgba: tuple[float, float, float, float], amount: float = 0.15
) -> tuple[float, float, float, float]:
    r, g, b, a = rgba
    noise = rng.uniform(-amount, amount, 3)
    return (
        float(np.clip(r + noise[0], 0, 1)),
        float(np.clip(g + noise[1], 0, 1)),
        float(np.clip(b + noise[2], 0, 1)),
        a,
    )


def make_scenario(name: str, seed: int) -> Scenario:
    """Build a named scenario with the seed's randomisation.

    Scenarios: ``aisle`` (racks on both sides, a pallet to pass, a person crossing, a hot
    machine), ``blocked`` (the aisle closed by a wall: the robot must stop), ``forklift``
    (a forklift driving along a cross aisle).

    Raises:
        ValueError: an unknown scenario name.
    """
    if name not in SCENARIOS:
        raise ValueError(f'unknown scenario {name!r}; known: {", ".join(SCENARIOS)}')
    rng = np.random.default_rng(seed)
    rack = (0.25, 0.35, 0.65, 1.0)
    obstacles = [
        Obstacle('rack_left', (9.0, 2.0), (11.0, 0.3, 1.2), _jitter(rng, rack)),
        Obstacle('rack_right', (9.0, -2.0), (11.0, 0.3, 1.2), _jitter(rng, rack)),
        Obstacle(
            'machine',
            (14.0 + rng.uniform(-0.5, 0.5), 3.2),
            (1.0, 0.8, 1.0),
            _jitter(rng, (0.75, 0.2, 0.15, 1.0)),
        ),
    ]
    movers: list[Mover] = []
    pallet_y = rng.choice([-1.0, 1.0]) * rng.uniform(0.75, 0.95)
    if name in ('aisle', 'forklift'):
        obstacles.append(
            Obstacle(
                'pallet',
                (7.0 + rng.uniform(-0.5, 0.5), float(pallet_y)),
                (0.5, 0.5, 0.6),
                _jitter(rng, (0.65, 0.45, 0.2, 1.0)),
            )
        )
    if name == 'aisle':
        movers.append(
            Mover(
                'person',
                (12.0, -1.4),
                (12.0, 1.4),
                0.6 + rng.uniform(-0.1, 0.1),
                (0.2, 0.2, 0.9),
                (0.2, 0.6, 0.3, 1.0),
            )
        )
    if name == 'blocked':
        obstacles.append(
            Obstacle('wall', (6.0, 0.0), (0.15, 1.8, 1.0), _jitter(rng, (0.6, 0.6, 0.6, 1.0)))
        )
    if name == 'forklift':
        movers.append(
            Mover(
                'forklift', (11.0, -1.4), (11.0, 1.4), 0.8, (0.6, 0.45, 1.0), (0.9, 0.75, 0.1, 1.0)
            )
        )
    # the same mounting positions as config/mobile_base.yaml declares
    along = np.linspace(0.0, 16.0, 8)
    iot = tuple((float(x), side * 1.4, 1.5) for side in (1.0, -1.0) for x in along)
    return Scenario(
        name=name,
        seed=seed,
        obstacles=tuple(obstacles),
        movers=tuple(movers),
        hot_machine=(obstacles[2].centre[0], obstacles[2].centre[1], 1.0),
        start=(0.0, float(rng.uniform(-0.1, 0.1)), float(rng.uniform(-0.05, 0.05))),
        goal_x=16.0,
        light=float(rng.uniform(0.5, 0.9)),
        range_noise=float(rng.uniform(0.005, 0.02)),
        dropout=float(rng.uniform(0.0, 0.02)),
        iot_positions=iot,
    )


SCENARIOS = ('aisle', 'blocked', 'forklift')


def to_mjcf(scenario: Scenario, *, camera_fovy: float = 70.0) -> str:
    """The MJCF of the scenario (a string; MuJoCo compiles it)."""
    boxes = '\n'.join(
        f'<geom name="{o.name}" type="box" pos="{o.centre[0]} {o.centre[1]} {o.half[2]}" '
        f'size="{o.half[0]} {o.half[1]} {o.half[2]}" rgba="{" ".join(map(str, o.rgba))}"/>'
        for o in scenario.obstacles
    )
    movers = '\n'.join(
        f'<body name="{m.name}" mocap="true" pos="{m.start[0]} {m.start[1]} {m.half[2]}">'
        f'<geom name="{m.name}" type="box" size="{m.half[0]} {m.half[1]} {m.half[2]}" '
        f'rgba="{" ".join(map(str, m.rgba))}"/></body>'
        for m in scenario.movers
    )
    x, y, _ = scenario.start  # the yaw is set on the joint at reset
    light = scenario.light
    return f"""
<mujoco model="factory_{scenario.name}">
  <option timestep="0.005"/>
  <visual><headlight ambient="0.3 0.3 0.3" diffuse="{light} {light} {light}"/></visual>
  <asset>
    <texture name="floor" type="2d" builtin="checker" rgb1=".45 .45 .47" rgb2=".5 .5 .52"
             width="64" height="64"/>
    <material name="floor" texture="floor" texrepeat="20 20"/>
  </asset>
  <worldbody>
    <light pos="8 0 6" dir="0 0 -1" diffuse="{light} {light} {light}"/>
    <geom name="floor" type="plane" size="40 40 0.1" material="floor"/>
    {boxes}
    {movers}
    <body name="robot" pos="{x} {y} 0.15">
      <joint name="x" type="slide" axis="1 0 0" damping="20"/>
      <joint name="y" type="slide" axis="0 1 0" damping="20"/>
      <joint name="yaw" type="hinge" axis="0 0 1" damping="5"/>
      <geom name="robot" type="cylinder" size="{ROBOT_RADIUS} 0.12" rgba=".9 .9 .9 1" mass="40"/>
      <site name="lidar" pos="0.2 0 0.45"/>
      <camera name="front" pos="0.3 0 0.75" xyaxes="0 -1 0 0 0 1" fovy="{camera_fovy}"/>
    </body>
  </worldbody>
  <actuator>
    <velocity name="vx" joint="x" kv="2000"/>
    <velocity name="vy" joint="y" kv="2000"/>
    <velocity name="wz" joint="yaw" kv="500"/>
  </actuator>
</mujoco>"""
