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

"""The safety gate: the last word before the actuators.

Whatever the policy outputs, the gate's output is finite and within the configured velocity,
acceleration and (optionally) jerk limits. It stops on a latched e-stop (cleared only by an
explicit reset), a command timeout, stale inputs, a policy error, a deadline miss, a
non-finite or wrongly sized command, a clock that jumps backwards, and what the collision
monitor (:mod:`.monitor`) says: a stop for an obstacle in a protective zone or for a silent or
blind safety sensor, or a slowdown or speed cap applied to the policy's command before the
ramps. Every stop carries a
:class:`StopReason` and a :class:`StopCause` (its fields), rendered to text for /diagnostics
only by :func:`describe`. The gate never reads a clock: every call takes ``now_ns``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
import enum
from typing import Any, Literal

import numpy as np

from physical_ai_ros.core.messages.stamps import NS_PER_S


class StopReason(enum.Enum):
    """Why the gate is holding the robot (``NONE``: it is not)."""

    NONE = 'none'
    NOT_STARTED = 'no command received yet'
    ESTOP = 'e-stop latched'
    COMMAND_TIMEOUT = 'command timeout'
    STALE_INPUT = 'stale input'
    POLICY_ERROR = 'policy error'
    DEADLINE_MISS = 'policy deadline miss'
    NON_FINITE = 'non-finite command'
    WRONG_LENGTH = 'command of wrong length'
    CLOCK_JUMP = 'clock jumped backwards'
    OBSTACLE = 'obstacle in a protective zone'
    SENSOR_BLIND = 'safety sensor silent or blind'


@dataclass(frozen=True)
class StopCause:
    """The specifics of a stop, as data (:func:`describe` renders them).

    Attributes:
        source: the input, stage or axes concerned (``policy``, ``linear.x``).
        got: the offending value: a command's age or a clock [ns], a command's values or
            length, an inference's latency [ms].
        expected: what was expected: the axes, the deadline [ms], the previous clock [ns].
        note: words from elsewhere, shown as they are (a policy's error, the e-stop's state).
        distance_m: for an obstacle: the nearest return's distance from the footprint [m].
    """

    source: str = ''
    got: object = None
    expected: object = None
    note: str = ''
    distance_m: float | None = None


NO_CAUSE = StopCause()


def describe(reason: StopReason, cause: StopCause) -> str:
    """The text of a stop's cause for logs and /diagnostics ('' when there is nothing to add)."""
    if reason is StopReason.CLOCK_JUMP:
        return f'{cause.got} ns'
    if reason is StopReason.OBSTACLE:
        nearest = f', nearest {cause.distance_m:.2f} m' if cause.distance_m is not None else ''
        held = f'; {cause.note}' if cause.note else ''
        return f'{cause.source}: {cause.got} returns inside{nearest}{held}'
    if reason is StopReason.COMMAND_TIMEOUT and isinstance(cause.got, int):
        return f'last command {cause.got / 1e6:.0f} ms old'
    if reason is StopReason.WRONG_LENGTH:
        return f'got {cause.got} values for axes {cause.expected}'
    if reason is StopReason.NON_FINITE:
        return f'{cause.source} = {cause.got}'
    if reason is StopReason.DEADLINE_MISS and isinstance(cause.got, float):
        deadline = cause.expected
        limit = f' > {deadline:g} ms' if isinstance(deadline, float) and deadline else ''
        return f'inference took {cause.got:.1f} ms' + (limit or ' (past its deadline)')
    if cause.source and cause.note:
        return f'{cause.source}: {cause.note}'
    return cause.note or cause.source


