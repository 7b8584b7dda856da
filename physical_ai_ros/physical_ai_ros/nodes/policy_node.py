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

"""policy_node: the grid and robot state in; the raw command and a status out, at a fixed rate."""

from __future__ import annotations

import time
from typing import Any

from nav_msgs.msg import Odometry
from rcl_interfaces.msg import SetParametersResult
from rclpy.lifecycle import LifecycleState, TransitionCallbackReturn
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState
from std_msgs.msg import Float32MultiArray, Float64MultiArray

from physical_ai_ros.core.errors import PhysicalAiError
from physical_ai_ros.core.messages.commands import TWIST_AXES
from physical_ai_ros.core.params.schema import POLICY
from physical_ai_ros.core.params.spec import ParamError
from physical_ai_ros.core.perception.grid import msg_to_grid
from physical_ai_ros.core.stages import PolicyStage
from physical_ai_ros.nodes.common import LATEST_RELIABLE, SENSOR_QOS, spin, StageNode, TYPES
from physical_ai_ros.nodes.ros_params import declare, plain, validator, values
from physical_ai_ros.policies.loading import load_policy
from physical_ai_ros_interfaces.msg import PolicyStatus, SpatialGrid


class PolicyNode(StageNode):
    """Runs :class:`PolicyStage` at ``control_rate_hz`` on the newest inputs."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__('policy_node', **kwargs)
        declare(self, POLICY)
        self._check = validator(self, POLICY)
        self.add_on_set_parameters_callback(self._on_set)
        self.stage: PolicyStage  # from configure on
        self.grid: Any = None
        self.twist: dict[str, float] | None = None
        self.iot: dict[str, float] | None = None

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Lifecycle transition: check the parameters, build the stage and the ROS interfaces."""
        try:
            self.config = values(self, POLICY)
            model = load_policy(self.config)
        except (ParamError, PhysicalAiError) as exc:
            self.get_logger().error(f'cannot configure: {exc}')
            return TransitionCallbackReturn.FAILURE
        for warning in model.warnings:
            self.get_logger().warning(warning)
        self.get_logger().info(f'model {model.path} sha256 {model.sha256} on {model.providers}')
        self.stage = PolicyStage(self.config, TYPES, model, stopwatch=time.perf_counter_ns)
        publish = self.create_lifecycle_publisher
        self.command_pub = self.own(publish(Float64MultiArray, 'policy/command', LATEST_RELIABLE))
        self.status_pub = self.own(publish(PolicyStatus, 'policy/status', LATEST_RELIABLE))
        joints = self.stage.on_joint_state
        for kind, topic, callback, qos in (
            (SpatialGrid, 'grid', self._grid, LATEST_RELIABLE),
            (Odometry, 'odom', self._odom, SENSOR_QOS),
            (JointState, 'joint_states', joints, SENSOR_QOS),
            (Float32MultiArray, 'iot/features', self._features, LATEST_RELIABLE),
        ):
            self.own(self.create_subscription(kind, topic, self.guarded(callback, topic), qos))
        period = 1.0 / self.config['control_rate_hz']
        self.own(self.create_timer(period, self.guarded(self._step, 'step')))
        self.diagnostics_timer(lambda: self.stage.diagnostics())
        return TransitionCallbackReturn.SUCCESS

    def _grid(self, msg: SpatialGrid) -> None:
        try:
            self.grid = msg_to_grid(msg)
        except PhysicalAiError as exc:
            self.warn('grid', f'grid dropped: {exc}')

    def _odom(self, msg: Odometry) -> None:
        twist = msg.twist.twist
        self.twist = {axis: getattr(getattr(twist, axis[:-2]), axis[-1]) for axis in TWIST_AXES}

    def _features(self, msg: Float32MultiArray) -> None:
        names = msg.layout.dim[0].label.split(',') if msg.layout.dim else []
        self.iot = {n: float(v) for n, v in zip(names, msg.data, strict=False) if v == v}  # no NaN

    def _step(self) -> None:
        if not self.active:
            return
        _, outputs = self.stage.step(self.now_ns(), self.grid, self.twist, self.iot)
        for topic, msg in outputs:
            (self.command_pub if topic == 'policy/command' else self.status_pub).publish(msg)

    def _on_set(self, parameters: list[Parameter]) -> SetParametersResult:
        """Check new values; a new model_path is loaded and switched to only once it validated."""
        result = self._check(parameters)
        if not result.successful:
            return result
        for parameter in parameters:
            if parameter.name == 'model_path' and hasattr(self, 'stage'):
                try:
                    model = load_policy(self.config, plain(parameter.value))
                except PhysicalAiError as exc:
                    return SetParametersResult(
                        successful=False, reason=f'kept the current model: {exc}'
                    )
                self.stage.runtime.swap(model)
                self.get_logger().info(f'switched to model {model.path} sha256 {model.sha256}')
        return SetParametersResult(successful=True)


def main(args: list[str] | None = None) -> None:
    """Run policy_node until shutdown."""
    spin(PolicyNode, args)
