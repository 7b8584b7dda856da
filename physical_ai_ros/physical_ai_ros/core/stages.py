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

"""The three pipeline stages as the nodes run them: state, inputs, timed outputs, diagnostics.

Each stage owns one core object (Perception, PolicyRuntime, SafetyGate), takes messages and
explicit times, and returns ``(topic, message)`` pairs to publish, with relative topic names.
A node wraps one stage; replay and simulation run all three in one process, in time order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from physical_ai_ros.core.messages.commands import build_command
from physical_ai_ros.core.messages.diagnostics import ERROR, OK, status, WARN
from physical_ai_ros.core.messages.msgtypes import MessageTypes
from physical_ai_ros.core.messages.stamps import make_header, NS_PER_S, stamp_to_ns
from physical_ai_ros.core.params.monitor_params import band, monitor_config, source_configs
from physical_ai_ros.core.params.schema import perception_config, safety_config
from physical_ai_ros.core.perception.grid import (
    grid_to_colored_cloud,
    grid_to_msg,
    grid_to_occupancy,
)
from physical_ai_ros.core.perception.perception import Perception, PerceptionUpdate
from physical_ai_ros.core.perception.reasons import Stale, StaleKind
from physical_ai_ros.core.policy.chunks import ActionChunk, ChunkPlayer
from physical_ai_ros.core.policy.observation import PolicyInputs
from physical_ai_ros.core.policy.runtime import PolicyModel, PolicyRuntime, PolicyStep
from physical_ai_ros.core.safety.control import (
    apply_status,
    REASON_DEADLINE_MISS,
    REASON_NONE,
    REASON_STALE_INPUT,
    REASON_STEP_FAILED,
    STATE_DEGRADED,
    STATE_ERROR,
    STATE_RUNNING,
)
from physical_ai_ros.core.safety.gate import GateOutput, SafetyGate, StopCause, StopReason
from physical_ai_ros.core.safety.monitor import CollisionMonitor, MonitorAction, MonitorVerdict
from physical_ai_ros.core.safety.sources import SourceTracker

Outputs = list[tuple[str, Any]]

#: Topic of the actuator command per output type (relative; remap to the controller's).
COMMAND_TOPICS = {
    'twist': 'cmd_vel',
    'twist_stamped': 'cmd_vel',
    'float64_array': 'commands',
    'joint_trajectory': 'joint_trajectory',
}


class PerceptionStage:
    """perception_node's work: sensors in, grid out at every key-source update."""

    def __init__(self, values: Mapping[str, Any], types: MessageTypes) -> None:
        self.values = dict(values)
        self.types = types
        self.perception = Perception(perception_config(values))
        self.last_update: PerceptionUpdate | None = None

    def reconfigure(self, values: Mapping[str, Any]) -> None:
        """Apply new values of the dynamic parameters from the next message on.

        Raises:
            ValueError: a value the running stage cannot take (a read-only one changed).
        """
        self.perception.reconfigure(perception_config(values))
        self.values = dict(values)

    def outputs(self, update: PerceptionUpdate, *, grid: bool = True) -> Outputs:
        """Messages of one update: SpatialGrid, OccupancyGrid and optionally the cloud."""
        out: Outputs = []
        if grid:
            out.append(('grid', grid_to_msg(update.grid, self.types)))
        if self.values['publish_occupancy']:
            out.append(('occupancy', grid_to_occupancy(update.grid, self.types)))
        if self.values['publish_cloud']:
            out.append(('grid_cloud', grid_to_colored_cloud(update.grid, self.types)))
        return out

    def update(self, now_ns: int) -> PerceptionUpdate:
        """Run one update at the key cloud's stamp."""
        self.last_update = self.perception.update(now_ns)
        return self.last_update

    def diagnostics(self, now_ns: int) -> Any:
        """The DiagnosticStatus at ``now_ns``: stale sources, drops and rejections.

        Staleness is judged at ``now_ns``, not at the last update, so a lidar that went silent
        (and so triggers no update) is reported all the same.
        """
        p = self.perception
        stale = {
            **(self.last_update.stale if self.last_update else {}),
            **p.monitor.stale(now_ns),
        }
        if self.last_update is None:
            stale.setdefault('all', Stale(StaleKind.NO_UPDATE))
        values: dict[str, Any] = {'updates': p.status.updates}
        values.update({f'stale/{k}': v for k, v in stale.items()})
        values.update({f'errors/{k}': v for k, v in p.status.errors.items()})
        values.update({f'last_error/{k}': v for k, v in p.status.last_error.items()})
        values.update({f'dropped/{s}/{k.value}': n for (s, k), n in p.monitor.dropped.items()})
        values.update({f'iot_rejected/{s}/{k.value}': n for (s, k), n in p.iot.rejections.items()})
        # a stale lidar, or a grid left unchanged for lost odometry, stops the robot: ERROR
        blind = 'grid' in stale or any(s.name in stale for s in p.config.lidars)
        level = ERROR if blind else (WARN if stale else OK)
        message = 'ok' if not stale else 'stale: ' + ', '.join(sorted(stale))
        return status(self.types, 'physical_ai_ros: perception', level, message, values)