@dataclass(frozen=True)
class SafetyConfig:
    """Limits of the gate, one entry per command axis.

    Attributes:
        axes: names of the command axes (``linear.x``, ``angular.z`` or joint names).
        min_velocity: lowest allowed command per axis (negative: reverse) [unit/s].
        max_velocity: highest allowed command per axis [unit/s].
        max_accel: largest increase of |command| per second per axis [unit/s²].
        max_decel: largest decrease of |command| per second per axis [unit/s²].
        max_jerk: largest change of acceleration per second per axis [unit/s³]; 0 = off.
        command_timeout_s: a command older than this is not used [s].
        stop_mode: ``decelerate`` (ramp down at max_decel) or ``immediate`` (zero at once)
            on timeouts and faults; an e-stop is always immediate.
    """

    axes: tuple[str, ...]
    min_velocity: tuple[float, ...]
    max_velocity: tuple[float, ...]
    max_accel: tuple[float, ...]
    max_decel: tuple[float, ...]
    max_jerk: tuple[float, ...] = ()
    command_timeout_s: float = 0.5
    stop_mode: Literal['decelerate', 'immediate'] = 'decelerate'

    def __post_init__(self) -> None:
        n = len(self.axes)
        if n == 0:
            raise ValueError('safety: axes is empty; a gate needs at least one axis to command')
        for name in ('min_velocity', 'max_velocity', 'max_accel', 'max_decel'):
            values = getattr(self, name)
            if len(values) != n:
                raise ValueError(f'safety.{name} has {len(values)} values for {n} axes')
            if not all(np.isfinite(values)):
                raise ValueError(f'safety.{name} must be finite: {values}')
        if self.max_jerk and len(self.max_jerk) != n:
            raise ValueError(f'safety.max_jerk has {len(self.max_jerk)} values for {n} axes')
        limits = zip(self.min_velocity, self.max_velocity, strict=True)
        if any(lo > 0 or hi < 0 for lo, hi in limits):
            raise ValueError(
                'safety: each axis must allow zero (min_velocity <= 0 <= max_velocity)'
            )
        if any(a <= 0 for a in (*self.max_accel, *self.max_decel)):
            raise ValueError('safety: max_accel and max_decel must be > 0')


@dataclass(frozen=True)
class GateOutput:
    """One output of the gate.

    Attributes:
        command: the command to send, one value per axis, finite and within limits.
        reason: why the gate is stopping (``NONE`` when passing the policy through).
        cause: the specifics of the reason.
        limited: whether a velocity, acceleration or jerk limit changed the command.
    """

    command: np.ndarray[Any, np.dtype[np.float64]]
    reason: StopReason
    cause: StopCause
    limited: bool

    @property
    def detail(self) -> str:
        """The cause as text, for logs and diagnostics."""
        return describe(self.reason, self.cause)

    @property
    def stopping(self) -> bool:
        """Whether the gate is overriding the policy to stop the robot."""
        return self.reason is not StopReason.NONE


@dataclass
class _State:
    output: np.ndarray[Any, np.dtype[np.float64]]
    accel: np.ndarray[Any, np.dtype[np.float64]]
    last_update_ns: int | None = None
    command: np.ndarray[Any, np.dtype[np.float64]] | None = None
    command_ns: int | None = None
    fault: tuple[StopReason, StopCause] | None = None
    stale: StopCause | None = None
    estop_latched: bool = False
    estop_input: bool = False
    monitor_stop: tuple[StopReason, StopCause] | None = None
    monitor_scale: np.ndarray[Any, np.dtype[np.float64]] | None = None
    monitor_limit: np.ndarray[Any, np.dtype[np.float64]] | None = None
    counts: dict[StopReason, int] = field(default_factory=dict)


