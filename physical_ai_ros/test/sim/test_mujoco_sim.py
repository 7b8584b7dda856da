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

"""MuJoCo scenarios: sensor models with known answers, determinism, a closed-loop stop."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rosbags.rosbag2 import Reader

import physical_ai_ros.sim  # noqa: F401 - chooses the headless GL backend first

mujoco = pytest.importorskip('mujoco', reason='MuJoCo is not installed (pip extra "sim")')

from physical_ai_ros.core.messages.camera import PinholeCamera  # noqa: E402, I100 (after the skip)
from physical_ai_ros.replay.runner import ReplayOptions  # noqa: E402
from physical_ai_ros.sim.episode import run_episode  # noqa: E402
from physical_ai_ros.sim.scene import make_scenario  # noqa: E402
from physical_ai_ros.sim.sensors import CameraSpec, LidarSpec  # noqa: E402
from physical_ai_ros.sim.synthetic import camera_info  # noqa: E402
from physical_ai_ros.sim.world_mujoco import SimWorld  # noqa: E402

PARAMS = Path(__file__).resolve().parents[2] / 'config' / 'mobile_base.yaml'


def renderer_available() -> bool:
    try:
        SimWorld(make_scenario('blocked', 0), camera=CameraSpec(32, 24)).render()
    except Exception:
        return False
    return True


needs_rendering = pytest.mark.skipif(
    not renderer_available(), reason='no offscreen OpenGL (EGL) here'
)


def test_lidar_measures_a_wall_at_its_known_distance() -> None:
    world = SimWorld(make_scenario('blocked', 0), lidar=LidarSpec(channels=16, columns=360))
    scan = world.lidar_scan()
    x0, _, yaw = world.pose()
    wall_face = 6.0 - 0.15  # the wall's centre x minus its half thickness
    lidar_x = x0 + 0.2 * math.cos(yaw)  # the lidar site is 0.2 m ahead of the body
    horizontal = scan.shape[0] // 2  # the channel nearest 0 degrees elevation
    ahead = scan[horizontal, scan.shape[1] // 2]  # azimuth 0: straight ahead
    expected = (wall_face - lidar_x) / math.cos(yaw)  # x of the return, in the lidar frame
    assert ahead['x'] == pytest.approx(expected, abs=0.08)  # range noise is at most 2 cm sigma
    behind = scan[horizontal, 0]  # azimuth 180 degrees: the open hall behind the robot
    assert np.isnan(behind['x']) or behind['x'] < -5.0


@needs_rendering
def test_camera_renders_a_known_point_where_camera_info_projects_it(types: Any) -> None:
    world = SimWorld(make_scenario('aisle', 0), camera=CameraSpec(160, 120))
    pallet = next(o for o in world.scenario.obstacles if o.name == 'pallet')
    f, cx, cy = world.camera_intrinsics()
    info = camera_info(types, SimpleHeader(), world.camera, f, cx, cy)
    model = PinholeCamera.from_camera_info(info)
    position, rotation = world.mount('camera')
    x0, y0, yaw = world.pose()
    # the centre of the pallet's near face, in the base frame, then in the optical frame
    world_point = np.array([pallet.centre[0] - pallet.half[0], pallet.centre[1], pallet.half[2]])
    c, s = math.cos(yaw), math.sin(yaw)
    base = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]]) @ (world_point - [x0, y0, 0.0])
    optical = rotation.T @ (base - position)
    uv, visible = model.project(optical[None, :])
    assert visible[0]
    u, v = np.round(uv[0]).astype(int)
    r, _, b = world.render()[v, u].astype(int)
    assert r > b + 20  # the pallet's brown, not the blue racks or the grey floor


class SimpleHeader:
    frame_id = 'camera_optical'


@needs_rendering
def test_same_seed_same_bag_other_seed_other_bag(tmp_path: Path) -> None:
    options = ReplayOptions(params=PARAMS)

    def record(name: str, seed: int) -> dict[str, list[bytes]]:
        run_episode(
            'aisle', seed, tmp_path / name, seconds=1.5, options=options, stop_at_goal=False
        )
        out: dict[str, list[bytes]] = {}
        with Reader(tmp_path / name) as reader:
            for connection, _, raw in reader.messages():
                out.setdefault(connection.topic, []).append(bytes(raw))
        return out

    first, again, other = record('a', 7), record('b', 7), record('c', 8)
    assert first == again
    assert first['/lidar/points'] != other['/lidar/points']


@needs_rendering
def test_closed_loop_stops_before_a_wall(tmp_path: Path) -> None:
    episode = run_episode(
        'blocked', 0, tmp_path / 'bag', seconds=15.0,
        options=ReplayOptions(params=PARAMS),
    )  # fmt: skip
    assert episode.collisions == 0
    assert episode.min_clearance_m > 0.2
    assert not episode.reached_goal
    with Reader(tmp_path / 'bag') as reader:  # the episode is a bag replay accepts
        assert {'/lidar/points', '/cmd_vel', '/odom'} <= set(reader.topics)


@needs_rendering
def test_replaying_an_episode_reproduces_its_commands_byte_for_byte(tmp_path: Path) -> None:
    from physical_ai_ros.replay.runner import replay

    options = ReplayOptions(params=PARAMS)
    run_episode('aisle', 1, tmp_path / 'episode', seconds=3.0, options=options, stop_at_goal=False)
    replayed = replay(tmp_path / 'episode', tmp_path / 'replay', ReplayOptions(params=PARAMS))

    def commands(bag: Path) -> list[tuple[int, bytes]]:
        with Reader(bag) as reader:
            return [(t, bytes(raw)) for c, t, raw in reader.messages() if c.topic == '/cmd_vel']

    closed_loop = commands(tmp_path / 'episode')
    assert len(closed_loop) > 100
    assert commands(replayed.out_bag) == closed_loop  # the same pipeline, the same bytes


@needs_rendering
def test_an_episode_over_a_modelled_link_is_deterministic(tmp_path: Path) -> None:
    link = tmp_path / 'link.yaml'
    link.write_text('seed: 1\nlatency_ms: {median: 20.0, p99: 200.0}\noutages: [[0.5, 1.0]]\n')
    options = ReplayOptions(params=PARAMS, link=link)

    def run(name: str) -> tuple[str, list[bytes]]:
        episode = run_episode(
            'aisle', 3, tmp_path / name, seconds=1.5, options=options, stop_at_goal=False
        )
        with Reader(tmp_path / name) as reader:
            sent = [bytes(raw) for c, _, raw in reader.messages() if c.topic == '/cmd_vel']
        assert episode.replay is not None
        return episode.replay.link, sent

    (summary, first), (again, second) = run('a'), run('b')
    assert 'over the modelled link' in summary and ' lost ' in summary
    assert (summary, first) == (again, second)


def test_a_collision_is_named_by_what_was_hit(tmp_path: Path) -> None:
    from dataclasses import replace

    from physical_ai_ros.sim.sensors import SensorRates

    def into_the_left_rack(x: float, y: float, yaw: float, t: float) -> tuple[float, float]:
        return 0.5, (0.8 if yaw < 1.2 else 0.0)  # turn towards +y, then drive on

    episode = run_episode(
        'aisle', 2, tmp_path / 'bag', seconds=6.0, options=ReplayOptions(params=PARAMS),
        rates=replace(SensorRates(), camera=0.5), driver=into_the_left_rack, stop_at_goal=False,
    )  # fmt: skip
    assert episode.collisions >= 1 and set(episode.hits) == {'rack_left'}, episode.hits
    assert episode.describe_hits().startswith('rack_left ')
    assert episode.movers == ('person',) and episode.mover_hits == 0
    assert episode.moving_collisions >= 1  # the robot drove into it


def test_a_mover_coming_at_a_standing_robot_is_not_the_robots_doing(tmp_path: Path) -> None:
    from dataclasses import replace

    from physical_ai_ros.sim.sensors import SensorRates

    # the robot stands in the forklift's cross aisle; the forklift drives into its side
    layout = replace(make_scenario('forklift', 0), start=(11.0, 0.0, 0.0))
    episode = run_episode(
        'forklift', 0, tmp_path / 'bag', seconds=5.0, options=ReplayOptions(params=PARAMS),
        rates=replace(SensorRates(), camera=0.5), driver=lambda *_: (0.0, 0.0),
        stop_at_goal=False, layout=layout,
    )  # fmt: skip
    assert episode.mover_hits >= 1, episode.hits
    assert episode.moving_collisions == 0
