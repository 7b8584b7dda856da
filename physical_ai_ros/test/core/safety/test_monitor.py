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


"""The collision monitor: shapes, the braking field, sources, zones, resume, and the gate."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from physical_ai_ros.core.messages.pointcloud import array_to_cloud
from physical_ai_ros.core.messages.stamps import make_header
from physical_ai_ros.core.params.schema import check_node, resolve
from physical_ai_ros.core.perception.transforms import extrinsic
from physical_ai_ros.core.safety.gate import StopReason
from physical_ai_ros.core.safety.kinematics import braking_path, stopping_distance
from physical_ai_ros.core.safety.monitor import (
    _footprint_at,
    _mover_distance,
    CollisionMonitor,
    MonitorAction,
    MonitorConfig,
    MOVER_FIELD,
    PROTECTIVE_FIELD,
    Zone,
    ZoneAction,
)
from physical_ai_ros.core.safety.returns import Returns
from physical_ai_ros.core.safety.shapes import Circle, Polygon, polygon_problem
from physical_ai_ros.core.safety.sources import (
    Band,
    cloud_points,
    range_points,
    scan_points,
    SourceConfig,
    SourceProblem,
    SourceTracker,
)
from physical_ai_ros.core.stages import SafetyStage

MS = 1_000_000
T0 = 1_700_000_000_000_000_000
BODY = Circle(0.0, 0.0, 0.32)
BAND = Band(min_height=0.1, max_height=2.0, box=(-5.0, -5.0, 5.0, 5.0), body=BODY)
IDENTITY = np.eye(4)


def monitor_config(**overrides: Any) -> MonitorConfig:
    base: dict[str, Any] = {
        'footprint': BODY, 'reaction_time_s': 0.2, 'margin_m': 0.1, 'lateral_margin_m': 0.03,
        'min_points': 3, 'decel': 1.5, 'angular_decel': 4.0, 'accel': 0.8,
        'angular_accel': 2.0, 'release_time_s': 0.5,
    }  # fmt: skip
    base.update(overrides)
    return MonitorConfig(**base)


def cloud(types: Any, xyz: list[tuple[float, float, float]], stamp: int = T0) -> Any:
    points = np.zeros(len(xyz), dtype=[('x', '<f4'), ('y', '<f4'), ('z', '<f4')])
    if xyz:
        points['x'], points['y'], points['z'] = np.asarray(xyz, dtype=np.float32).T
    return array_to_cloud(points, make_header(stamp, 'lidar', types), types)


def wall(x: float, n: int = 20, z: float = 0.5) -> list[tuple[float, float, float]]:
    """``n`` returns across the robot's path at distance ``x``."""
    return [(x, y, z) for y in np.linspace(-0.25, 0.25, n)]


def background(n: int = 100) -> list[tuple[float, float, float]]:
    """Enough returns far away that a source is not blind."""
    return [(4.0, y, 0.5) for y in np.linspace(-2, 2, n)]


def tracked(types: Any, xyz: list[tuple[float, float, float]], min_returns: int = 50) -> Any:
    tracker = SourceTracker((SourceConfig('lidar', 'cloud', IDENTITY, 0.3, min_returns),), BAND)
    tracker.on_message('lidar', cloud(types, xyz + background()), T0)
    return tracker


# --- shapes and kinematics ------------------------------------------------------------


def test_polygon_signed_distance_is_negative_inside_and_metric() -> None:
    square = Polygon(((0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)))
    points = np.array([[1.0, 1.0], [3.0, 1.0], [1.0, -0.5], [0.5, 1.0]])
    assert np.allclose(square.signed_distance(points), [-1.0, 1.0, 0.5, -0.5])
    assert np.allclose(Circle(1.0, 0.0, 0.5).signed_distance(np.array([[3.0, 0.0]])), [1.5])


@pytest.mark.parametrize(
    ('vertices', 'problem'),
    [
        ([[0, 0], [1, 0]], 'open'),
        ([[0, 0], [1, 1], [1, 0], [0, 1]], 'self-intersecting'),
        ([[0, 0], [1, 0], [2, 0]], 'no area'),
        ([[0, 0], [1, 0], [1, 'x']], '[x, y] points'),
    ],
)
def test_bad_polygons_are_named(vertices: Any, problem: str) -> None:
    assert problem in polygon_problem(vertices)
    assert polygon_problem([[0, 0], [1, 0], [1, 1], [0, 0]]) == ''  # closed by repeating


