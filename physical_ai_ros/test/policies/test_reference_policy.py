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

"""The reference policy in closed loop against a kinematic world (true occupancy)."""

from __future__ import annotations

import numpy as np
import pytest

from physical_ai_ros.core.perception.grid import GridGeometry, SpatialGrid
from physical_ai_ros.core.policy.observation import PolicyInputs
from physical_ai_ros.core.policy.runtime import PolicyModel, PolicyRuntime
from physical_ai_ros.core.safety.gate import SafetyConfig, SafetyGate
from physical_ai_ros.policies.reference import (
    build_reference_policy,
    MAX_SPEED,
    SHIPPED,
    SLOW_DISTANCE,
    STOP_DISTANCE,
    write_reference_policy,
)
from physical_ai_ros.sim.kinematic import run_kinematic_episode
from physical_ai_ros.sim.world import Box, World


@pytest.fixture(scope='module')
def runtime(tmp_path_factory: pytest.TempPathFactory) -> PolicyRuntime:
    path = write_reference_policy(tmp_path_factory.mktemp('model') / 'reference.onnx')
    return PolicyRuntime(PolicyModel.load(path))


def test_the_shipped_model_is_what_the_code_builds() -> None:
    # The package ships the built bytes so that running the policy needs no onnx package;
    # this keeps the file and the code that says what it is from drifting apart.
    assert SHIPPED.read_bytes() == build_reference_policy().SerializeToString()


def gate() -> SafetyGate:
    return SafetyGate(SafetyConfig(
        axes=('linear.x', 'angular.z'), min_velocity=(0.0, -1.0), max_velocity=(0.8, 1.0),
        max_accel=(0.8, 2.0), max_decel=(1.5, 4.0),
    ))  # fmt: skip


def grid() -> SpatialGrid:
    return SpatialGrid(GridGeometry(80, 80, 0.1))


def test_drives_down_a_clear_aisle(runtime: PolicyRuntime) -> None:
    aisle = World([Box((-2, 1.5, 0), (40, 2, 2)), Box((-2, -2, 0), (40, -1.5, 2))])
    result = run_kinematic_episode(aisle, runtime, gate(), grid(), seconds=15)
    assert result['collided'] == 0.0
    assert result['travelled_m'] > 8.0  # near full speed most of the way
    assert abs(result['y']) < 0.5  # stays in the middle of the aisle


def test_slows_and_turns_away_from_a_wall_across_the_aisle(runtime: PolicyRuntime) -> None:
    blocked = World([
        Box((-2, 1.5, 0), (40, 2, 2)), Box((-2, -2, 0), (40, -1.5, 2)),
        Box((5, -2, 0), (5.5, 2, 2)),  # wall across, 5 m ahead
    ])  # fmt: skip
    result = run_kinematic_episode(blocked, runtime, gate(), grid(), seconds=20)
    assert result['collided'] == 0.0
    assert result['min_clearance_m'] > 0.5
    _, x, _, yaw, v, _ = result['trace'].T
    closest = int(x.argmax())
    assert 3.5 < x[closest] < 4.5  # drove up towards the wall
    assert v[closest] < 0.5  # slowed down from 0.8 m/s
    assert abs(yaw[-1]) > 2.5 and x[-1] < x[closest] - 2.0  # then turned back down the aisle


@pytest.mark.parametrize('distance', [0.45, 0.55, 0.95, 1.25, 1.65, 2.5])
def test_speed_falls_to_zero_as_an_obstacle_ahead_comes_close(
    runtime: PolicyRuntime, distance: float
) -> None:
    g = grid()
    g.layer('occupancy')[:] = 0.0
    xs, ys = g.geometry.cell_centres()
    col = int(np.argmin(np.abs(xs - distance)))
    # designed law: full speed beyond SLOW_DISTANCE, zero within STOP_DISTANCE, linear between
    closeness = (xs[col] - STOP_DISTANCE) / (SLOW_DISTANCE - STOP_DISTANCE)
    speed = MAX_SPEED * float(np.clip(closeness, 0.0, 1.0))
    g.layer('occupancy')[(np.abs(ys) < 0.3), col] = 1.0  # a person-sized obstacle ahead
    action = runtime.step(PolicyInputs(grid=g)).action
    assert action is not None
    assert action[0] == pytest.approx(speed, abs=0.02)
    assert action[1] >= 0.0  # blocked head-on it turns left, never towards the obstacle


def test_avoids_a_pallet_beside_its_path(runtime: PolicyRuntime) -> None:
    hall = World([Box((4, -1.0, 0), (5, -0.1, 1.2))])  # pallet ahead, to the right
    result = run_kinematic_episode(hall, runtime, gate(), grid(), seconds=15)
    assert result['collided'] == 0.0
    assert result['min_clearance_m'] > 0.3
    assert result['travelled_m'] > 8.0  # turned away and kept going
