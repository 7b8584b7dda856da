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

"""safety_node: the policy's command in; safe actuator commands out at a fixed rate."""

from __future__ import annotations

import functools
from typing import Any

from geometry_msgs.msg import PolygonStamped, Twist, TwistStamped
import numpy as np
from rclpy.lifecycle import LifecycleState, TransitionCallbackReturn
from rclpy.time import Time
from sensor_msgs.msg import LaserScan, PointCloud2, Range
from std_msgs.msg import Bool, Float64MultiArray
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory

from physical_ai_ros.core.messages.commands import build_command
from physical_ai_ros.core.params.schema import SAFETY
from physical_ai_ros.core.params.spec import ParamError
from physical_ai_ros.core.perception.transforms import transform_to_matrix
from physical_ai_ros.core.stages import SafetyStage
from physical_ai_ros.nodes.common import LATEST_RELIABLE, LATEST_SENSOR, spin, StageNode, TYPES
from physical_ai_ros.nodes.ros_params import declare, validator, values
from physical_ai_ros_interfaces.msg import PolicyStatus

#: The collision monitor's sources: message type and topic suffix (``<name>/points``, ...).
MONITOR_SOURCES = {'cloud': (PointCloud2, 'points'), 'scan': (LaserScan, 'scan'),
                   'range': (Range, 'range')}  # fmt: skip

OUTPUT_TYPES = {
    'twist': Twist,
    'twist_stamped': TwistStamped,
    'float64_array': Float64MultiArray,
    'joint_trajectory': JointTrajectory,
}