def test_the_braking_path_ends_at_the_stopping_distance_plus_the_margin() -> None:
    poses, times = braking_path(0.8, 0.0, reaction_time_s=0.2, decel=1.5, angular_decel=4.0,
                                extra_m=0.1)  # fmt: skip
    expected = 0.8 * 0.2 + 0.8**2 / 3.0 + 0.1
    assert poses[-1, 0] == pytest.approx(expected, abs=1e-3)  # sampled every 5 cm
    assert stopping_distance(0.8, 0.2, 1.5) == pytest.approx(expected - 0.1)
    turning, _ = braking_path(0.8, 1.0, reaction_time_s=0.2, decel=1.5, angular_decel=4.0)
    assert turning[-1, 1] > 0.02  # a left turn sweeps to the left
    assert (
        np.all(np.diff(poses[:, 0]) > 0)
        and np.max(np.hypot(*np.diff(poses[:, :2], axis=0).T)) <= 0.051
    )
    # the time at each pose: from now to standing (0.2 s reacting, 0.53 s braking), held over
    # the margin's poses beyond it
    assert times[0] == 0.0 and np.all(np.diff(times) >= 0.0)
    assert times[-1] == pytest.approx(0.2 + 0.8 / 1.5)


# --- the protective field ---------------------------------------------------------------


def test_the_field_grows_with_speed(types: Any) -> None:
    ahead = wall(0.32 + 0.35)  # 0.35 m in front of the footprint
    monitor = CollisionMonitor(monitor_config(), tracked(types, ahead))
    fast = monitor.check(T0, (0.8, 0.0), (0.8, 0.0))
    assert fast.action is MonitorAction.STOP and fast.zone == PROTECTIVE_FIELD
    assert fast.points == 20 and fast.nearest_m == pytest.approx(0.35, abs=1e-3)
    slow = CollisionMonitor(monitor_config(), tracked(types, ahead))
    assert slow.check(T0, (0.1, 0.0), (0.1, 0.0)).action is MonitorAction.FREE
    # backing away from it is free too: the field lies behind
    back = CollisionMonitor(monitor_config(), tracked(types, ahead))
    assert back.check(T0, (-0.2, 0.0), (-0.2, 0.0)).action is MonitorAction.FREE


def test_a_standing_robot_asked_to_move_sees_what_it_would_reach(types: Any) -> None:
    touching = wall(0.32 + 0.05)
    monitor = CollisionMonitor(monitor_config(), tracked(types, touching))
    assert monitor.check(T0, (0.0, 0.0), (0.8, 0.0)).action is MonitorAction.STOP
    standing = CollisionMonitor(monitor_config(), tracked(types, touching))
    assert standing.check(T0, (0.0, 0.0), (0.0, 0.0)).action is MonitorAction.FREE


def test_fewer_than_min_points_do_not_stop(types: Any) -> None:
    two = wall(0.5, n=2)
    monitor = CollisionMonitor(monitor_config(), tracked(types, two))
    assert monitor.check(T0, (0.8, 0.0), (0.8, 0.0)).action is MonitorAction.FREE
    three = CollisionMonitor(monitor_config(), tracked(types, wall(0.5, n=3)))
    assert three.check(T0, (0.8, 0.0), (0.8, 0.0)).action is MonitorAction.STOP


def test_floor_body_nan_and_zero_returns_are_not_obstacles(types: Any) -> None:
    noise = [(0.6, 0.0, 0.02)] * 10 + [(0.1, 0.0, 0.5)] * 10  # floor, the robot's own body
    noise += [(math.nan, 0.0, 0.5)] * 10 + [(0.0, 0.0, 0.0)] * 10
    tracker = tracked(types, noise)
    assert tracker.points().shape[0] == 100  # the background only
    monitor = CollisionMonitor(monitor_config(), tracker)
    assert monitor.check(T0, (0.8, 0.0), (0.8, 0.0)).action is MonitorAction.FREE


