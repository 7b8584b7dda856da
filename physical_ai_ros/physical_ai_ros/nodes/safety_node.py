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

from typing import Any

from geometry_msgs.msg import Twist, TwistStamped
import numpy as np
from rclpy.lifecycle import LifecycleState, TransitionCallbackReturn
from std_msgs.msg import Bool, Float64MultiArray
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory

from physical_ai_ros.core.messages.commands import build_command
from physical_ai_ros.core.params.schema import SAFETY
from physical_ai_ros.core.params.spec import ParamError
from physical_ai_ros.core.stages import SafetyStage
from physical_ai_ros.nodes.common import LATEST_RELIABLE, spin, StageNode, TYPES
from physical_ai_ros.nodes.ros_params import declare, validator, values
from physical_ai_ros_interfaces.msg import PolicyStatus

OUTPUT_TYPES = {
    'twist': Twist,
    'twist_stamped': TwistStamped,
    'float64_array': Float64MultiArray,
    'joint_trajectory': JointTrajectory,
}


class SafetyNode(StageNode):
    """Runs :class:`SafetyStage`: the gate publishes at ``rate_hz`` whatever the policy does.

    Its publisher is a plain one, not a lifecycle one: an inactive gate still sends stops.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__('safety_node', **kwargs)
        declare(self, SAFETY)
        self.add_on_set_parameters_callback(validator(self, SAFETY))
        self.stage: SafetyStage  # from configure on

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Lifecycle transition: check the parameters, build the stage and the ROS interfaces."""
        try:
            config = values(self, SAFETY)
        except ParamError as exc:
            self.get_logger().error(f'cannot configure: {exc}')
            return TransitionCallbackReturn.FAILURE
        stage = self.stage = SafetyStage(config, TYPES)
        kind = OUTPUT_TYPES[config['output_type']]
        self.command_pub = self.own(self.create_publisher(kind, stage.topic, LATEST_RELIABLE))
        on_status = lambda m: stage.on_status(m, self.now_ns())  # noqa: E731
        on_estop = lambda m: stage.on_estop(bool(m.data))  # noqa: E731
        for msg_type, topic, callback in (
            (Float64MultiArray, 'policy/command', self._command),
            (PolicyStatus, 'policy/status', on_status),
            (Bool, 'estop', on_estop),
        ):
            guarded = self.guarded(callback, topic)
            self.own(self.create_subscription(msg_type, topic, guarded, LATEST_RELIABLE))
        self.own(self.create_service(Trigger, '~/reset', self._reset))
        self.own(self.create_timer(1.0 / config['rate_hz'], self._tick))
        self.diagnostics_timer(stage.diagnostics)
        return TransitionCallbackReturn.SUCCESS

    def _command(self, msg: Float64MultiArray) -> None:
        if self.active:  # an inactive gate passes nothing through
            self.stage.on_command(msg, self.now_ns())

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

    def _reset(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        response.success, response.message = self.stage.gate.reset()
        self.get_logger().info(f'reset requested: {response.message}')
        return response


def main(args: list[str] | None = None) -> None:
    """Run safety_node until shutdown."""
    spin(SafetyNode, args)
