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

"""Deterministic replay of a rosbag2 through the pipeline the nodes run.

Messages are fed in log-time order; bag time is the only clock. As in the nodes, the
policy steps on every new grid and the gate sends each new command on at once; their
timers (the policy's watchdog, the gate's periodic tick, diagnostics) fire at their
simulated times between messages, so the same bag, params and model give the same output
messages, byte for byte. Wall-clock latencies are measured for the report only and never
reach the outputs.
Faults in the bag (corrupt messages, unknown types, gaps, out-of-order stamps, clocks that
jump back) are counted and recorded with the gate's state right after them, never fatal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
import contextlib
from dataclasses import dataclass, field
import math
from pathlib import Path
import time
from typing import Any

import numpy as np
from rosbags.typesys import get_types_from_msg

from physical_ai_ros.core.errors import PhysicalAiError
from physical_ai_ros.core.messages.diagnostics import diagnostic_array
from physical_ai_ros.core.messages.stamps import NS_PER_S, ns_to_stamp, stamp_to_ns
from physical_ai_ros.core.params.config_check import load_params
from physical_ai_ros.core.params.monitor_params import footprint
from physical_ai_ros.core.params.schema import resolve
from physical_ai_ros.core.params.topics import input_topics, OUTPUT_TOPICS
from physical_ai_ros.core.perception.grid import nearest_occupied
from physical_ai_ros.core.perception.reasons import Drop, DropKind, Stale
from physical_ai_ros.core.perception.tf_static import StaticTransforms
from physical_ai_ros.core.policy.contract import check_against_model
from physical_ai_ros.core.policy.link import LinkModel
from physical_ai_ros.core.policy.runtime import PolicyModel
from physical_ai_ros.core.safety.gate import GateOutput, StopReason
from physical_ai_ros.core.stages import PerceptionStage, PolicyStage, SafetyStage
from physical_ai_ros.inference.simulated import SimulatedLinkSession
from physical_ai_ros.policies.loading import load_policy
from physical_ai_ros.replay.bagreader import BagReader, open_bag
from physical_ai_ros.replay.bagwriter import BagWriter
from physical_ai_ros.replay.events import Event, EventKind, FaultKind
from physical_ai_ros.replay.typestore import Distro, make_typestore, TypestoreTypes

MAX_EVENTS = 5000  # events kept for the report; counters stay exact beyond it


@dataclass(frozen=True)
class ReplayOptions:
    """How to replay.

    Attributes:
        params: ROS params file (the nodes' ``ros__parameters``); defaults otherwise.
        model: ONNX model, overriding ``policy_node.model_path``.
        namespace: namespace of the recorded topics (as the nodes would run in).
        remaps: node-relative topic to bag topic, like ``--ros-args -r``.
        grid_rate_hz: rate at which the full SpatialGrid is recorded (OccupancyGrid: every
            update).
        distro: type store for standard messages absent from the bag's definitions.
        link: a link model (``link.yaml``): the policy runs as a remote model behind it, the
            local model answering what the link loses or delivers late (deterministic).
        remote_model: the model served remotely under ``link`` (default: the local one).
        restamp: every header stamp read from the bag replaced by the message's log time:
            for bags recorded from a playback of older data (their header stamps far from
            their log times, so that every sensor would be stale on arrival).
    """

    params: Path | None = None
    model: Path | None = None
    namespace: str = ''
    remaps: dict[str, str] = field(default_factory=dict)
    grid_rate_hz: float = 1.0
    distro: Distro = 'jazzy'
    link: Path | None = None
    remote_model: Path | None = None
    restamp: bool = False

    def topic(self, relative: str) -> str:
        """The bag topic of a node-relative topic name."""
        if relative in self.remaps:
            return self.remaps[relative]
        prefix = '/' + self.namespace.strip('/') if self.namespace.strip('/') else ''
        return f'{prefix}/{relative}'


@dataclass
class ReplayResult:
    """Everything the summary, report and tests need."""

    out_bag: Path
    start_ns: int = 0
    end_ns: int = 0
    messages_in: int = 0
    messages_out: int = 0
    updates: int = 0
    policy_steps: int = 0
    faults: Counter[tuple[str, FaultKind]] = field(default_factory=Counter)
    stops: Counter[str] = field(default_factory=Counter)
    events: list[Event] = field(default_factory=list)
    commands: list[tuple[int, list[float], str]] = field(default_factory=list)
    limited: int = 0  # gate outputs a velocity, acceleration or jerk limit changed
    axes: tuple[str, ...] = ()
    output_type: str = ''  # the gate's (which command topic it wrote)
    latency_ms: dict[str, list[float]] = field(default_factory=dict)
    snapshots: list[tuple[int, np.ndarray[Any, Any], np.ndarray[Any, Any]]] = field(
        default_factory=list
    )
    model_sha256: str = ''
    wall_s: float = 0.0
    deadline_ms: float = 0.0
    unused_topics: dict[str, str] = field(default_factory=dict)  # bag topic -> type, unread
    remap_hints: dict[str, str] = field(default_factory=dict)  # bag topic -> --remap to read it
    recovered: str = ''  # what was read from a bag cut short by a hard kill ('' for a whole bag)
    link: str = ''  # what the modelled link did ('' without --link)
    nondeterministic: str = ''  # why the outputs may differ run to run ('' when they cannot)
    #: the collision monitor's interventions per zone (None: the monitor was off)
    monitor_interventions: dict[str, int] | None = None
    monitor_nearest_m: float | None = None  # its nearest return to the footprint (None: none)
    #: the nearest occupied cell of perception's grid to the footprint over the run (None:
    #: none occupied): the clearance a bag without a simulator can tell
    nearest_obstacle_m: float | None = None
    #: what the replay was of: bag, params, model (path), as given
    inputs: dict[str, str] = field(default_factory=dict)

    @property
    def deadline_misses(self) -> int:
        """Policy steps that took longer than ``deadline_ms`` on this machine (0: no deadline).

        Measured in wall time for the report and CI only: the outputs never depend on it.
        """
        if self.deadline_ms <= 0:
            return 0
        return sum(ms > self.deadline_ms for ms in self.latency_ms.get('policy', []))

    @property
    def duration_s(self) -> float:
        """Bag time replayed [s] (0 for a bag without messages)."""
        return max(self.end_ns - self.start_ns, 0) / NS_PER_S


class _Timer:
    def __init__(self, start_ns: int, rate_hz: float) -> None:
        self.period = round(NS_PER_S / rate_hz)
        self.next = start_ns

    def due(self, until_ns: int) -> Iterator[int]:
        while self.next <= until_ns:
            yield self.next
            self.next += self.period


class ReplayRunner:
    """Replays one bag (see the module docstring)."""

    def __init__(self, options: ReplayOptions) -> None:
        self.options = options
        self.types = TypestoreTypes(make_typestore(options.distro))
        nodes = ('perception_node', 'policy_node', 'safety_node')
        given = load_params(options.params, nodes) if options.params else {}
        self.values = {node: resolve(node, given.get(node, {})) for node in nodes}
        self.model = self._load_model()
        self.perception = PerceptionStage(self.values['perception_node'], self.types)
        self.policy = PolicyStage(self.values['policy_node'], self.types, self.model)
        self.safety = SafetyStage(self.values['safety_node'], self.types)
        self.tf = StaticTransforms()
        self._routes = self._make_routes()
        self._step_ns = 0

    def link_summary(self) -> str:
        """What the modelled link did so far ('' without ``options.link``)."""
        link = getattr(self, '_link_session', None)
        return link.summary() if link is not None else ''

    def _load_model(self) -> PolicyModel:
        values = self.values['policy_node']
        if self.options.link is None:
            return load_policy(values, self.options.model)
        # the modelled link stands for the server: the local model runs here as the fallback
        local = load_policy({**values, 'backend': 'local'}, self.options.model)
        remote = load_policy({**values, 'backend': 'local'}, self.options.remote_model)
        check_against_model(local.contract, remote.session.get_inputs(),
                            remote.session.get_outputs())  # fmt: skip
        self._link_session = SimulatedLinkSession(
            remote.session,
            local.session,
            LinkModel.load(self.options.link),
            values['remote.timeout_ms'],
            lambda: (self._step_ns - self._result.start_ns) / NS_PER_S,
            breaker_failures=values['remote.breaker_failures'],
            breaker_backoff_s=values['remote.breaker_backoff_s'],
            hashes=(remote.sha256, local.sha256),
        )
        local.session = self._link_session
        return local

    def _make_routes(self) -> dict[str, tuple[str, str]]:
        """Bag topic -> (role, source name)."""
        routes: dict[str, tuple[str, str]] = {
            self.options.topic(t.relative): (t.role, t.source)
            for t in input_topics(self.values['perception_node'])
        }
        routes['/tf_static'] = ('tf_static', 'tf_static')  # tf2 publishes it at the root too
        # the collision monitor reads its sources itself, also where perception reads them
        self._monitor_routes: dict[str, str] = {}
        monitor = self.safety.monitor
        if monitor is not None:
            suffix = {'cloud': 'points', 'scan': 'scan', 'range': 'range'}
            for name in monitor.sources.names:
                topic = self.options.topic(f'{name}/{suffix[monitor.sources.kind(name)]}')
                self._monitor_routes[topic] = name
        return routes

    def run(
        self,
        bag: Path | str,
        out_dir: Path | str,
        *,
        progress: Callable[[float], None] | None = None,
    ) -> ReplayResult:
        """Replay ``bag``; the output bag goes to ``out_dir/output``.

        Raises:
            BagError: the bag cannot be opened, or the output exists already.
        """
        bag, out_dir = Path(bag), Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        result = ReplayResult(
            out_bag=out_dir / 'output',
            axes=tuple(self.values['safety_node']['axes']),
            output_type=str(self.values['safety_node']['output_type']),
            model_sha256=self.model.sha256,
            deadline_ms=float(self.values['policy_node']['deadline_ms']),
            inputs={
                'bag': str(bag),
                'params': str(self.options.params or '(built-in defaults)'),
                'model': str(self.model.path),
            },
        )
        wall_start = time.perf_counter()
        reader, recovery = open_bag(bag)
        result.recovered = str(recovery) if recovery is not None else ''
        try:
            with BagWriter(result.out_bag, self.types, storage='mcap') as writer:
                self._replay(reader, writer, result, progress)
        finally:
            reader.close()
        result.wall_s = time.perf_counter() - wall_start
        result.link = self.link_summary()
        if not result.link and self.values['policy_node']['backend'] != 'local':
            backend = self.values['policy_node']['backend']
            result.nondeterministic = f'the policy ran on a live server (backend {backend})'
        return result

    # --- the loop -----------------------------------------------------------------------

    def _replay(
        self,
        reader: BagReader,
        writer: BagWriter,
        result: ReplayResult,
        progress: Callable[[float], None] | None,
    ) -> None:
        # The run starts at the first message and ends at the last one read: metadata.yaml's
        # time range is not trusted (a claimed day-long duration must not tick timers for a
        # day). Its end only scales the progress bar.
        known = self._register_bag_types(reader, result)
        self._note_unused(reader, result)
        claimed_end = int(getattr(reader, 'end_time', 0) or 0)
        start: int | None = None
        last = 0
        span, shown = 1, -1
        for connection, log_ns, raw in reader.messages():
            if start is None:
                start = log_ns
                span = max(claimed_end - start, 1)
                self.begin(writer, result, start, max(claimed_end, start))
            last = max(last, log_ns)
            self.advance(log_ns)
            if connection.topic not in known:
                result.messages_in += 1
                self._gap(connection.topic, log_ns, result)
                self._fault(
                    result, log_ns, connection.topic, FaultKind.UNKNOWN_TYPE, connection.msgtype
                )
                continue
            try:
                msg = (
                    self.types.deserialize(raw, connection.msgtype)
                    if connection.topic in self._routes or connection.topic in self._monitor_routes
                    else None
                )
            except Exception as exc:  # rosbags raises several types for truncated CDR
                result.messages_in += 1
                self._gap(connection.topic, log_ns, result)
                detail = f'{type(exc).__name__}: {exc}'[:200]
                self._fault(result, log_ns, connection.topic, FaultKind.CORRUPT, detail)
                continue
            if msg is not None and self.options.restamp:
                _restamp(msg, log_ns, self.types)
            self.feed(connection.topic, msg, log_ns)
            if progress is not None:
                fraction = min((log_ns - start) / span, 1.0)
                if int(fraction * 200) != shown:
                    shown = int(fraction * 200)
                    progress(fraction)
        if start is None:  # no message: nothing ran, nothing is written
            result.start_ns = result.end_ns = 0
            return
        self.end(last)
        if progress is not None:
            progress(1.0)

    # --- the pipeline, driven by whoever has the messages (a bag, or the simulator) -------

    def begin(self, writer: BagWriter, result: ReplayResult, start_ns: int, end_ns: int) -> None:
        """Start a run at ``start_ns``; outputs go to ``writer``, counts to ``result``."""
        self._writer, self._result = writer, result
        result.start_ns = start_ns
        self._policy_timer = _Timer(start_ns, self.values['policy_node']['control_rate_hz'])
        self._safety_timer = _Timer(start_ns, self.values['safety_node']['rate_hz'])
        self._diagnostics_timer = _Timer(start_ns, 1.0)
        rate = self.options.grid_rate_hz
        self._grid_period = int(NS_PER_S / rate) if rate > 0 else 0
        self._last_grid_ns: int | None = None
        self._last_log: dict[str, int] = {}
        self._pending: list[Event] = []
        self._stale: dict[str, Stale] = {}
        self._reason = StopReason.NONE
        span = end_ns > start_ns
        self._snapshot_times = list(np.linspace(start_ns, end_ns, 6)[1:]) if span else []
        self._footprint = footprint(self.values['safety_node'])  # the monitor's, on or off

    def advance(self, until_ns: int) -> None:
        """Fire the timers due up to ``until_ns``."""
        self._timers(
            until_ns,
            self._policy_timer,
            self._safety_timer,
            self._diagnostics_timer,
            self._writer,
            self._result,
        )

    def feed(self, topic: str, msg: Any, log_ns: int) -> None:
        """Hand one input message, received at ``log_ns``, to the stage it is for."""
        self._result.messages_in += 1
        self._gap(topic, log_ns, self._result)
        route = self._routes.get(topic)
        if route is not None:
            self._dispatch(route, msg, log_ns, self._writer, self._result)
        source = self._monitor_routes.get(topic)
        if source is not None and msg is not None:
            self._monitor_input(source, msg, log_ns)

    def _monitor_input(self, source: str, msg: Any, now: int) -> None:
        """A message of one of the collision monitor's own sources (after perception's)."""
        sources = self.safety.monitor.sources if self.safety.monitor is not None else None
        assert sources is not None
        if sources.needs_transform(source):
            base = self.values['safety_node']['frame_id']
            matrix = self.tf.lookup(base, str(msg.header.frame_id))
            if matrix is not None:
                sources.set_extrinsic(source, matrix)
        outputs = self.safety.on_range_data(source, msg, now)
        if outputs:  # the monitor stopped the robot: the stop went out at once
            self._gate_output(outputs, now, self._writer, self._result)
            self._follow_gate()

    def end(self, end_ns: int) -> None:
        """Fire the last timers and close the counts at ``end_ns``."""
        self.advance(end_ns)
        self._result.end_ns = end_ns
        self._result.messages_out = self._writer.count
        monitor = self.safety.monitor
        if monitor is not None:
            self._result.monitor_interventions = dict(sorted(monitor.interventions.items()))
            nearest = monitor.nearest_m
            self._result.monitor_nearest_m = nearest if math.isfinite(nearest) else None

    def _note_unused(self, reader: BagReader, result: ReplayResult) -> None:
        """Record the bag's topics no input reads, with a ``--remap`` that would read them."""
        relative: dict[str, str] = {}
        for t in input_topics(self.values['perception_node']):
            if t.role != 'tf_static':  # a TFMessage topic is /tf at least as often: no guess
                relative.setdefault(t.msgtype, t.relative)  # the first of a type
        namespaced = bool(self.options.namespace.strip('/'))
        outputs = {self.options.topic(t.lstrip('/')) for t in OUTPUT_TOPICS}
        outputs |= {'/' + t.lstrip('/') for t in OUTPUT_TOPICS}
        for connection in reader.connections:
            if connection.topic in (*self._routes, *self._monitor_routes, *outputs):
                continue  # read, or the pipeline's own outputs of a recording: this run's win
            result.unused_topics[connection.topic] = connection.msgtype
            name = relative.get(connection.msgtype)
            if name is None:
                continue
            if namespaced and connection.topic == f'/{name}':
                result.remap_hints[connection.topic] = "--namespace '' (the bag has none)"
            else:
                result.remap_hints[connection.topic] = f'--remap {name}:={connection.topic}'

    def _register_bag_types(self, reader: BagReader, result: ReplayResult) -> set[str]:
        """Register custom types from the bag's own definitions; topics whose type is known."""
        known = set()
        store = self.types.store
        for connection in reader.connections:
            if connection.msgtype not in store.types and connection.msgdef.data:
                with contextlib.suppress(Exception):
                    store.register(get_types_from_msg(connection.msgdef.data, connection.msgtype))
            if connection.msgtype in store.types:
                known.add(connection.topic)
        return known

    def _timers(
        self,
        until_ns: int,
        policy: _Timer,
        safety: _Timer,
        diagnostics: _Timer,
        writer: BagWriter,
        result: ReplayResult,
    ) -> None:
        """Fire every timer due up to ``until_ns`` in time order (policy before safety on ties)."""
        while True:
            due = [
                (t.next, k)
                for k, t in enumerate((policy, safety, diagnostics))
                if t.next <= until_ns
            ]
            if not due:
                return
            now, which = min(due)
            if which == 0:
                policy.next += policy.period
                if self.policy.watchdog_due(now):
                    self._policy_step(now, writer, result)
                elif self.policy.chunked:  # between steps, the chunk's command for now
                    self._deliver(self.policy.chunk_outputs(now), now, writer, result)
            elif which == 1:
                self._safety_tick(now, writer, result)  # sets the next tick (_follow_gate)
            else:
                diagnostics.next += diagnostics.period
                statuses = [
                    self.perception.diagnostics(now),
                    self.policy.diagnostics(now),
                    self.safety.diagnostics(now),
                ]
                writer.write('/diagnostics', diagnostic_array(self.types, now, statuses), now)
                self._write(writer, self.safety.monitor_outputs(now), now)

    def _policy_step(
        self, now: int, writer: BagWriter, result: ReplayResult, *, new_grid: bool = False
    ) -> None:
        """One policy step; its status and command reach the gate in process, as over topics."""
        perception = self.perception.perception
        grid = perception.grid if self.perception.last_update is not None else None
        self._step_ns = now  # the modelled link's clock
        started = time.perf_counter()
        step, outputs = self.policy.step(
            now, grid, perception.twist or None, perception.iot.features(now), new_grid=new_grid
        )
        result.latency_ms.setdefault('policy', []).append((time.perf_counter() - started) * 1e3)
        result.policy_steps += step is not None
        self._deliver(outputs, now, writer, result)

    def _deliver(
        self, outputs: list[tuple[str, Any]], now: int, writer: BagWriter, result: ReplayResult
    ) -> None:
        """Write the policy's outputs and hand them to the gate, as the topics would."""
        self._write(writer, outputs, now)
        for topic, msg in outputs:  # the status first, then the command
            if topic == 'policy/status':
                self.safety.on_status(msg, now)
            else:
                # the gate sends a new command on at once; its ticks follow its slot clock
                self._gate_output(self.safety.on_command(msg, now), now, writer, result)
                self._follow_gate()

    def _safety_tick(self, now: int, writer: BagWriter, result: ReplayResult) -> None:
        self._gate_output(self.safety.tick(now), now, writer, result)
        self._follow_gate()

    def _follow_gate(self) -> None:
        """The next tick when the gate says, as safety_node's timer does."""
        assert self.safety.next_tick_ns is not None
        self._safety_timer.next = self.safety.next_tick_ns

    def _gate_output(
        self, outputs: list[tuple[str, Any]], now: int, writer: BagWriter, result: ReplayResult
    ) -> None:
        last = self.safety.last
        assert last is not None
        self._write(writer, outputs, now)
        result.commands.append((now, [float(v) for v in last.command], last.reason.name))
        result.limited += last.limited
        if last.reason is not StopReason.NONE:
            result.stops[last.reason.name] += 1
        if last.reason is not self._reason:
            kind = EventKind.RESUME if last.reason is StopReason.NONE else EventKind.STOP
            self._event(
                result,
                Event(
                    now,
                    kind,
                    'safety',
                    last.reason.value + (f': {last.detail}' if last.detail else ''),
                ),
            )
            self._reason = last.reason
        for event in self._pending:
            event.consequence = _consequence(last)
        self._pending.clear()

    def _dispatch(
        self, route: tuple[str, str], msg: Any, now: int, writer: BagWriter, result: ReplayResult
    ) -> None:
        role, source = route
        stage = self.perception
        perception = stage.perception
        drop: Drop | None = None
        if role == 'cloud':
            self._ensure_extrinsic(source, msg)
            drop = perception.on_cloud(source, msg, received_ns=now)
            if drop is None and source == perception.config.key:
                started = time.perf_counter()
                update = stage.update(stamp_to_ns(msg.header.stamp))
                result.latency_ms.setdefault('perception', []).append(
                    (time.perf_counter() - started) * 1e3
                )
                result.updates += 1
                self._track_stale(update.stale, now, result)
                self._write(writer, stage.outputs(update, grid=self._grid_due(now)), now)
                self._snapshot(update.grid, now, result)
                self._clearance(update.grid, result)
                if self.policy.grid_due(now):  # the policy steps on a new grid at once
                    self._policy_step(now, writer, result, new_grid=True)
        elif role == 'image':
            self._ensure_extrinsic(source, msg)
            compressed = stage.values['camera.compressed']
            drop = perception.on_image(source, msg, compressed=compressed, received_ns=now)
        elif role == 'camera_info':
            drop = perception.on_camera_info(source, msg)
        elif role == 'iot':
            drop = perception.on_iot(msg, source, received_ns=now)
            if drop is not None:
                # readings of sensors nobody configured are counted, not put on the timeline
                record = drop.kind is not DropKind.UNKNOWN_SENSOR
                self._fault(
                    result, now, 'iot', FaultKind.REJECTED_READING, str(drop), record=record
                )
                return
        elif role == 'odom':
            drop = perception.on_odometry(msg, received_ns=now)
        elif role == 'joint_states':
            self.policy.on_joint_state(msg)
        elif role == 'estop':
            self.safety.on_estop(bool(msg.data))
        elif role == 'tf_static':
            self.tf.add(msg)
        if drop is not None:
            self._fault(result, now, source or role, _fault_kind(drop), str(drop))

    def _ensure_extrinsic(self, source: str, msg: Any) -> None:
        perception = self.perception.perception
        if source in perception.extrinsics:
            return
        base = self.perception.values['base_frame']
        frame = str(msg.header.frame_id)
        matrix = self.tf.lookup(base, frame)
        if matrix is not None:
            perception.set_extrinsic(source, matrix, frame)

    def _grid_due(self, now: int) -> bool:
        if not self._grid_period:
            return False
        if self._last_grid_ns is None or now - self._last_grid_ns >= self._grid_period:
            self._last_grid_ns = now
            return True
        return False

    def _gap(self, topic: str, now: int, result: ReplayResult) -> None:
        last = self._last_log.get(topic)
        self._last_log[topic] = now
        if last is not None and now - last > NS_PER_S and topic in self._routes:
            gap = f'no message for {(now - last) / NS_PER_S:.2f} s'
            # a gap is seen when it ends: what the gate did is what it is doing now
            self._fault(result, now, topic, FaultKind.GAP, gap, during=self.safety.last)

    def _track_stale(self, stale: dict[str, Stale], now: int, result: ReplayResult) -> None:
        for source, why in stale.items():
            if source not in self._stale:
                self._event(result, Event(now, EventKind.STALE, source, str(why)))
        for source in self._stale:
            if source not in stale:
                self._event(result, Event(now, EventKind.FRESH, source, 'fresh again'))
        self._stale = dict(stale)

    def _clearance(self, grid: Any, result: ReplayResult) -> None:
        nearest = nearest_occupied(grid, self._footprint.signed_distance)
        if math.isfinite(nearest):
            known = result.nearest_obstacle_m
            result.nearest_obstacle_m = nearest if known is None else min(known, nearest)

    def _snapshot(self, grid: Any, now: int, result: ReplayResult) -> None:
        if self._snapshot_times and now >= self._snapshot_times[0]:
            self._snapshot_times.pop(0)
            rgb = np.stack([grid.layer(c) for c in 'rgb'], axis=-1)
            result.snapshots.append((now, grid.layer('occupancy').copy(), rgb.copy()))

    def _fault(
        self,
        result: ReplayResult,
        now: int,
        source: str,
        kind: FaultKind,
        detail: str,
        *,
        record: bool = True,
        during: GateOutput | None = None,
    ) -> None:
        """Count a fault; put it on the timeline with the gate's answer to it.

        The answer is the gate's output ``during`` the fault where given, else its next one.
        """
        result.faults[(source, kind)] += 1
        if record:
            event = Event(now, EventKind.FAULT, source, f'{kind.value}: {detail}', fault=kind)
            if self._event(result, event):
                if during is not None:
                    event.consequence = _consequence(during)
                else:
                    self._pending.append(event)

    @staticmethod
    def _event(result: ReplayResult, event: Event) -> bool:
        if len(result.events) >= MAX_EVENTS:
            return False
        result.events.append(event)
        return True

    def _write(self, writer: BagWriter, outputs: list[tuple[str, Any]], now: int) -> None:
        for topic, msg in outputs:
            writer.write(self.options.topic(topic), msg, now)