def test_a_blind_silent_or_broken_source_is_a_stop(types: Any) -> None:
    sources = (SourceConfig('lidar', 'cloud', IDENTITY, 0.3, 50),)
    tracker = SourceTracker(sources, BAND)
    monitor = CollisionMonitor(monitor_config(), tracker)
    first = monitor.check(T0, (0.0, 0.0), (0.0, 0.0))
    assert first.action is MonitorAction.BLIND and first.note == 'no message yet'
    assert tracker.on_message('lidar', cloud(types, background(10)), T0) is SourceProblem.BLIND
    blind = monitor.check(T0, (0.0, 0.0), (0.0, 0.0))
    assert blind.action is MonitorAction.BLIND and blind.note == 'blind (10 returns < 50)'
    tracker.on_message('lidar', cloud(types, background(), T0 + 10 * MS), T0 + 10 * MS)
    held = monitor.check(T0 + 20 * MS, (0.0, 0.0), (0.0, 0.0))
    assert held.stopping and held.note == 'clearing'  # sighted again: clear from now on
    tracker.on_message('lidar', cloud(types, background(), T0 + 300 * MS), T0 + 300 * MS)
    assert not monitor.check(T0 + 530 * MS, (0.0, 0.0), (0.0, 0.0)).stopping  # 510 ms clear
    silent = monitor.check(T0 + 700 * MS, (0.0, 0.0), (0.0, 0.0))
    assert silent.action is MonitorAction.BLIND and silent.note.startswith(
        'silent (last message 0.40'
    )
    broken = SimpleNamespace(header=make_header(T0 + 800 * MS, 'lidar', types), fields=None)
    assert tracker.on_message('lidar', broken, T0 + 800 * MS) is SourceProblem.MALFORMED
    assert tracker.refused[('lidar', SourceProblem.MALFORMED)] == 1
    # old data delivered late (or a clock far ahead) is refused and keeps the source silent
    late = cloud(types, background(), T0 + 400 * MS)
    assert tracker.on_message('lidar', late, T0 + 900 * MS) is SourceProblem.STALE
    assert tracker.refused[('lidar', SourceProblem.STALE)] == 1
    silent = monitor.check(T0 + 900 * MS, (0.0, 0.0), (0.0, 0.0))
    assert silent.action is MonitorAction.BLIND and silent.note.startswith(
        'silent (last message 0.60'
    )


# --- zones --------------------------------------------------------------------------------


def test_slowdown_limit_and_approach_zones(types: Any) -> None:
    box = Polygon(((0.3, -0.5), (2.0, -0.5), (2.0, 0.5), (0.3, 0.5)))
    zones = (
        Zone('slow', ZoneAction.SLOWDOWN, box, ratio=0.5),
        Zone('cap', ZoneAction.LIMIT, Circle(1.5, 0.0, 0.5), linear_limit=0.3),
        Zone('look', ZoneAction.APPROACH, time_before_collision_s=2.0),
    )
    monitor = CollisionMonitor(monitor_config(zones=zones), tracked(types, wall(1.5)))
    verdict = monitor.check(T0, (0.2, 0.0), (0.8, 0.0))
    # at 0.8 m/s the footprint reaches the wall (1.5 - 0.32 m away) after 1.475 s of 2
    assert verdict.action is MonitorAction.SLOWDOWN and verdict.zone == 'slow'
    assert verdict.scale == pytest.approx(0.5)
    assert verdict.linear_limit == pytest.approx(0.3)
    off = (Zone('slow', ZoneAction.SLOWDOWN, box, ratio=0.5, enabled=False), zones[2])
    monitor.reconfigure(monitor_config(zones=off))
    approach = monitor.check(T0, (0.2, 0.0), (0.8, 0.0))
    assert approach.action is MonitorAction.APPROACH
    assert approach.scale == pytest.approx((1.5 - 0.32) / 0.8 / 2.0, abs=0.04)