@dataclass
class PolicyState:
    """What policy_node knows between steps."""

    last_reason: str = ''
    last_step_ns: int | None = None
    last_grid_step_ns: int | None = None
    previous_action: np.ndarray[Any, Any] | None = None
    joint_positions: dict[str, float] = field(default_factory=dict)
    joint_velocities: dict[str, float] = field(default_factory=dict)


def grid_age(grid: Any, now_ns: int) -> str:
    """Why a grid is not fresh: none yet, no stamp (0: a grid never filled), or its age."""
    if grid is None:
        return 'no grid yet'
    if grid.stamp_ns <= 0:
        return 'grid has no stamp (no sensor data fused yet)'
    age_s = (now_ns - grid.stamp_ns) / 1e9
    return f'grid {age_s:.2f} s old' if age_s >= 0 else f'grid stamped {-age_s:.2f} s ahead'


def _answering_model(backend: Mapping[str, Any], local_sha256: str) -> str:
    """The sha256 of the model that answered: as the backend says, else the local one's.

    '' when a server answered and its model's hash is not known here.
    """
    if backend.get('model_sha256'):
        return str(backend['model_sha256'])
    return local_sha256 if backend.get('backend', 'local') == 'local' else ''


class PolicyStage:
    """policy_node's work: an inference on every new grid, and a watchdog at the control rate.

    A new grid is stepped on at once (:meth:`grid_due`), at most once per half control period
    so that a flood of grids cannot run the model flat out. The control-rate timer steps only
    when no step happened for 1.5 periods (:meth:`watchdog_due`): on the newest grid if
    perception is slower than that, or to report a stale grid, which stops the gate.
    """

    def __init__(
        self,
        values: Mapping[str, Any],
        types: MessageTypes,
        model: PolicyModel,
        *,
        stopwatch: Any = None,
    ) -> None:
        self.values = dict(values)
        self.types = types
        self.runtime = PolicyRuntime(
            model, deadline_s=values['deadline_ms'] / 1000.0, stopwatch=stopwatch
        )
        self.state = PolicyState()
        self.grid_timeout_ns = int(values['grid_timeout_s'] * NS_PER_S)
        self.period_ns = round(NS_PER_S / values['control_rate_hz'])
        self.chunks = ChunkPlayer(values['chunk.max_age_s'], values['chunk.blend_steps'])
        # sees the inputs of every step the model runs on (dataset export builds its
        # observations from them with the runtime's own ObservationBuilder)
        self.tap: Callable[[int, PolicyInputs], None] | None = None

    @property
    def chunked(self) -> bool:
        """Whether the model answers action chunks (played on the control timer)."""
        return self.runtime.model.contract.output.horizon > 1

    def chunk_outputs(self, now_ns: int) -> Outputs:
        """A control tick between steps: the current chunk's command for ``now_ns``.

        With a stale chunk (played out, too old) a degraded status instead: the gate stops.
        Nothing for a model without chunks.
        """
        if not self.chunked:
            return []
        action = self.chunks.action_at(now_ns)
        if action is None:
            reason = f'chunk: {self.chunks.state(now_ns).value}'
            stamp = self.chunks.chunk.stamp_ns if self.chunks.chunk is not None else now_ns
            return [('policy/status', self._status(stamp, STATE_DEGRADED, REASON_STALE_INPUT,
                                                   reason, None))]  # fmt: skip
        return [('policy/command', self._command(action))]

    def grid_due(self, now_ns: int) -> bool:
        """Whether a grid arriving at ``now_ns`` is stepped on at once.

        Only steps on grids count here: a watchdog step just before a grid arrives must not
        hold the new grid back for a whole period.
        """
        last = self.state.last_grid_step_ns
        return last is None or now_ns - last >= self.period_ns // 2 or now_ns < last

    def watchdog_due(self, now_ns: int) -> bool:
        """Whether the control-rate timer steps at ``now_ns``: no step for 1.5 periods.

        Not after one period: a timer tick that happens to fall just before the next grid
        would run the model once more on the grid it has already answered.
        """
        last = self.state.last_step_ns
        return last is None or now_ns - last >= self.period_ns * 3 // 2 or now_ns < last

    def reconfigure(self, values: Mapping[str, Any], model: PolicyModel | None = None) -> None:
        """Apply new values of the dynamic parameters, and a newly loaded model if given."""
        if model is not None:
            self.runtime.swap(model)
            self.chunks.chunk = None  # a chunk of the old model is not played by the new one
        self.chunks.max_age_ns = int(values['chunk.max_age_s'] * NS_PER_S)
        self.chunks.blend_steps = values['chunk.blend_steps']
        self.runtime.deadline_ns = int(values['deadline_ms'] * 1e6)
        self.grid_timeout_ns = int(values['grid_timeout_s'] * NS_PER_S)
        self.values = dict(values)

    def on_joint_state(self, msg: Any) -> None:
        """Keep the newest joint positions and velocities by name."""
        names = list(msg.name)
        self.state.joint_positions = dict(zip(names, map(float, msg.position), strict=False))
        self.state.joint_velocities = dict(zip(names, map(float, msg.velocity), strict=False))

    def step(
        self,
        now_ns: int,
        grid: Any,
        twist: Mapping[str, float] | None,
        iot: Mapping[str, float] | None,
        *,
        new_grid: bool = False,
    ) -> tuple[PolicyStep | None, Outputs]:
        """Run one control step at ``now_ns``: the step, None if skipped, and the outputs.

        The status comes first, so that the gate knows the policy runs again before the
        command arrives.
        """
        state = self.state
        state.last_step_ns = now_ns
        if new_grid:  # a step on a grid that just arrived (see grid_due)
            state.last_grid_step_ns = now_ns
        # a grid stamped ahead of this clock by more than its timeout cannot be judged fresh
        if grid is None or abs(now_ns - grid.stamp_ns) > self.grid_timeout_ns:
            age = grid_age(grid, now_ns)
            state.last_reason = age
            status = self._status(now_ns, STATE_DEGRADED, REASON_STALE_INPUT, age, None)
            return None, [('policy/status', status)]
        inputs = PolicyInputs(
            grid=grid, iot=iot, twist=twist, joint_positions=state.joint_positions or None,
            joint_velocities=state.joint_velocities or None, previous_action=state.previous_action,
        )  # fmt: skip
        if self.tap is not None:
            self.tap(now_ns, inputs)
        step = self.runtime.step(inputs)
        command: Outputs = []
        if step.error:
            level, code, reason = STATE_ERROR, REASON_STEP_FAILED, step.error
        elif step.deadline_missed:  # a late answer is not sent: the gate stops instead
            level, code = STATE_DEGRADED, REASON_DEADLINE_MISS
            reason = f'deadline miss ({step.latency_ms:.1f} ms)'
        else:
            level, code, reason = STATE_RUNNING, REASON_NONE, ''
            assert step.action is not None
            state.previous_action = step.action
            action: np.ndarray[Any, Any] | None = step.action
            if step.chunk is not None:  # aligned to the observation, elapsed steps skipped
                step_ns = round(self.runtime.model.contract.output.step_s * NS_PER_S)
                self.chunks.replace(ActionChunk(grid.stamp_ns, step_ns, step.chunk))
                action = self.chunks.action_at(now_ns)
                if action is None:
                    level, code = STATE_DEGRADED, REASON_STALE_INPUT
                    reason = f'chunk: {self.chunks.state(now_ns).value}'
            if action is not None:
                command.append(('policy/command', self._command(action)))
        state.last_reason = reason  # cleared by a good step
        status = self._status(grid.stamp_ns, level, code, reason, step)
        return step, [('policy/status', status), *command]

    def _command(self, action: np.ndarray[Any, Any]) -> Any:
        """The raw action as std_msgs/Float64MultiArray, one value per contract axis."""
        return build_command(
            'float64_array', self.runtime.model.contract.axes, action, self.types, stamp_ns=0
        )

    def _status(
        self, stamp_ns: int, state: int, code: int, reason: str, step: PolicyStep | None
    ) -> Any:
        """A PolicyStatus stamped with the observation it answered (``now`` when there is none)."""
        action = self.types.array(
            np.zeros(0, np.float32)
            if step is None or step.action is None
            else step.action.astype(np.float32)
        )
        backend = getattr(self.runtime.model.session, 'status', None)  # remote/hybrid sessions
        summary = backend.summary() if backend is not None else {}
        return self.types.get('physical_ai_ros_interfaces/msg/PolicyStatus')(
            header=make_header(stamp_ns, '', self.types),
            state=state,
            model_sha256=_answering_model(summary, self.runtime.model.sha256),
            reason_code=code,
            reason=reason,
            inference_ms=0.0 if step is None else float(step.latency_ms),
            deadline_misses=self.runtime.stats.misses,
            action=action,
            backend=str(summary.get('backend', 'local')),
            fallbacks=int(summary.get('fallbacks', 0)),
            round_trip_p50_ms=float(summary.get('round_trip_ms/p50', 0.0)),
            round_trip_p99_ms=float(summary.get('round_trip_ms/p99', 0.0)),
            backend_error=str(summary.get('last_error', '')),
        )

    def diagnostics(self, now_ns: int) -> Any:
        """DiagnosticStatus: model, latency, misses, failures (``now_ns``: unused, uniform)."""
        stats = self.runtime.stats.summary()
        values: dict[str, Any] = {'model_sha256': self.runtime.model.sha256, **stats}
        backend = getattr(self.runtime.model.session, 'status', None)  # remote/hybrid sessions
        if backend is not None:
            values.update(backend.summary())
        level = OK if not self.state.last_reason else WARN
        if backend is not None and backend.active == 'local' and backend.fallbacks:
            level = WARN  # the remote policy is not answering: the local one drives
        return status(
            self.types, 'physical_ai_ros: policy', level, self.state.last_reason or 'ok', values
        )