class SafetyGate:
    """Turns raw policy commands into safe actuator commands (see the module docstring)."""

    def __init__(self, config: SafetyConfig) -> None:
        self._apply(config)
        n = len(config.axes)
        self._state = _State(output=np.zeros(n), accel=np.zeros(n))

    def _apply(self, config: SafetyConfig) -> None:
        self.config = config
        self._lo = np.asarray(config.min_velocity, dtype=np.float64)
        self._hi = np.asarray(config.max_velocity, dtype=np.float64)
        self._accel = np.asarray(config.max_accel, dtype=np.float64)
        self._decel = np.asarray(config.max_decel, dtype=np.float64)
        self._jerk = np.asarray(config.max_jerk, dtype=np.float64) if config.max_jerk else None
        self._timeout_ns = int(config.command_timeout_s * NS_PER_S)

    def reconfigure(self, config: SafetyConfig) -> None:
        """Take new limits from the next update on, keeping the motion state and the latch.

        A velocity limit lowered below the current speed becomes the target at once; the
        speed comes down to it at ``max_decel``, as for any stop, never faster.

        Raises:
            ValueError: ``config`` has other axes (they are fixed while the gate runs).
        """
        if config.axes != self.config.axes:
            raise ValueError(f'safety: axes are fixed at {self.config.axes}, got {config.axes}')
        self._apply(config)

    @property
    def stop_counts(self) -> dict[StopReason, int]:
        """How many updates stopped for each reason since start."""
        return dict(self._state.counts)

    @property
    def motion(self) -> _State:
        """The gate's motion state (read-only use): ``output`` now, the policy's ``command``."""
        return self._state

    @property
    def estop_latched(self) -> bool:
        """Whether the e-stop is latched (only :meth:`reset` clears it)."""
        return self._state.estop_latched

    def submit(self, command: Sequence[float] | np.ndarray[Any, Any], now_ns: int) -> None:
        """Offer a new policy command (one value per axis), stamped ``now_ns``.

        A non-finite or wrongly sized command is refused: the gate stops until a valid one
        arrives. A valid command clears an earlier policy fault.
        """
        state = self._state
        values = np.asarray(command, dtype=np.float64).reshape(-1)
        if values.size != len(self.config.axes):
            state.fault = (
                StopReason.WRONG_LENGTH,
                StopCause(got=values.size, expected=self.config.axes),
            )
            state.command = None
            return
        bad = ~np.isfinite(values)
        if bad.any():
            axes = [a for a, b in zip(self.config.axes, bad, strict=True) if b]
            state.fault = (
                StopReason.NON_FINITE,
                StopCause(source=', '.join(axes), got=values[bad].tolist()),
            )
            state.command = None
            return
        state.fault = None
        state.command = values
        state.command_ns = now_ns

    def report_fault(self, reason: StopReason, cause: StopCause) -> None:
        """Stop for a policy-side fault (error, deadline miss) until the next valid command."""
        self._state.fault = (reason, cause)
        self._state.command = None

    def set_stale(self, cause: StopCause | None) -> None:
        """Mark inputs stale (``cause`` says which and why) or fresh again (None)."""
        self._state.stale = cause

    def set_monitor(
        self,
        stop: tuple[StopReason, StopCause] | None,
        scale: np.ndarray[Any, Any] | None = None,
        limit: np.ndarray[Any, Any] | None = None,
    ) -> None:
        """The collision monitor's verdict, applied from the next update on.

        Args:
            stop: ``(OBSTACLE or SENSOR_BLIND, cause)`` to stop, None to let commands pass.
            scale: per axis factor in [0, 1] on the policy's command (None: 1).
            limit: per axis cap on |command| (None: none); applied after ``scale``, before
                the ramps, so the speed comes down to it at ``max_decel``.
        """
        state = self._state
        state.monitor_stop = stop
        state.monitor_scale = None if scale is None else np.asarray(scale, dtype=np.float64)
        state.monitor_limit = None if limit is None else np.asarray(limit, dtype=np.float64)

    def set_estop(self, engaged: bool) -> None:
        """Feed the e-stop input. Engaging latches; releasing alone does not clear the latch."""
        self._state.estop_input = engaged
        if engaged:
            self._state.estop_latched = True

    def reset(self) -> tuple[bool, str]:
        """Clear a latched e-stop, if its input is released; returns (success, message)."""
        state = self._state
        if state.estop_input:
            return False, 'e-stop input is still engaged; release it first'
        was = state.estop_latched
        state.estop_latched = False
        state.fault = None
        state.command = None  # a stale pre-stop command must not resume motion
        return True, 'e-stop latch cleared' if was else 'nothing to reset'

    def update(self, now_ns: int) -> GateOutput:
        """Produce the command to send at ``now_ns`` (call at the output rate)."""
        state = self._state
        previous = state.output
        if state.last_update_ns is not None and now_ns < state.last_update_ns:
            # sim time restarted or a bag looped: forget motion state, stop at once
            jump = StopCause(got=now_ns, expected=state.last_update_ns)
            state.last_update_ns = now_ns
            state.command = None
            return self._emit(
                np.zeros_like(previous), StopReason.CLOCK_JUMP, jump, False, immediate=True
            )
        dt = 0.0 if state.last_update_ns is None else (now_ns - state.last_update_ns) / NS_PER_S
        state.last_update_ns = now_ns

        reason, cause = self._reason(now_ns)
        if reason is StopReason.ESTOP:
            return self._emit(np.zeros_like(previous), reason, cause, False, immediate=True)
        target = np.zeros_like(previous) if reason is not StopReason.NONE else state.command
        assert target is not None
        clamped = np.minimum(np.maximum(target, self._lo), self._hi)
        limited = bool(np.any(clamped != target))
        if reason is StopReason.NONE:
            monitored = self._monitored(clamped)
            limited |= bool(np.any(monitored != clamped))
            clamped = monitored
        if reason is not StopReason.NONE and self.config.stop_mode == 'immediate':
            return self._emit(np.zeros_like(previous), reason, cause, limited, immediate=True)
        output = self._ramp(previous, clamped, dt)
        limited |= bool(np.any(np.abs(output - clamped) > 1e-12))
        # a speed above a newly lowered limit may only come down at max_decel
        envelope = (
            np.minimum(self._lo, previous + self._decel * dt),
            np.maximum(self._hi, previous - self._decel * dt),
        )
        return self._emit(output, reason, cause, limited, envelope=envelope)

    def _monitored(self, target: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """The policy's (clamped) command under the monitor's slowdown and caps."""
        state = self._state
        out = target
        if state.monitor_scale is not None:
            out = out * np.clip(state.monitor_scale, 0.0, 1.0)
        if state.monitor_limit is not None:
            cap = np.abs(state.monitor_limit)
            out = np.minimum(np.maximum(out, -cap), cap)
        return out

    def _reason(self, now_ns: int) -> tuple[StopReason, StopCause]:
        state = self._state
        if state.estop_latched:
            note = 'engaged' if state.estop_input else 'released, awaiting reset'
            return StopReason.ESTOP, StopCause(note=note)
        if state.monitor_stop is not None:  # an obstacle says more than a policy's fault
            return state.monitor_stop
        if state.fault is not None:
            return state.fault
        if state.stale is not None:
            return StopReason.STALE_INPUT, state.stale
        if state.command is None or state.command_ns is None:
            return StopReason.NOT_STARTED, NO_CAUSE
        age = now_ns - state.command_ns
        if age > self._timeout_ns:
            return StopReason.COMMAND_TIMEOUT, StopCause(got=age, expected=self._timeout_ns)
        return StopReason.NONE, NO_CAUSE

    def _ramp(
        self, previous: np.ndarray[Any, Any], target: np.ndarray[Any, Any], dt: float
    ) -> np.ndarray[Any, Any]:
        """Move from ``previous`` towards ``target`` within acceleration and jerk limits."""
        if dt <= 0.0:
            unchanged: np.ndarray[Any, Any] = previous.copy()
            return unchanged
        # reversing goes through zero: slow down to a stop (max_decel) before speeding up the
        # other way (max_accel), so each limit governs its own half of the manoeuvre
        # (signs, not products: the product of two tiny values underflows to zero and hides
        # that they differ in sign, as +1e-320 against -6e-5 did)
        target = np.where(np.sign(target) * np.sign(previous) < 0.0, 0.0, target)
        delta = target - previous
        direction = np.sign(delta)
        speeding_up = np.abs(target) > np.abs(previous)
        rate = np.where(speeding_up, self._accel, self._decel)
        wanted_accel = np.minimum(np.maximum(delta / dt, -rate), rate)
        if self._jerk is not None:
            # arrive with zero acceleration: from velocity gap g, a jerk-limited ramp-down
            # needs |a| <= sqrt(2 j g)
            arrival = np.sqrt(2.0 * self._jerk * np.abs(delta))
            wanted_accel = np.minimum(np.maximum(wanted_accel, -arrival), arrival)
            step = self._jerk * dt
            low, high = self._state.accel - step, self._state.accel + step
            wanted_accel = np.minimum(np.maximum(wanted_accel, low), high)
            # the acceleration limits are hard, the jerk limit is not: clamp again
            wanted_accel = np.minimum(np.maximum(wanted_accel, -rate), rate)
        output = previous + wanted_accel * dt
        # never move away from the target (jerk can lag), never overshoot it
        output = np.where(np.sign(output - previous) * direction < 0.0, previous, output)
        output = np.where((np.sign(output - target) * direction > 0.0) | (delta == 0.0), target,
                          output)  # fmt: skip
        self._state.accel = (output - previous) / dt
        return output

    def _emit(
        self,
        output: np.ndarray[Any, Any],
        reason: StopReason,
        cause: StopCause,
        limited: bool,
        *,
        immediate: bool = False,
        envelope: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None = None,
    ) -> GateOutput:
        # defence in depth: whatever happened above, what leaves is finite and in limits (or,
        # after the limits were lowered, on its way down to them at max_decel)
        lo, hi = envelope if envelope is not None else (self._lo, self._hi)
        finite = np.where(np.isfinite(output), output, 0.0)
        safe = np.minimum(np.maximum(finite, lo), hi)
        state = self._state
        if immediate:
            state.accel = np.zeros_like(safe)
        state.output = safe
        if reason is not StopReason.NONE:
            state.counts[reason] = state.counts.get(reason, 0) + 1
        return GateOutput(command=safe.copy(), reason=reason, cause=cause, limited=limited)