def test_a_stop_resumes_when_clear_or_stays_latched(types: Any) -> None:
    for resume in ('clear', 'latched'):
        tracker = tracked(types, wall(0.6))
        monitor = CollisionMonitor(monitor_config(resume=resume), tracker)
        assert monitor.check(T0, (0.8, 0.0), (0.8, 0.0)).action is MonitorAction.STOP
        tracker.on_message('lidar', cloud(types, background(), T0 + 100 * MS), T0 + 100 * MS)
        assert monitor.check(T0 + 100 * MS, (0.0, 0.0), (0.8, 0.0)).stopping
        tracker.on_message('lidar', cloud(types, background(), T0 + 700 * MS), T0 + 700 * MS)
        later = monitor.check(T0 + 700 * MS, (0.0, 0.0), (0.8, 0.0))
        assert later.stopping is (resume == 'latched')
        if resume == 'latched':
            assert later.note == 'latched until reset'
            assert monitor.reset()
            assert not monitor.check(T0 + 710 * MS, (0.0, 0.0), (0.8, 0.0)).stopping
    assert monitor.interventions == {PROTECTIVE_FIELD: 1}


# --- other sources ------------------------------------------------------------------------


def test_scan_and_range_readings_become_base_frame_points() -> None:
    scan = SimpleNamespace(
        ranges=[1.0, math.inf, math.nan, 0.01, 1.0], angle_min=-math.pi / 2,
        angle_increment=math.pi / 4, range_min=0.05, range_max=20.0,
    )  # fmt: skip
    mount = np.eye(4)
    mount[2, 3] = 0.3  # the scanner 0.3 m above the floor
    points, returns = scan_points(scan, mount, BAND)
    assert returns == 3  # two in range and one "nothing in range"; NaN and 0.01 m are not
    assert np.allclose(points, [[0.0, -1.0], [0.0, 1.0]], atol=1e-9)
    sonar = SimpleNamespace(range=0.8, min_range=0.02, max_range=4.0, field_of_view=0.5)
    points, returns = range_points(sonar, mount, BAND)
    assert returns == 1 and points.shape == (5, 2) and np.allclose(points[2], [0.8, 0.0])
    clear = SimpleNamespace(range=math.inf, min_range=0.02, max_range=4.0, field_of_view=0.5)
    assert range_points(clear, mount, BAND)[0].shape == (0, 2)
    near = SimpleNamespace(range=-math.inf, min_range=0.4, max_range=4.0, field_of_view=0.5)
    assert np.allclose(range_points(near, mount, BAND)[0][2], [0.4, 0.0])
    bad = SimpleNamespace(range=math.nan, min_range=0.02, max_range=4.0, field_of_view=0.5)
    assert range_points(bad, mount, BAND)[1] == 0


# --- the gate, through safety_node's stage -------------------------------------------------


def stage(types: Any, **overrides: Any) -> SafetyStage:
    values = resolve('safety_node', {
        'monitor.enabled': True, 'monitor.extrinsics': [0.0] * 6,
        'monitor.footprint_radius': 0.32, **overrides,
    })  # fmt: skip
    return SafetyStage(values, types)


def drive(s: SafetyStage, types: Any, now: int, speed: float) -> None:
    """A running policy asking ``speed``, and a clear lidar."""
    status = types.get('physical_ai_ros_interfaces/msg/PolicyStatus')(
        header=make_header(now, '', types), state=1, model_sha256='', reason_code=0, reason='',
        inference_ms=0.0, deadline_misses=0, action=types.array(np.zeros(0, np.float32)),
        backend='local', fallbacks=0, round_trip_p50_ms=0.0, round_trip_p99_ms=0.0,
        backend_error='',
    )  # fmt: skip
    s.on_status(status, now)
    s.on_range_data('lidar', cloud(types, background(), now), now)
    command = types.get('std_msgs/msg/Float64MultiArray')(
        layout=types.get('std_msgs/msg/MultiArrayLayout')(dim=[], data_offset=0),
        data=types.array(np.array([speed, 0.0])),
    )
    s.on_command(command, now)