def _consequence(output: GateOutput) -> str:
    """What the gate did, for the report's fault table."""
    if output.stopping:
        return f'gate stopping ({output.reason.value})'
    return 'gate passing policy commands'


def _fault_kind(drop: Drop) -> FaultKind:
    """The fault a dropped message shows as in the report.

    A stamp a second or more behind the newest one is a clock that jumped back; a smaller step
    back is an out-of-order stamp.
    """
    if drop.kind is DropKind.DUPLICATE:
        return FaultKind.DUPLICATE
    if drop.kind is DropKind.OUT_OF_ORDER:
        return FaultKind.CLOCK_JUMP if drop.jump_back_ns > NS_PER_S else FaultKind.OUT_OF_ORDER
    if drop.kind is DropKind.STALE_ON_ARRIVAL:
        return FaultKind.STALE_ON_ARRIVAL
    if drop.kind is DropKind.FUTURE_STAMP:
        return FaultKind.FUTURE_STAMP
    return FaultKind.MALFORMED


def _restamp(msg: Any, log_ns: int, types: Any) -> None:
    """Set ``msg``'s header stamps (a TFMessage's: each transform's) to ``log_ns``."""
    headers = (
        [msg.header] if hasattr(msg, 'header')
        else [t.header for t in getattr(msg, 'transforms', ())]
    )  # fmt: skip
    for header in headers:
        header.stamp = ns_to_stamp(log_ns, types)


def replay(
    bag: Path | str,
    out_dir: Path | str,
    options: ReplayOptions | None = None,
    *,
    progress: Callable[[float], None] | None = None,
) -> ReplayResult:
    """Replay ``bag`` into ``out_dir`` (see :class:`ReplayRunner`).

    Raises:
        BagError: the bag is unreadable.
        PhysicalAiError: bad parameters or model (typed, with the reason).
    """
    return ReplayRunner(options or ReplayOptions()).run(bag, out_dir, progress=progress)


__all__ = ['Event', 'PhysicalAiError', 'ReplayOptions', 'ReplayResult', 'ReplayRunner', 'replay']