class SafetyStage:
    """safety_node's work: gate every policy command, publish at a fixed rate, say why it stops.

    A new command is sent on at once (:meth:`on_command` returns it); the periodic
    :meth:`tick` carries timeouts, ramps and stops between commands. Every output, a command's
    or a tick's, takes one slot of a clock running at ``rate_hz``; the next tick
    (:attr:`next_tick_ns`) comes at the next free slot, but never sooner than 0.8 and never
    later than 1.1 periods after the last output. So a command is never held back, the rate
    stays ``rate_hz`` over a few dozen periods (a command that lands just after a tick is an
    extra output, paid back at most a tenth of a period per tick), and no gap is planned
    longer than 1.1 periods: at 50 Hz, 8 ms of room for a late timer before a gap of 1.5
    periods. (Paying back at up to 1.2 periods planned most gaps at 24 ms, and a 6 ms late
    timer made a gap over 30 ms.) The latency of each new observation's command,
    from its stamp (PolicyStatus' header) to the gate's output, is kept for /diagnostics.
    """

    def __init__(self, values: Mapping[str, Any], types: MessageTypes) -> None:
        self.values = dict(values)
        self.types = types
        self.gate = SafetyGate(safety_config(values))
        self.topic = COMMAND_TOPICS[values['output_type']]
        self.last: GateOutput | None = None
        self.status_timeout_ns = int(values['input_timeout_s'] * NS_PER_S)
        self.last_status_ns: int | None = None
        self.observation_ns: int | None = None  # stamp of the observation of the last status
        self._answering: int | None = None  # that stamp, for a command not yet sent on
        self._answered: int | None = None  # the newest observation whose command went out
        self.latency_ms: deque[float] = deque(maxlen=200)
        self.period_ns = round(NS_PER_S / values['rate_hz'])
        self._slot_ns: int | None = None  # when the next output is due on the rate's clock
        #: when the periodic tick is due next (the node's timer and replay follow it)
        self.next_tick_ns: int | None = None
        #: the collision monitor over the raw range sensors (None: ``monitor.enabled`` false)
        self.monitor: CollisionMonitor | None = None
        if values['monitor.enabled']:
            config = monitor_config(values)
            tracker = SourceTracker(source_configs(values), band(values, config.zones))
            self.monitor = CollisionMonitor(config, tracker)
            axes = list(values['axes'])
            self._linear = axes.index(values['monitor.linear_axis'])
            angular = values['monitor.angular_axis']
            self._angular = axes.index(angular) if angular else None

    def reconfigure(self, values: Mapping[str, Any]) -> None:
        """Apply new limits, timeouts, zones and output settings from the next tick on.

        Raises:
            ValueError: a value the running gate cannot take (other axes).
        """
        self.gate.reconfigure(safety_config(values))
        if self.monitor is not None:
            config = monitor_config(values)
            self.monitor.reconfigure(config)
            self.monitor.sources.band = band(values, config.zones)
        self.status_timeout_ns = int(values['input_timeout_s'] * NS_PER_S)
        self.values = dict(values)

    def reset(self) -> tuple[bool, str]:
        """``~/reset``: clear a latched e-stop and a latched monitor stop."""
        ok, message = self.gate.reset()
        if ok and self.monitor is not None and self.monitor.reset():
            message += '; monitor stop cleared'
        return ok, message

    def on_range_data(self, source: str, msg: Any, now_ns: int) -> Outputs:
        """A message of the monitor's source ``source`` (PointCloud2, LaserScan or Range).

        When it makes the monitor stop the robot, the stop goes out at once (the gate's
        output for ``now_ns``); otherwise nothing, and the next tick applies it.
        """
        assert self.monitor is not None
        was = self.monitor.last
        self.monitor.sources.on_message(source, msg, now_ns)
        verdict = self._judge(now_ns)
        if verdict.stopping and not was.stopping:
            return self.tick(now_ns, judged=True)
        return []

    def _judge(self, now_ns: int) -> MonitorVerdict:
        """The monitor's verdict now, handed to the gate."""
        assert self.monitor is not None
        state = self.gate.motion
        command = state.command if state.command is not None else np.zeros_like(state.output)

        def pair(values: Any) -> tuple[float, float]:
            w = float(values[self._angular]) if self._angular is not None else 0.0
            return float(values[self._linear]), w

        verdict = self.monitor.check(now_ns, pair(state.output), pair(command))
        n = len(state.output)
        if verdict.action is MonitorAction.FREE:
            self.gate.set_monitor(None)
        elif verdict.stopping:
            blind = verdict.action is MonitorAction.BLIND
            reason = StopReason.SENSOR_BLIND if blind else StopReason.OBSTACLE
            cause = StopCause(
                source=verdict.zone, got=verdict.points, note=verdict.note,
                distance_m=None if blind else verdict.nearest_m,
            )  # fmt: skip
            self.gate.set_monitor((reason, cause))
        else:
            limit = np.full(n, np.inf)
            limit[self._linear] = verdict.linear_limit
            if self._angular is not None:
                limit[self._angular] = verdict.angular_limit
            self.gate.set_monitor(None, np.full(n, verdict.scale), limit)
        return verdict

    def on_command(self, msg: Any, now_ns: int) -> Outputs:
        """A raw policy command (Float64MultiArray, one value per axis), gated and sent on now.

        It takes a slot of the rate's clock: the next tick moves (see the class docstring).
        """
        self.gate.submit(np.asarray(msg.data, dtype=np.float64), now_ns)
        self._answering = self.observation_ns
        return self.tick(now_ns)

    def on_status(self, msg: Any, now_ns: int) -> None:
        """A PolicyStatus: errors and deadline misses stop, a degraded policy marks stale."""
        self.last_status_ns = now_ns
        self.observation_ns = stamp_to_ns(msg.header.stamp)
        apply_status(self.gate, int(msg.state), int(msg.reason_code), str(msg.reason))

    def on_estop(self, engaged: bool) -> None:
        """The e-stop input (std_msgs/Bool)."""
        self.gate.set_estop(engaged)

    def tick(self, now_ns: int, *, judged: bool = False) -> Outputs:
        """The command to publish at ``now_ns`` (``judged``: the monitor has just checked)."""
        if self.monitor is not None and not judged:
            self._judge(now_ns)
        if self.last_status_ns is None or now_ns - self.last_status_ns > self.status_timeout_ns:
            silent = (
                'no policy status yet'
                if self.last_status_ns is None
                else 'policy status timed out'
            )
            self.gate.set_stale(StopCause(note=silent))
        self.last = self.gate.update(now_ns)
        self._schedule(now_ns)
        answering, self._answering = self._answering, None
        fresh = answering is not None and (self._answered is None or answering > self._answered)
        if fresh and not self.last.stopping:  # the first command of a new observation
            assert answering is not None
            self.latency_ms.append((now_ns - answering) / 1e6)
            self._answered = answering
        values = self.values
        msg = build_command(
            values['output_type'],
            tuple(values['axes']),
            self.last.command,
            self.types,
            stamp_ns=now_ns,
            frame_id=values['frame_id'],
            trajectory_field=values['trajectory_field'],
            time_from_start_ns=int(values['trajectory_time_from_start_s'] * NS_PER_S),
        )
        return [(self.topic, msg)]

    def _schedule(self, now_ns: int) -> None:
        """After an output at ``now_ns``: its slot is taken; when is the next tick due."""
        period = self.period_ns
        slot = now_ns if self._slot_ns is None else self._slot_ns
        # no debt beyond now (after a stall the ticks do not burst to catch up), no credit
        # beyond two periods (after the clock jumped back, the rate comes back at once)
        self._slot_ns = min(max(slot + period, now_ns), now_ns + 2 * period)
        earliest, latest = now_ns + period * 4 // 5, now_ns + period * 11 // 10
        self.next_tick_ns = min(max(self._slot_ns, earliest), latest)

    def diagnostics(self, now_ns: int) -> Any:
        """DiagnosticStatus: why the gate stops, how often, its latency (``now_ns``: unused)."""
        last = self.last
        values: dict[str, Any] = {
            f'stops/{r.name.lower()}': n for r, n in self.gate.stop_counts.items()
        }
        values['estop_latched'] = self.gate.estop_latched
        if self.monitor is not None:
            values.update(self._monitor_values(now_ns))
        if self.latency_ms:
            p50, p99 = np.percentile(np.asarray(self.latency_ms), [50, 99])
            values['latency_ms/p50'], values['latency_ms/p99'] = float(p50), float(p99)
        if last is None:
            return status(self.types, 'physical_ai_ros: safety', WARN, 'not started', values)
        values['command'] = ' '.join(f'{v:.3f}' for v in last.command)
        if last.reason is StopReason.NONE:
            return status(
                self.types, 'physical_ai_ros: safety', OK, 'passing policy commands', values
            )
        level = (
            ERROR
            if last.reason in (StopReason.ESTOP, StopReason.NON_FINITE, StopReason.POLICY_ERROR)
            else WARN
        )
        message = f'stopping: {last.reason.value}' + (f' ({last.detail})' if last.detail else '')
        return status(self.types, 'physical_ai_ros: safety', level, message, values)

    def _monitor_values(self, now_ns: int) -> dict[str, Any]:
        """The monitor's part of /diagnostics: verdict, nearest return, sources."""
        monitor = self.monitor
        assert monitor is not None
        last = monitor.last
        values: dict[str, Any] = {'monitor/action': last.action.value}
        if last.zone:
            values['monitor/zone'] = last.zone
        if last.note:
            values['monitor/note'] = last.note
        if np.isfinite(last.nearest_m):
            values['monitor/nearest_m'] = round(float(last.nearest_m), 3)
        if np.isfinite(monitor.nearest_m):
            values['monitor/nearest_since_start_m'] = round(float(monitor.nearest_m), 3)
        values.update({f'monitor/interventions/{z}': n for z, n in monitor.interventions.items()})
        for name, age in monitor.sources.ages_s(now_ns).items():
            values[f'monitor/age_s/{name}'] = round(age, 3)
        for (name, problem), n in monitor.sources.refused.items():
            values[f'monitor/refused/{name}/{problem.name.lower()}'] = n
        return values

    def monitor_outputs(self, now_ns: int) -> Outputs:
        """For RViz and Foxglove: the protective field now and each zone (PolygonStamped)."""
        monitor = self.monitor
        if monitor is None:
            return []
        state = self.gate.motion
        linear = float(state.output[self._linear])
        angular = float(state.output[self._angular]) if self._angular is not None else 0.0
        outline = monitor.field_outline((linear, angular))
        out: Outputs = [('monitor/field', self._polygon(outline, now_ns))]
        for zone in monitor.config.zones:
            if zone.shape is not None and zone.enabled:
                out.append(
                    (f'monitor/zones/{zone.name}', self._polygon(zone.shape.outline(), now_ns))
                )
        return out

    def _polygon(self, outline: list[tuple[float, float]], now_ns: int) -> Any:
        point = self.types.get('geometry_msgs/msg/Point32')
        polygon = self.types.get('geometry_msgs/msg/Polygon')(
            points=[point(x=float(x), y=float(y), z=0.0) for x, y in outline]
        )
        header = make_header(now_ns, self.values['frame_id'], self.types)
        return self.types.get('geometry_msgs/msg/PolygonStamped')(header=header, polygon=polygon)