def test_an_obstacle_in_the_field_brakes_at_once_at_max_decel(types: Any) -> None:
    s = stage(types)
    now = T0
    for _ in range(100):  # 2 s at 50 Hz: up to 0.8 m/s
        now += 20 * MS
        drive(s, types, now, 0.8)
    assert s.last is not None and s.last.command[0] == pytest.approx(0.8)
    now += 5 * MS
    outputs = s.on_range_data('lidar', cloud(types, wall(0.75) + background(), now), now)
    assert len(outputs) == 1  # sent on at the cloud's arrival, not at the next tick
    last = s.last
    assert last.reason is StopReason.OBSTACLE and last.cause.source == PROTECTIVE_FIELD
    # the outer returns (|y| > 0.2) lie beside the end of the field at 0.8 m/s
    assert last.cause.got == 16 and last.cause.distance_m == pytest.approx(0.43, abs=1e-3)
    assert last.detail == 'protective_field: 16 returns inside, nearest 0.43 m'
    assert last.command[0] == pytest.approx(0.8 - 1.5 * 0.005)  # braking at max_decel
    values = s.diagnostics(now)
    keys = {v.key: v.value for v in values.values}
    assert (
        keys['monitor/action'] == 'stop' and keys['monitor/interventions/protective_field'] == '1'
    )
    field = dict(s.monitor_outputs(now))['monitor/field']
    xs = [p.x for p in field.polygon.points]
    assert max(xs) > 0.32 + stopping_distance(0.79, 0.2, 1.5)


def test_the_monitor_can_be_off_and_an_arm_needs_it_off(types: Any) -> None:
    assert stage(types, **{'monitor.enabled': False}).monitor is None
    assert SafetyStage(resolve('safety_node', {}), types).monitor is None  # on where configured
    arm = resolve('safety_node', {'axes': ['j1'], 'output_type': 'float64_array',
                                  'min_velocity': [-1.0], 'max_velocity': [1.0],
                                  'max_accel': [1.0], 'max_decel': [1.0],
                                  'monitor.enabled': False})  # fmt: skip
    assert check_node('safety_node', arm) == []


@pytest.mark.parametrize(
    ('overrides', 'message'),
    [
        (
            {'monitor.zones': ['{name: a, action: stop, polygon: [[0, 0], [1, 0]]}']},
            'monitor.zones[0].polygon=[[0, 0], [1, 0]]: a closed, simple polygon of [x, y] '
            'points: a polygon needs at least 3 distinct points (it is open)',
        ),
        (
            {'monitor.zones': ['{name: a, action: stop, polygon: [[0,0],[1,1],[1,0],[0,1]]}']},
            'edges 0 and 2 cross (self-intersecting)',
        ),
        (
            {'monitor.zones': ['{name: a, action: brake, circle: [1, 0, 1]}']},
            "monitor.zones[0].action='brake': one of stop, slowdown, limit, approach",
        ),
        (
            {'monitor.zones': ['{name: a, action: slowdown, ratio: 1.5, circle: [1, 0, 1]}']},
            'monitor.zones[0].ratio=1.5: a ratio in (0, 1]',
        ),
        (
            {'monitor.zones': ['{name: a, action: stop, circle: [0, 0, 0.1]}']},
            'a zone reaching outside the footprint',
        ),
        ({'monitor.zones': ['not a mapping']}, "monitor.zones[0]='not a mapping': a YAML mapping"),
        (
            {'max_velocity': [8.0, 1.0]},
            'max_velocity=[8.0, 1.0]: a speed whose protective field fits within monitor.reach '
            '(5 m): at 8 m/s it reaches 23.38 m',
        ),
        ({'monitor.footprint': [0.0, 0.0, 1.0]}, 'monitor.footprint=[0.0, 0.0, 1.0]'),
        ({'monitor.footprint_radius': 0.0}, 'the robot needs an outline'),
        ({'axes': ['j1', 'j2'], 'output_type': 'float64_array'}, "monitor.linear_axis='linear.x'"),
    ],
)
def test_a_bad_monitor_setting_is_one_line_naming_it(
    overrides: dict[str, Any], message: str
) -> None:
    values = resolve('safety_node', {'monitor.enabled': True}) | overrides
    errors = check_node('safety_node', values)
    assert errors, overrides
    text = str(errors[0])
    assert message in text and '\n' not in text, text


# --- the mover field ---------------------------------------------------------------------


