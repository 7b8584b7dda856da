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

"""Which returns moved: standing ones stay standing while the robot drives and turns."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from physical_ai_ros.core.messages.pointcloud import array_to_cloud
from physical_ai_ros.core.messages.stamps import make_header
from physical_ai_ros.core.safety.monitor import CollisionMonitor, MonitorAction, MonitorConfig
from physical_ai_ros.core.safety.motion import moved, Scan, ScanHistory
from physical_ai_ros.core.safety.returns import Returns
from physical_ai_ros.core.safety.shapes import Circle
from physical_ai_ros.core.safety.sources import Band, SourceConfig, SourceTracker

S = 1_000_000_000
T0 = 1_700_000_000 * S
BOX = (-3.0, -3.0, 3.0, 3.0)


def rack(y: float) -> np.ndarray:
    """A rack face along x at ``y`` (2 cm spacing), in the base frame."""
    x = np.arange(-1.0, 2.5, 0.02)
    return np.stack([x, np.full_like(x, y)], axis=1)


def scan(stamp: int, points: np.ndarray) -> Scan:
    return Scan(stamp, Returns.of(points, BOX))


def person(x: float, y: float) -> np.ndarray:
    angles = np.linspace(0.0, 2.0 * math.pi, 40, endpoint=False)
    return np.stack([x + 0.2 * np.cos(angles), y + 0.2 * np.sin(angles)], axis=1)


def seen_from(points: np.ndarray, pose: tuple[float, float, float]) -> np.ndarray:
    """World points in the base frame of a robot at ``pose`` (x, y, yaw)."""
    x, y, yaw = pose
    c, s = math.cos(yaw), math.sin(yaw)
    dx, dy = points[:, 0] - x, points[:, 1] - y
    return np.stack([c * dx + s * dy, -s * dx + c * dy], axis=1)


def test_standing_returns_stay_standing_while_the_robot_drives_and_turns() -> None:
    world = np.concatenate([rack(0.9), rack(-1.8)])
    v, w, dt = 0.8, 0.5, 0.2
    turn = w * dt
    after = (v * dt * math.cos(turn / 2), v * dt * math.sin(turn / 2), turn)
    before = scan(T0, seen_from(world, (0.0, 0.0, 0.0)))
    now = scan(T0 + int(dt * S), seen_from(world, after))
    assert not moved(now, before, (v, w), BOX).any()
    # the same robot motion ignored: the racks seem to move
    assert moved(now, before, (0.0, 0.0), BOX).mean() > 0.3


def test_a_walking_person_moved_and_without_an_earlier_scan_everything_did() -> None:
    walking_before, walking_now = person(1.0, -0.8), person(1.0, -0.68)  # 0.6 m/s for 0.2 s
    before = scan(T0, np.concatenate([rack(0.9), walking_before]))
    now = scan(T0 + S // 5, np.concatenate([rack(0.9), walking_now]))
    cells = moved(now, before, (0.0, 0.0), BOX)
    flags = cells[now.returns.cell]  # per return
    assert not flags[: len(rack(0.9))].any()
    assert flags[len(rack(0.9)) :].sum() >= 10  # its leading side
    assert moved(now, None, (0.0, 0.0), BOX).all()
    # the moving cells' returns, as the mover field gets them
    assert now.returns.subset(cells).size == flags.sum()


def test_the_baseline_is_at_least_0_2_s_back_and_never_too_old() -> None:
    history = ScanHistory()
    empty = np.zeros((0, 2))
    for k in range(6):  # 10 Hz
        history.add(scan(T0 + k * S // 10, empty))
    baseline = history.baseline()
    assert baseline is not None and baseline.stamp_ns == T0 + 3 * S // 10
    late = ScanHistory()
    late.add(scan(T0, empty))
    late.add(scan(T0 + S, empty))  # a second of silence between: nothing to compare with
    assert late.baseline() is None


def cloud(types: Any, points: np.ndarray, stamp: int) -> Any:
    data = np.zeros(len(points), dtype=[('x', '<f4'), ('y', '<f4'), ('z', '<f4')])
    data['x'], data['y'], data['z'] = points[:, 0], points[:, 1], 0.5
    return array_to_cloud(data, make_header(stamp, 'lidar', types), types)


def test_a_rack_beside_the_path_does_not_cap_a_person_stepping_in_does(types: Any) -> None:
    body = Circle(0.0, 0.0, 0.32)
    band = Band(min_height=0.1, max_height=2.0, box=BOX, body=body)
    config = MonitorConfig(
        footprint=body, reaction_time_s=0.2, margin_m=0.1, lateral_margin_m=0.03,
        min_points=3, decel=1.5, angular_decel=4.0, accel=0.8, angular_accel=2.0,
        mover_speed=0.8,
    )  # fmt: skip
    far = [(4.0, y) for y in np.linspace(-2, 2, 60)]  # enough returns: not blind
    v = 0.8

    def drive(world: list[np.ndarray]) -> CollisionMonitor:
        tracker = SourceTracker((SourceConfig('lidar', 'cloud', np.eye(4), 0.5, 50),), band)
        monitor = CollisionMonitor(config, tracker)
        for k in range(4):  # 10 Hz while driving at v: the scene seen from each pose
            pose = (v * k / 10, 0.0, 0.0)
            points = np.concatenate([seen_from(np.asarray(p), pose) for p in world])
            points = np.concatenate([points, np.asarray(far)])
            tracker.on_message('lidar', cloud(types, points, T0 + k * S // 10), T0 + k * S // 10)
        monitor_now = T0 + 3 * S // 10
        monitor.check(monitor_now, (v, 0.0), (v, 0.0))
        return monitor

    # a rack 0.35 m beside the footprint, all along: standing, so not a mover
    assert drive([rack(0.32 + 0.35)]).last.action is MonitorAction.FREE
    # the same rack in a first scan, nothing earlier to compare with: it may be anything
    first = SourceTracker((SourceConfig('lidar', 'cloud', np.eye(4), 0.5, 50),), band)
    first.on_message('lidar', cloud(types, np.concatenate([rack(0.67), far]), T0), T0)
    assert CollisionMonitor(config, first).check(T0, (v, 0.0), (v, 0.0)).action is (
        MonitorAction.LIMIT
    )
    # a person at the same distance ahead, walking towards the path: capped
    stepping = [person(1.2, 0.32 + 0.55 - 0.06 * k) for k in range(4)]
    monitor = CollisionMonitor(config, SourceTracker(
        (SourceConfig('lidar', 'cloud', np.eye(4), 0.5, 50),), band))  # fmt: skip
    for k, body_now in enumerate(stepping):
        pose = (v * k / 10, 0.0, 0.0)
        points = np.concatenate([seen_from(body_now, pose), np.asarray(far)])
        monitor.sources.on_message('lidar', cloud(types, points, T0 + k * S // 10),
                                   T0 + k * S // 10)  # fmt: skip
    verdict = monitor.check(T0 + 3 * S // 10, (v, 0.0), (v, 0.0))
    assert verdict.action is MonitorAction.LIMIT and verdict.linear_limit < v
