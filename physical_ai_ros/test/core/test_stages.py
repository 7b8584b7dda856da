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

"""The stages as the nodes run them: message in, message out, diagnostics."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from physical_ai_ros.core.params.schema import resolve
from physical_ai_ros.core.perception.grid import GridGeometry, SpatialGrid
from physical_ai_ros.core.policy.runtime import PolicyModel
from physical_ai_ros.core.safety.control import (
    REASON_DEADLINE_MISS,
    REASON_NONE,
    REASON_STALE_INPUT,
    REASON_STEP_FAILED,
    STATE_DEGRADED,
    STATE_ERROR,
    STATE_RUNNING,
)
from physical_ai_ros.core.safety.gate import StopReason
from physical_ai_ros.core.stages import PolicyStage, SafetyStage
from physical_ai_ros.policies.reference import write_reference_policy

MS = 1_000_000


def status(
    state: int, code: int = REASON_NONE, reason: str = '', stamp_ns: int = 0
) -> SimpleNamespace:
    stamp = SimpleNamespace(sec=stamp_ns // 10**9, nanosec=stamp_ns % 10**9)
    return SimpleNamespace(
        state=state, reason_code=code, reason=reason, header=SimpleNamespace(stamp=stamp)
    )


def command(*values: float) -> SimpleNamespace:
    return SimpleNamespace(data=list(values))


def test_safety_stage_follows_policy_status_and_commands(types: Any) -> None:
    stage = SafetyStage(resolve('safety_node', {'stop_mode': 'immediate'}), types)
    assert stage.gate.update(0).reason is StopReason.NOT_STARTED
    stage.on_command(command(0.5, 0.1), 0)
    stage.on_status(status(STATE_RUNNING), 0)
    ((topic, msg),) = stage.tick(20 * MS)
    assert topic == 'cmd_vel' and msg.twist.linear.x > 0.0 and stage.last.reason is StopReason.NONE
    stage.on_status(status(STATE_ERROR, REASON_STEP_FAILED, 'inference failed: shape'), 40 * MS)
    stage.tick(40 * MS)
    assert stage.last.reason is StopReason.POLICY_ERROR and 'shape' in stage.last.detail
    stage.on_command(command(0.5, 0.1), 60 * MS)
    stage.on_status(
        status(STATE_DEGRADED, REASON_DEADLINE_MISS, 'deadline miss (80.0 ms)'), 60 * MS
    )
    stage.tick(60 * MS)
    assert stage.last.reason is StopReason.DEADLINE_MISS
    stage.on_command(command(0.5, 0.1), 80 * MS)
    stage.on_status(status(STATE_DEGRADED, REASON_STALE_INPUT, 'grid 0.70 s old'), 80 * MS)
    stage.tick(80 * MS)
    assert stage.last.reason is StopReason.STALE_INPUT and 'grid 0.70 s old' in stage.last.detail
    stage.on_status(status(STATE_RUNNING), 100 * MS)
    stage.on_command(command(0.5, 0.1), 100 * MS)
    stage.tick(100 * MS)
    assert stage.last.reason is StopReason.NONE
    stage.tick(1200 * MS)  # the policy went silent for longer than input_timeout_s (1 s)
    assert stage.last.reason is StopReason.STALE_INPUT and 'timed out' in stage.last.detail
    np.testing.assert_array_equal(stage.last.command, [0.0, 0.0])
    stage.on_estop(True)
    stage.tick(1300 * MS)
    assert stage.last.reason is StopReason.ESTOP
    diagnostics = stage.diagnostics(0)
    assert diagnostics.level == 2 and 'e-stop' in diagnostics.message


def test_safety_stage_acts_on_the_reason_code_not_the_words(types: Any) -> None:
    stage = SafetyStage(resolve('safety_node', {'stop_mode': 'immediate'}), types)
    stage.on_command(command(0.5, 0.1), 0)
    # words that look like a deadline miss, a code that says stale input: the code wins
    stage.on_status(status(STATE_DEGRADED, REASON_STALE_INPUT, 'deadline miss (grid)'), 0)
    stage.tick(0)
    assert stage.last.reason is StopReason.STALE_INPUT
    assert stage.last.detail == 'policy: deadline miss (grid)'
    stage.on_command(command(0.5, 0.1), 20 * MS)
    stage.on_status(status(STATE_DEGRADED, REASON_DEADLINE_MISS, 'late'), 20 * MS)
    stage.tick(20 * MS)
    assert stage.last.reason is StopReason.DEADLINE_MISS and stage.last.detail == 'late'


def test_policy_stage_sends_no_late_or_failed_command(types: Any, tmp_path: Path) -> None:
    model = PolicyModel.load(write_reference_policy(tmp_path / 'ref.onnx'))
    ticks = iter([0, 80 * MS, 100 * MS, 110 * MS])
    stage = PolicyStage(
        resolve('policy_node', {'deadline_ms': 50.0}), types, model, stopwatch=lambda: next(ticks)
    )
    grid = SpatialGrid(GridGeometry(80, 80, 0.1))
    grid.layer('occupancy')[:] = 0.0
    step, outputs = stage.step(0, grid, None, None)
    assert step is not None and step.deadline_missed
    assert [t for t, _ in outputs] == ['policy/status']  # no command: it is late
    assert outputs[0][1].state == STATE_DEGRADED and 'deadline miss' in outputs[0][1].reason
    assert outputs[0][1].reason_code == REASON_DEADLINE_MISS
    grid.stamp_ns = 7 * MS
    step, outputs = stage.step(10 * MS, grid, None, None)
    # the status first (the gate learns the policy runs), then the command
    assert [t for t, _ in outputs] == ['policy/status', 'policy/command']
    np.testing.assert_allclose(outputs[1][1].data, [0.8, 0.0], atol=1e-6)
    status_stamp = outputs[0][1].header.stamp
    assert (status_stamp.sec, status_stamp.nanosec) == (0, 7 * MS)  # the observation's stamp
    _, outputs = stage.step(int(0.607e9), grid, None, None)  # grid older than grid_timeout_s
    assert outputs[0][1].state == STATE_DEGRADED and 'grid 0.60 s old' in outputs[0][1].reason
    assert outputs[0][1].reason_code == REASON_STALE_INPUT


def test_stage_parameters_are_validated(types: Any) -> None:
    from physical_ai_ros.core.params.spec import ParamError

    with pytest.raises(ParamError, match='max_velocity'):
        SafetyStage(resolve('safety_node', {'max_velocity': [1.0]}), types)


def test_the_gate_sends_a_new_command_on_at_once_and_measures_its_latency(types: Any) -> None:
    stage = SafetyStage(resolve('safety_node', {}), types)
    stage.tick(111 * MS)  # the gate runs (stopped: no policy yet)
    stage.on_status(status(STATE_RUNNING, stamp_ns=100 * MS), 130 * MS)
    outputs = stage.on_command(command(0.5, 0.0), 131 * MS)  # no waiting for the tick
    ((topic, msg),) = outputs
    assert topic == 'cmd_vel' and msg.twist.linear.x > 0.0
    assert (msg.header.stamp.sec, msg.header.stamp.nanosec) == (0, 131 * MS)
    assert list(stage.latency_ms) == [pytest.approx(31.0)]  # observation stamp -> output
    stage.tick(151 * MS)  # a periodic tick carries no new command: nothing measured
    assert len(stage.latency_ms) == 1
    values = {kv.key: kv.value for kv in stage.diagnostics(0).values}
    assert values['latency_ms/p99'] == '31.000'


def test_a_lowered_max_velocity_applies_from_the_next_tick(types: Any) -> None:
    values = resolve('safety_node', {})
    stage = SafetyStage(values, types)
    for k in range(100):  # reach 0.8 m/s
        stage.on_status(status(STATE_RUNNING, stamp_ns=k * 20 * MS), k * 20 * MS)
        stage.on_command(command(0.8, 0.0), k * 20 * MS)
    assert stage.last.command[0] == pytest.approx(0.8)
    stage.reconfigure({**values, 'max_velocity': [0.3, 1.0]})
    stage.on_status(status(STATE_RUNNING, stamp_ns=2000 * MS), 2000 * MS)
    ((_, msg),) = stage.on_command(command(0.8, 0.0), 2000 * MS)
    decel = values['max_decel'][0]
    assert msg.twist.linear.x == pytest.approx(0.8 - decel * 0.02)  # one period: going down
    with pytest.raises(ValueError, match='axes'):
        stage.reconfigure({**values, 'axes': ['linear.x', 'linear.y']})


def test_the_policy_steps_on_a_new_grid_and_its_timer_only_watches(
    types: Any, tmp_path: Path
) -> None:
    model = PolicyModel.load(write_reference_policy(tmp_path / 'ref.onnx'))
    stage = PolicyStage(resolve('policy_node', {'control_rate_hz': 10.0}), types, model)
    assert stage.grid_due(0) and stage.watchdog_due(0)  # nothing stepped yet
    grid = SpatialGrid(GridGeometry(40, 40, 0.1))
    grid.layer('occupancy')[:] = 0.0
    stage.step(0, grid, None, None, new_grid=True)
    assert not stage.grid_due(40 * MS)  # at most one step per half control period
    assert stage.grid_due(50 * MS)
    assert not stage.watchdog_due(149 * MS) and stage.watchdog_due(150 * MS)
    stage.step(155 * MS, grid, None, None)  # a watchdog step ...
    assert stage.grid_due(156 * MS)  # ... does not hold back the next grid


def test_the_policy_warning_clears_when_it_steps_again(types: Any, tmp_path: Path) -> None:
    model = PolicyModel.load(write_reference_policy(tmp_path / 'ref.onnx'))
    stage = PolicyStage(resolve('policy_node', {}), types, model)
    stage.step(0, None, None, None)
    assert stage.diagnostics(0).message == 'no grid yet'
    grid = SpatialGrid(GridGeometry(40, 40, 0.1))
    grid.layer('occupancy')[:] = 0.0
    stage.step(0, grid, None, None)
    assert stage.diagnostics(0).message == 'ok'


def test_perception_diagnostics_report_a_silent_lidar_without_a_new_update(types: Any) -> None:
    from physical_ai_ros.core.stages import PerceptionStage

    stage = PerceptionStage(resolve('perception_node', {}), types)
    assert 'lidar' in stage.diagnostics(0).message  # never received
    stage.perception.monitor.accept('lidar', 10**9)
    silent = stage.diagnostics(10**9 + 2000 * MS)  # no cloud for 2 s: no update ran either
    assert silent.level == 2 and 'lidar' in silent.message


@pytest.mark.parametrize('phase_ms', [1, 5, 11, 19])
def test_a_command_takes_the_next_ticks_place_so_the_rate_holds(types: Any, phase_ms: int) -> None:
    stage = SafetyStage(resolve('safety_node', {'rate_hz': 50.0}), types)
    stage.tick(0)
    stage.on_status(status(STATE_RUNNING, stamp_ns=0), 12 * MS)
    assert stage.on_command(command(0.5, 0.0), 12 * MS)  # sent at once, between two ticks
    assert stage.next_tick_ns == (12 + 22) * MS  # the slot at 20 is taken: at most 1.1 periods
    # two seconds of 10 Hz commands, starting at any phase against the ticks
    outputs, gaps, last = 0, [], 12 * MS
    now, next_command = 13 * MS, (100 + phase_ms) * MS
    while now < 2012 * MS:
        sent = 0
        if next_command <= now:
            sent = len(stage.on_command(command(0.5, 0.0), now))  # never waits
            next_command += 100 * MS
        elif stage.next_tick_ns is not None and stage.next_tick_ns <= now:
            sent = len(stage.tick(now))
        if sent:
            outputs, gaps, last = outputs + sent, [*gaps, now - last], now
        now += MS
    assert max(gaps) <= 22 * MS  # no gap over 1.1 periods
    assert min(gaps) >= 1 * MS
    assert 99 <= outputs <= 101, outputs  # 50 Hz, to one output in 100


def test_a_grid_stamped_in_the_future_is_not_fresh(types: Any, tmp_path: Path) -> None:
    model = PolicyModel.load(write_reference_policy(tmp_path / 'ref.onnx'))
    stage = PolicyStage(resolve('policy_node', {}), types, model)
    grid = SpatialGrid(GridGeometry(40, 40, 0.1))
    grid.layer('occupancy')[:] = 0.0
    grid.stamp_ns = 3600 * 10**9  # an hour ahead of the policy's clock
    step, outputs = stage.step(0, grid, None, None)
    assert step is None and [t for t, _ in outputs] == ['policy/status']
    assert outputs[0][1].reason_code == REASON_STALE_INPUT


def test_the_gate_keeps_its_rate_after_the_clock_jumps_back(types: Any) -> None:
    stage = SafetyStage(resolve('safety_node', {'rate_hz': 50.0}), types)
    now = 100 * 10**9
    for _ in range(50):
        stage.tick(now)
        assert stage.next_tick_ns is not None
        now = stage.next_tick_ns
    now = 5 * 10**9  # sim time restarted
    ticks = []
    for _ in range(50):
        stage.tick(now)
        ticks.append(now)
        assert stage.next_tick_ns is not None
        now = stage.next_tick_ns
    gaps = np.diff(ticks)
    # the jump left at most two periods of credit, paid back a tenth of a period per tick
    assert np.all((gaps >= 20 * MS) & (gaps <= 22 * MS))
    assert np.all(gaps[15:] == 20 * MS)  # back on the rate within a third of a second


def test_a_grid_never_stamped_is_not_given_an_age(types: Any, tmp_path: Path) -> None:
    # a lidar blind since start: the grid keeps stamp 0; its "age" was the wall clock's epoch
    model = PolicyModel.load(write_reference_policy(tmp_path / 'ref.onnx'))
    stage = PolicyStage(resolve('policy_node', {}), types, model)
    grid = SpatialGrid(GridGeometry(80, 80, 0.1))
    assert grid.stamp_ns == 0
    _, outputs = stage.step(1_796_662_446_690_000_000, grid, None, None)
    status = outputs[0][1]
    assert status.reason_code == REASON_STALE_INPUT
    assert status.reason == 'grid has no stamp (no sensor data fused yet)'