def post(x: float, y: float, n: int = 20) -> list[tuple[float, float, float]]:
    """A person-sized cluster of ``n`` returns at ``(x, y)``."""
    angles = np.linspace(0.0, 2.0 * math.pi, n, endpoint=False)
    return [(x + 0.1 * math.cos(a), y + 0.1 * math.sin(a), 0.8) for a in angles]


def test_a_mover_beside_the_path_ahead_caps_the_speed_down_to_a_stand(types: Any) -> None:
    # 0.6 m ahead, its edge 0.25 m beside the footprint's: outside the protective field,
    # but a person there walking at 0.8 m/s reaches the path before a robot at 0.8 stands
    beside = post(0.6, 0.32 + 0.25 + 0.1)
    plain = CollisionMonitor(monitor_config(), tracked(types, beside))
    assert plain.check(T0, (0.8, 0.0), (0.8, 0.0)).action is MonitorAction.FREE
    monitor = CollisionMonitor(monitor_config(mover_speed=0.8), tracked(types, beside))
    capped = monitor.check(T0, (0.8, 0.0), (0.8, 0.0))
    assert capped.action is MonitorAction.LIMIT and capped.zone == MOVER_FIELD
    assert 0.1 <= capped.linear_limit < 0.8 and capped.points >= 3
    # at the cap the field is clear, one step up it is not: the fastest safe speed
    at_cap = CollisionMonitor(monitor_config(mover_speed=0.8), tracked(types, beside))
    cap = (capped.linear_limit, 0.0)
    assert at_cap.check(T0, cap, cap).action is MonitorAction.FREE
    # close beside it: even the slowest tried speed is not clear: the robot stands, and
    # a policy asking for less than the lowest tried speed is not let through either
    close = CollisionMonitor(
        monitor_config(mover_speed=1.5, mover_min_speed=0.15), tracked(types, post(0.5, 0.5))
    )
    stand = close.check(T0, (0.8, 0.0), (0.8, 0.0))
    assert stand.action is MonitorAction.LIMIT and stand.linear_limit == 0.0
    slow = CollisionMonitor(monitor_config(mover_speed=1.5, mover_min_speed=0.15),
                            tracked(types, post(0.5, 0.5)))  # fmt: skip
    assert slow.check(T0, (0.05, 0.0), (0.05, 0.0)).linear_limit == 0.0
    # standing still and asked to stay: nothing to cap
    assert slow.check(T0, (0.0, 0.0), (0.0, 0.0)).action is MonitorAction.FREE


def test_what_stands_beside_or_behind_the_robot_does_not_cap_it(types: Any) -> None:
    # a rack 0.1 m beside the body and a pallet behind: a mover there walks into the
    # robot's flank or back, which driving slower does not prevent
    flank = [(x, 0.32 + 0.1 + 0.05, 0.5) for x in np.linspace(-1.0, -0.1, 20)]
    behind = post(-0.8, 0.0)
    monitor = CollisionMonitor(monitor_config(mover_speed=0.8), tracked(types, flank + behind))
    assert monitor.check(T0, (0.8, 0.0), (0.8, 0.0)).action is MonitorAction.FREE
    # backing up, the same pallet is ahead of the travel: it caps
    back = CollisionMonitor(monitor_config(mover_speed=0.8), tracked(types, post(-0.8, 0.2)))
    reversing = back.check(T0, (-0.2, 0.0), (-0.2, 0.0))
    assert reversing.action is MonitorAction.LIMIT and reversing.linear_limit < 0.2


def test_the_protective_field_still_stops_inside_the_mover_field(types: Any) -> None:
    monitor = CollisionMonitor(monitor_config(mover_speed=0.8), tracked(types, wall(0.6)))
    assert monitor.check(T0, (0.8, 0.0), (0.8, 0.0)).zone == PROTECTIVE_FIELD


# --- cells: exact answers, fewer tests ----------------------------------------------------