class SafetyNode(StageNode):
    """Runs :class:`SafetyStage`: the gate publishes at ``rate_hz`` whatever the policy does.

    A new command is sent on at once and takes a slot of the rate (the timer moves so the rate
    stays ``rate_hz``); an engaged e-stop and a parameter change are sent on at once too. Its
    publisher is a plain one, not a lifecycle one: an inactive gate still sends stops, and a
    stop is its last message when the node exits.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__('safety_node', **kwargs)
        declare(self, SAFETY)
        self.add_on_set_parameters_callback(validator(self, SAFETY, self._reconfigure))
        self.stage: SafetyStage  # from configure on

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Lifecycle transition: check the parameters, build the stage and the ROS interfaces."""
        try:
            config = values(self, SAFETY)
        except ParamError as exc:
            self.get_logger().error(f'cannot configure: {exc}')
            return TransitionCallbackReturn.FAILURE
        stage = self.stage = SafetyStage(config, TYPES)
        self.thread_priority = config['thread_priority']  # the lane applies it (spin)
        kind = OUTPUT_TYPES[config['output_type']]
        self.command_pub = self.own(self.create_publisher(kind, stage.topic, LATEST_RELIABLE))
        on_status = lambda m: stage.on_status(m, self.now_ns())  # noqa: E731
        group = self.group
        # the status before the command: when both wait, the gate first learns the policy runs
        for msg_type, topic, callback in (
            (PolicyStatus, 'policy/status', on_status),
            (Float64MultiArray, 'policy/command', self._command),
            (Bool, 'estop', self._estop),
        ):
            guarded = self.guarded(callback, topic)
            self.own(
                self.create_subscription(
                    msg_type, topic, guarded, LATEST_RELIABLE, callback_group=group
                )
            )
        if stage.monitor is not None:
            self._monitor_interfaces(stage)
        self.own(self.create_service(Trigger, '~/reset', self._reset, callback_group=group))
        period = 1.0 / config['rate_hz']
        self.timer = self.own(self.create_timer(period, self._tick, callback_group=group))
        self.diagnostics_timer(stage.diagnostics)
        return TransitionCallbackReturn.SUCCESS

    def _monitor_interfaces(self, stage: SafetyStage) -> None:
        """Subscribe to the monitor's own range sensors; publish its field and zones.

        On the gate's callback group, so in the composed node the check runs on the gate's
        executor, never behind perception. Kept-last 1: the newest returns only.
        """
        assert stage.monitor is not None
        sources = stage.monitor.sources
        from physical_ai_ros.replay.typestore import TypestoreTypes  # rosbags: CDR decoding

        self.cdr = TypestoreTypes()
        if any(sources.needs_transform(name) for name in sources.names):
            from tf2_ros import Buffer, TransformListener

            self.tf_buffer = Buffer()
            self.tf_listener = TransformListener(self.tf_buffer, self)
        for name in sources.names:
            kind = sources.kind(name)
            msg_type, suffix = MONITOR_SOURCES[kind]
            handle = self._raw_cloud if kind == 'cloud' else self._range_data
            callback = self.guarded(functools.partial(handle, name), name)
            self.own(
                self.create_subscription(
                    msg_type, f'{name}/{suffix}', callback, LATEST_SENSOR,
                    callback_group=self.group, raw=kind == 'cloud',
                )
            )  # fmt: skip
        self.polygon_pubs: dict[str, Any] = {}

        def publish_field() -> None:
            for topic, msg in stage.monitor_outputs(self.now_ns()):
                if topic not in self.polygon_pubs:
                    self.polygon_pubs[topic] = self.own(
                        self.create_publisher(PolygonStamped, topic, LATEST_RELIABLE)
                    )
                self.polygon_pubs[topic].publish(msg)

        self.own(self.create_timer(0.2, publish_field, callback_group=self.group))

    def _raw_cloud(self, source: str, data: bytes) -> None:
        """A cloud as CDR bytes, decoded with rosbags: its data a view, not a copy.

        rclpy's typed message copies a 4.2 MB cloud into Python while the gate's thread holds
        the interpreter lock (1.3 ms median, 3.5 ms p99 here); rosbags' view costs 0.4 ms
        (``bench/live.py`` measures both). The fields are the same, so core reads either.
        """
        self._range_data(source, self.cdr.deserialize(data, 'sensor_msgs/msg/PointCloud2'))

    def _range_data(self, source: str, msg: Any) -> None:
        """A monitor source's message: a stop it calls for goes out at once."""
        sources = self.stage.monitor.sources if self.stage.monitor is not None else None
        assert sources is not None
        if sources.needs_transform(source):
            base = self.stage.values['frame_id']
            try:
                transform = self.tf_buffer.lookup_transform(base, msg.header.frame_id, Time())
            except Exception as exc:  # tf2's TransformException family
                self.warn(f'tf/{source}', f'{source}: no transform {base} <- '
                          f'{msg.header.frame_id}: {exc}')  # fmt: skip
            else:
                sources.set_extrinsic(source, transform_to_matrix(transform.transform))
        outputs = self.stage.on_range_data(source, msg, self.now_ns())
        if outputs:
            self._send(outputs)

    def _reconfigure(self, values: dict[str, Any]) -> None:
        if self.configured:  # new limits apply at once
            self.stage.reconfigure(values)
            self._tick()  # an output under the new limits now, not at the next tick

    def _command(self, msg: Float64MultiArray) -> None:
        if self.active:  # an inactive gate passes nothing through
            self._send(self.stage.on_command(msg, self.now_ns()))

    def _estop(self, msg: Bool) -> None:
        self.stage.on_estop(bool(msg.data))
        if msg.data:  # stop now, not at the next tick
            self._tick()

    def _send(self, outputs: list[tuple[str, Any]]) -> None:
        """Publish a command sent on at once; the next tick moves as the stage says."""
        for _, out in outputs:
            self.command_pub.publish(out)
        assert self.stage.next_tick_ns is not None
        self._schedule(self.stage.next_tick_ns - self.now_ns())

    def _schedule(self, delay_ns: int) -> None:
        """Fire the periodic timer ``delay_ns`` from now (then every period, see _tick)."""
        self.timer.timer_period_ns = max(int(delay_ns), 1_000_000)
        self.timer.reset()

    def _tick(self) -> None:
        now = self.now_ns()
        try:
            outputs = self.stage.tick(now)
        except Exception as exc:
            self.warn('tick', f'gate failed, sending a stop: {type(exc).__name__}: {exc}')
            values = self.stage.values
            zero = np.zeros(len(values['axes']))
            stop = build_command(
                values['output_type'],
                tuple(values['axes']),
                zero,
                TYPES,
                stamp_ns=now,
                frame_id=values['frame_id'],
            )
            outputs = [(self.stage.topic, stop)]
        for _, msg in outputs:
            self.command_pub.publish(msg)
        period, due = self.stage.period_ns, self.stage.next_tick_ns
        delay = period if due is None else due - now
        if delay != period or self.timer.timer_period_ns != period:
            self._schedule(delay)  # a shifted tick, or back to the rate after a moved one

    def on_exit(self) -> None:
        """Send a stop as the last word, so the actuators do not hold the last command."""
        if self.configured:
            self.stage.on_estop(True)  # latched: whatever arrives from here on stops
            self._tick()

    def _reset(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        response.success, response.message = self.stage.reset()
        self.get_logger().info(f'reset requested: {response.message}')
        return response


def main(args: list[str] | None = None) -> None:
    """Run safety_node until shutdown."""
    spin([[SafetyNode]], args)
