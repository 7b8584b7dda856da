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

"""SafetyGate: limits, ramps, timeouts, faults, the e-stop latch, and a property over outputs."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st
import numpy as np
import pytest

from physical_ai_ros.core.safety.gate import SafetyConfig, SafetyGate, StopCause, StopReason

MS = 1_000_000
PERIOD = 20 * MS  # 50 Hz output


def config(**overrides: object) -> SafetyConfig:
    base: dict[str, object] = {
        'axes': ('linear.x', 'angular.z'),
        'min_velocity': (-0.2, -1.0),
        'max_velocity': (1.0, 1.0),
        'max_accel': (0.5, 2.0),
        'max_decel': (1.0, 4.0),
        'command_timeout_s': 0.3,
    }
    base.update(overrides)
    return SafetyConfig(**base)  # type: ignore[arg-type]


def run(
    gate: SafetyGate, start: int, steps: int, command: list[float] | None = None
) -> list[np.ndarray]:
    out = []
    for k in range(steps):
        now = start + k * PERIOD
        if command is not None:
            gate.submit(command, now)
        out.append(gate.update(now).command)
    return out


def test_no_command_means_stop() -> None:
    result = SafetyGate(config()).update(0)
    assert result.reason is StopReason.NOT_STARTED
    np.testing.assert_array_equal(result.command, [0.0, 0.0])


def test_velocity_limits_clamp_each_axis() -> None:
    gate = SafetyGate(config(max_accel=(100.0, 100.0), max_decel=(100.0, 100.0)))
    outputs = run(gate, 0, 10, [5.0, -7.0])
    np.testing.assert_allclose(outputs[-1], [1.0, -1.0])
    outputs = run(gate, 10 * PERIOD, 30, [-5.0, 0.0])
    np.testing.assert_allclose(outputs[-1], [-0.2, 0.0])  # reverse is slower


def test_step_input_respects_acceleration_limit_every_period() -> None:
    gate = SafetyGate(config())
    outputs = np.array(run(gate, 0, 150, [1.0, 1.0]))
    dv = np.diff(outputs, axis=0) / (PERIOD / 1e9)
    assert dv[:, 0].max() <= 0.5 + 1e-9 and dv[:, 1].max() <= 2.0 + 1e-9
    np.testing.assert_allclose(outputs[-1], [1.0, 1.0])  # and it gets there
    assert outputs[50, 0] == pytest.approx(0.5 * 50 * 0.02)  # still ramping at 0.5 m/s²


def test_jerk_limit_bounds_change_of_acceleration() -> None:
    gate = SafetyGate(config(max_jerk=(2.0, 20.0)))
    speed = np.array(run(gate, 0, 160, [1.0, 0.0]))[:, 0]
    accel = np.diff(speed) / 0.02
    jerk = np.diff(accel) / 0.02
    arrival = int(np.argmax(speed >= 1.0 - 1e-9))
    assert speed[-1] == pytest.approx(1.0)
    assert accel.max() <= 0.5 + 1e-9
    # the ramp in and the ramp out both hold the jerk limit; only the last step of the
    # approach, where a discrete controller lands on the target, may exceed it
    within = np.abs(jerk) <= 2.0 + 1e-6
    assert within[: arrival - 2].all() and within[arrival:].all()
    assert np.abs(jerk).max() < 10.0


def test_command_timeout_decelerates_to_zero_at_decel_limit() -> None:
    gate = SafetyGate(config())
    run(gate, 0, 150, [1.0, 0.0])  # at speed
    results = [gate.update(150 * PERIOD + k * PERIOD) for k in range(80)]
    stopped = [r for r in results if r.reason is StopReason.COMMAND_TIMEOUT]
    assert stopped, 'no timeout was reported'
    speeds = np.array([r.command[0] for r in results])
    assert np.diff(speeds).min() >= -1.0 * 0.02 - 1e-9  # never faster than max_decel
    assert speeds[-1] == 0.0
    assert 'ms old' in stopped[0].detail


def test_immediate_stop_mode_zeroes_at_once() -> None:
    gate = SafetyGate(config(stop_mode='immediate'))
    run(gate, 0, 100, [1.0, 0.0])
    result = gate.update(100 * PERIOD + 400 * MS)
    assert result.reason is StopReason.COMMAND_TIMEOUT
    np.testing.assert_array_equal(result.command, [0.0, 0.0])


@pytest.mark.parametrize(
    ('command', 'reason', 'detail'),
    [
        ([np.nan, 0.1], StopReason.NON_FINITE, 'linear.x'),
        ([0.1, np.inf], StopReason.NON_FINITE, 'angular.z'),
        ([0.1], StopReason.WRONG_LENGTH, 'got 1 values'),
        ([0.1, 0.2, 0.3], StopReason.WRONG_LENGTH, 'got 3 values'),
    ],
)
def test_bad_commands_stop_within_one_period(
    command: list[float], reason: StopReason, detail: str
) -> None:
    gate = SafetyGate(config(stop_mode='immediate'))
    run(gate, 0, 100, [0.5, 0.0])
    gate.submit(command, 100 * PERIOD)
    result = gate.update(100 * PERIOD)
    assert result.reason is reason and detail in result.detail
    assert result.cause.got is not None  # the offending values or length, as data
    np.testing.assert_array_equal(result.command, [0.0, 0.0])
    gate.submit([0.5, 0.0], 101 * PERIOD)  # a valid command clears the fault
    assert gate.update(101 * PERIOD).reason is StopReason.NONE


def test_policy_fault_and_deadline_miss_stop_until_next_command() -> None:
    gate = SafetyGate(config())
    run(gate, 0, 10, [0.5, 0.0])
    gate.report_fault(StopReason.DEADLINE_MISS, StopCause(note='inference took 80 ms > 50 ms'))
    result = gate.update(10 * PERIOD)
    assert result.reason is StopReason.DEADLINE_MISS and '80 ms' in result.detail
    gate.submit([0.5, 0.0], 11 * PERIOD)
    assert gate.update(11 * PERIOD).reason is StopReason.NONE
    assert gate.stop_counts[StopReason.DEADLINE_MISS] == 1


def test_stale_inputs_stop_and_fresh_inputs_resume() -> None:
    gate = SafetyGate(config())
    gate.set_stale(StopCause(source='lidar', note='silent for 0.8 s'))
    gate.submit([0.5, 0.0], 0)
    result = gate.update(0)
    assert result.reason is StopReason.STALE_INPUT and result.cause.source == 'lidar'
    assert result.detail == 'lidar: silent for 0.8 s'
    gate.set_stale(None)
    gate.submit([0.5, 0.0], PERIOD)
    assert gate.update(PERIOD).reason is StopReason.NONE


def test_estop_latches_until_released_and_reset() -> None:
    gate = SafetyGate(config())
    run(gate, 0, 100, [1.0, 0.5])
    gate.set_estop(True)
    result = gate.update(100 * PERIOD)
    assert result.reason is StopReason.ESTOP
    np.testing.assert_array_equal(result.command, [0.0, 0.0])  # immediate, no ramp
    assert gate.reset() == (False, 'e-stop input is still engaged; release it first')
    gate.set_estop(False)
    gate.submit([1.0, 0.5], 101 * PERIOD)
    assert gate.update(101 * PERIOD).reason is StopReason.ESTOP  # release alone: still latched
    ok, message = gate.reset()
    assert ok and message == 'e-stop latch cleared'
    assert gate.update(102 * PERIOD).reason is StopReason.NOT_STARTED  # old command discarded
    gate.submit([1.0, 0.5], 103 * PERIOD)
    assert gate.update(103 * PERIOD).reason is StopReason.NONE


def test_clock_jump_backwards_stops() -> None:
    gate = SafetyGate(config())
    run(gate, 10 * PERIOD, 10, [0.5, 0.0])
    result = gate.update(0)
    assert result.reason is StopReason.CLOCK_JUMP
    np.testing.assert_array_equal(result.command, [0.0, 0.0])


@pytest.mark.parametrize(
    ('overrides', 'match'),
    [
        ({'max_velocity': (1.0,)}, 'max_velocity has 1 values for 2 axes'),
        ({'min_velocity': (0.1, -1.0)}, 'must allow zero'),
        ({'max_accel': (0.0, 1.0)}, 'must be > 0'),
        ({'max_decel': (np.nan, 1.0)}, 'must be finite'),
        ({'max_jerk': (1.0,)}, 'max_jerk has 1 values'),
    ],
)
def test_bad_configs_are_refused(overrides: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        config(**overrides)


_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e30, -1e30, 1e-30, 0.0]),
)


@settings(max_examples=300, deadline=None)
@given(
    commands=st.lists(st.lists(_values, min_size=0, max_size=4), min_size=1, max_size=30),
    gaps=st.lists(st.integers(0, 400 * MS), min_size=30, max_size=30),
    estop=st.lists(st.booleans(), min_size=30, max_size=30),
)
def test_property_output_is_always_finite_and_within_limits(
    commands: list[list[float]], gaps: list[int], estop: list[bool]
) -> None:
    cfg = config(max_jerk=(3.0, 30.0))
    gate = SafetyGate(cfg)
    now = 0
    previous = np.zeros(2)
    for k, command in enumerate(commands):
        now += gaps[k]
        gate.set_estop(estop[k] and k % 7 == 0)
        gate.submit(command, now)
        result = gate.update(now)
        out = result.command
        assert np.isfinite(out).all()
        assert (out >= np.array(cfg.min_velocity)).all() and (
            out <= np.array(cfg.max_velocity)
        ).all()
        if not result.stopping or result.reason is not StopReason.ESTOP:
            dt = gaps[k] / 1e9
            # speeding up never beats max_accel (decelerating is bounded by max_decel)
            assert (np.abs(out) - np.abs(previous) <= np.array(cfg.max_accel) * dt + 1e-9).all()
        previous = out


def test_reversing_decelerates_to_zero_before_accelerating_the_other_way() -> None:
    gate = SafetyGate(
        config(min_velocity=(-1.0, -1.0), max_accel=(0.5, 2.0), max_decel=(2.0, 4.0))
    )
    run(gate, 0, 150, [1.0, 0.0])
    speeds = np.array(run(gate, 150 * PERIOD, 200, [-1.0, 0.0]))[:, 0]
    steps = np.diff(np.concatenate([[1.0], speeds]))
    slowing = speeds > 0
    assert np.all(steps[slowing] >= -2.0 * 0.02 - 1e-9)  # max_decel while still going forward
    reverse = np.flatnonzero(speeds < 0)
    assert np.all(np.abs(steps[reverse]) <= 0.5 * 0.02 + 1e-9)  # max_accel once reversing
    assert speeds[-1] == pytest.approx(-1.0)


def test_a_lowered_speed_limit_is_the_target_at_once_reached_at_max_decel() -> None:
    gate = SafetyGate(config())
    speeds = run(gate, 0, 150, [0.9, 0.0])
    assert speeds[-1][0] == pytest.approx(0.9)
    gate.reconfigure(config(max_velocity=(0.3, 1.0)))
    after = np.array(run(gate, 150 * PERIOD, 60, [0.9, 0.0]))[:, 0]
    # the very next output is already on its way down, at max_decel (1 m/s² x 20 ms) ...
    assert after[0] == pytest.approx(0.9 - 1.0 * 0.02)
    assert np.diff(after).min() >= -1.0 * 0.02 - 1e-9  # ... never faster than max_decel
    assert np.all(np.diff(after) <= 1e-12)  # never back up
    assert after[-1] == pytest.approx(0.3)  # and it settles on the new limit
    # raising it again takes effect too, at max_accel
    gate.reconfigure(config(max_velocity=(1.0, 1.0)))
    up = np.array(run(gate, 210 * PERIOD, 10, [0.9, 0.0]))[:, 0]
    assert up[0] == pytest.approx(0.3 + 0.5 * 0.02)


def test_reconfigure_keeps_the_latch_and_refuses_other_axes() -> None:
    gate = SafetyGate(config())
    gate.set_estop(True)
    gate.reconfigure(config(max_decel=(2.0, 4.0)))
    assert gate.estop_latched and gate.update(0).reason is StopReason.ESTOP
    with pytest.raises(ValueError, match='axes are fixed'):
        gate.reconfigure(config(axes=('linear.x', 'linear.y')))


def test_a_gate_without_axes_is_refused() -> None:
    empty = {'axes': (), 'min_velocity': (), 'max_velocity': (), 'max_accel': (), 'max_decel': ()}
    with pytest.raises(ValueError, match='at least one axis'):
        config(**empty)


#: updates of the seeded soak below; PHYSICAL_AI_GATE_SOAK=1000000 for the long run
SOAK_UPDATES = int(os.environ.get('PHYSICAL_AI_GATE_SOAK', '100000'))
_TINY = np.array([5e-324, 1e-320, 1e-310, 1e-300, 1e-30, 1e-12])


def test_seeded_updates_with_tiny_speeds_and_resets_never_cross_zero_while_stopping() -> None:
    """Random commands (tiny, huge, NaN), gaps, resets, e-stops and stale inputs, seeded.

    While the gate stops (ramped) no axis crosses zero or speeds up; every output is finite
    and within limits.
    """
    rng = np.random.default_rng(2026)
    cfg = config(min_velocity=(-1.0, -1.0), max_jerk=(3.0, 30.0))
    gate = SafetyGate(cfg)
    lo, hi = np.array(cfg.min_velocity), np.array(cfg.max_velocity)
    now, previous, violations = 0, np.zeros(2), []
    for k in range(SOAK_UPDATES):
        now += int(rng.integers(0, 60)) * MS
        roll = rng.random()
        if roll < 0.55:
            gate.submit(rng.uniform(-1.2, 1.2, 2), now)
        elif roll < 0.75:
            gate.submit(rng.choice(_TINY, 2) * rng.choice([-1.0, 1.0], 2), now)
        elif roll < 0.78:
            gate.submit([float('nan'), 1e30], now)
        elif roll < 0.85:
            gate.reset()
        elif roll < 0.87:
            gate.set_estop(bool(rng.random() < 0.5))
        elif roll < 0.90:
            gate.set_stale(StopCause(note='soak') if rng.random() < 0.5 else None)
        result = gate.update(now)
        out = result.command
        bad = not np.isfinite(out).all() or (out < lo).any() or (out > hi).any()
        if result.stopping and result.reason is not StopReason.CLOCK_JUMP:
            bad |= bool((np.sign(out) * np.sign(previous) < 0).any())  # through zero
            bad |= bool((np.abs(out) > np.abs(previous)).any())  # faster while stopping
        if bad:
            violations.append((k, result.reason.name, previous.tolist(), out.tolist()))
        previous = out
    assert violations == [], violations[:3]