@pytest.mark.parametrize('seed', range(5))
def test_cell_grouped_counts_and_nearest_equal_testing_every_return(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # clusters (walls, a pallet) and scatter, some on the shapes' boundaries
    points = np.concatenate([
        rng.normal(0.0, 1.0, (3000, 2)),
        np.stack([np.full(500, 0.6), rng.uniform(-0.5, 0.5, 500)], axis=1),
        rng.uniform(-0.02, 0.02, (400, 2)) + np.array([0.32, 0.0]),  # on the body's edge
    ])  # fmt: skip
    returns = Returns.of(points)
    assert returns.counts.sum() == len(points) and returns.centres.shape[0] < len(points)
    poses, _ = braking_path(0.7, 0.6, reaction_time_s=0.2, decel=1.5, angular_decel=4.0,
                          extra_m=0.1)  # fmt: skip
    square = Polygon(((0.3, -0.4), (1.0, -0.4), (1.0, 0.4), (0.3, 0.4)))
    for distance, threshold in (
        (BODY.signed_distance, 0.03),
        (square.signed_distance, 0.0),
        (_footprint_at(BODY, poses), 0.03),
    ):
        brute = int(np.count_nonzero(distance(points) <= threshold))
        assert returns.count_within(distance, threshold) == brute
        assert returns.min_distance(distance) == pytest.approx(float(distance(points).min()))
    assert np.array_equal(Returns.of(np.zeros((0, 2))).counts, [])
    # the mover field's distance changes faster than 1 per metre: its bound keeps it exact
    path, times = braking_path(0.7, 0.6, reaction_time_s=0.2, decel=1.5, angular_decel=4.0,
                               extra_m=0.1)  # fmt: skip
    distance, lipschitz = _mover_distance(BODY, path, times, 0.8, 0.7)
    assert lipschitz > 2.0
    brute = int(np.count_nonzero(distance(points) <= 0.03))
    assert returns.count_within(distance, 0.03, lipschitz=lipschitz) == brute


def test_returns_outside_a_smaller_box_are_left_out() -> None:
    points = np.array([[0.5, 0.0], [3.0, 0.0], [-0.7, 0.2]])
    returns = Returns.of(points, (-1.0, -1.0, 1.0, 1.0))
    assert returns.size == 2 and np.array_equal(returns.points, points[[0, 2]])
    assert returns.count_within(BODY.signed_distance, 0.5) == 2


def test_a_tilted_sensor_is_transformed_as_a_4x4_would(types: Any) -> None:
    rng = np.random.default_rng(3)
    xyz = rng.uniform(-2.0, 2.0, (2000, 3)).astype(np.float32)
    mount = extrinsic([0.2, -0.1, 0.5, 0.1, -0.3, 0.7])
    points, _ = cloud_points(cloud(types, [tuple(p) for p in xyz]), mount, BAND)
    base = xyz.astype(np.float64) @ mount[:3, :3].T + mount[:3, 3]
    keep = (base[:, 2] >= 0.1) & (base[:, 2] <= 2.0) & (BODY.signed_distance(base[:, :2]) > 0)
    assert np.allclose(np.sort(points, axis=0), np.sort(base[keep, :2], axis=0), atol=1e-5)


def test_a_check_is_reused_only_while_returns_speed_command_and_zones_are_the_same(
    types: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = tracked(types, wall(1.5))
    monitor = CollisionMonitor(monitor_config(), tracker)
    judged: list[int] = []
    real = monitor._judge
    monkeypatch.setattr(monitor, '_judge', lambda *a: judged.append(1) or real(*a))
    for k in range(5):  # gate ticks at a steady speed between two clouds
        assert monitor.check(T0 + k * 20 * MS, (0.5, 0.0), (0.5, 0.0)).action is MonitorAction.FREE
    assert len(judged) == 1
    monitor.check(T0 + 100 * MS, (0.6, 0.0), (0.5, 0.0))  # another speed
    assert len(judged) == 2
    box = Polygon(((1.0, -1.0), (2.0, -1.0), (2.0, 1.0), (1.0, 1.0)))
    monitor.reconfigure(monitor_config(zones=(Zone('wall', ZoneAction.STOP, box),)))
    assert monitor.check(T0 + 120 * MS, (0.6, 0.0), (0.5, 0.0)).zone == 'wall'
    tracker.on_message('lidar', cloud(types, background(), T0 + 140 * MS), T0 + 140 * MS)
    monitor.check(T0 + 140 * MS, (0.6, 0.0), (0.5, 0.0))
    assert len(judged) == 4  # a new config, then a new cloud
