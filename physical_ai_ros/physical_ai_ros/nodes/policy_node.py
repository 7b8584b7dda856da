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

from pathlib import Path
import time
from typing import Any

from nav_msgs.msg import Odometry
from rcl_interfaces.msg import SetParametersResult
import rclpy
import rclpy.executors
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState
from std_msgs.msg import Float32MultiArray, Float64MultiArray

from physical_ai_ros.core.errors import PhysicalAiError
from physical_ai_ros.core.grid import msg_to_grid
from physical_ai_ros.core.params import ParamError
from physical_ai_ros.core.policy import PolicyModel
from physical_ai_ros.core.schema import POLICY
from physical_ai_ros.core.stages import PolicyStage
from physical_ai_ros.nodes.common import (
    diagnostics_publisher,
    LATEST_RELIABLE,
    now_ns,
    publish_diagnostics,
    SENSOR_QOS,
    TYPES,
    warn,
)
from physical_ai_ros.nodes.ros_params import declare, plain, validator, values
from physical_ai_ros_interfaces.msg import PolicyStatus, SpatialGrid


def load_model(config: dict[str, Any], model_path: str | None = None) -> PolicyModel:
    """Load the configured model (the reference policy when ``model_path`` is empty)."""
    path = model_path if model_path is not None else config['model_path']
    if not path:
        from physical_ai_ros.policies.reference import write_reference_policy

        path = str(
            write_reference_policy(
                Path.home() / '.cache' / 'physical_ai_ros' / 'reference_policy.onnx'
            )
        )
    return PolicyModel.load(
        path,
        contract_path=config['contract_path'] or None,
        providers=config['providers'],
        intra_op_threads=config['intra_op_threads'],
        inter_op_threads=config['inter_op_threads'],
        expected_sha256=config['model_sha256'],
    )


class PolicyNode(LifecycleNode):
    """Runs :class:`PolicyStage` at ``control_rate_hz`` on the newest inputs."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__('policy_node', **kwargs)
        declare(self, POLICY)
        self._check = validator(self, POLICY)
        self.add_on_set_parameters_callback(self._on_set)
        self.stage: PolicyStage | None = None
        self.active = False
        self.grid: Any = None
        self.twist: dict[str, float] | None = None
        self.iot: dict[str, float] | None = None

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Lifecycle transition: check the parameters, build the stage and the ROS interfaces."""
        try:
            self.config = values(self, POLICY)
            model = load_model(self.config)
        except (ParamError, PhysicalAiError) as exc:
            self.get_logger().error(f'cannot configure: {exc}')
            return TransitionCallbackReturn.FAILURE
        for warning in model.warnings:
            self.get_logger().warning(warning)
        self.get_logger().info(f'model {model.path} sha256 {model.sha256} on {model.providers}')
        self.stage = PolicyStage(self.config, TYPES, model, stopwatch=time.perf_counter_ns)
        self.command_pub = self.create_lifecycle_publisher(
            Float64MultiArray, 'policy/command', LATEST_RELIABLE
        )
        self.status_pub = self.create_lifecycle_publisher(
            PolicyStatus, 'policy/status', LATEST_RELIABLE
        )
        self.diagnostics_pub = diagnostics_publisher(self)
        self.subs = [
            self.create_subscription(SpatialGrid, 'grid', self._grid, LATEST_RELIABLE),
            self.create_subscription(Odometry, 'odom', self._odom, SENSOR_QOS),
            self.create_subscription(
                JointState, 'joint_states', lambda m: self.stage.on_joint_state(m), SENSOR_QOS
            ),
            self.create_subscription(
                Float32MultiArray, 'iot/features', self._features, LATEST_RELIABLE
            ),
        ]
        self.timer = self.create_timer(1.0 / self.config['control_rate_hz'], self._step)
        self.diagnostics_timer = self.create_timer(
            1.0,
            lambda: publish_diagnostics(self, self.diagnostics_pub, [self.stage.diagnostics()]),
        )
        return TransitionCallbackReturn.SUCCESS

    def _grid(self, msg: SpatialGrid) -> None:
        try:
            self.grid = msg_to_grid(msg)
        except PhysicalAiError as exc:
            warn(self, 'grid', f'grid dropped: {exc}')

    def _odom(self, msg: Odometry) -> None:
        lin, ang = msg.twist.twist.linear, msg.twist.twist.angular
        self.twist = {
            'linear.x': lin.x,
            'linear.y': lin.y,
            'linear.z': lin.z,
            'angular.x': ang.x,
            'angular.y': ang.y,
            'angular.z': ang.z,
        }

    def _features(self, msg: Float32MultiArray) -> None:
        names = msg.layout.dim[0].label.split(',') if msg.layout.dim else []
        self.iot = {
            n: float(v) for n, v in zip(names, msg.data, strict=False) if v == v
        }  # drop NaN

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Lifecycle transition: start passing data through."""
        self.active = True
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Lifecycle transition: stop passing data through."""
        self.active = False
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Lifecycle transition: release the ROS interfaces and the stage."""
        for timer in (self.timer, self.diagnostics_timer):
            self.destroy_timer(timer)
        for subscription in self.subs:
            self.destroy_subscription(subscription)
        for publisher in (self.command_pub, self.status_pub, self.diagnostics_pub):
            self.destroy_publisher(publisher)
        self.stage = None
        return TransitionCallbackReturn.SUCCESS

    def _step(self) -> None:
        if not self.active:
            return
        _, outputs = self.stage.step(now_ns(self), self.grid, self.twist, self.iot)
        for topic, msg in outputs:
            (self.command_pub if topic == 'policy/command' else self.status_pub).publish(msg)

    def _on_set(self, parameters: list[Parameter]) -> SetParametersResult:
        """Check new values; a new model_path is loaded and switched to only once it validated."""
        result = self._check(parameters)
        if not result.successful:
            return result
        for parameter in parameters:
            if parameter.name == 'model_path' and self.stage is not None:
                try:
                    model = load_model(self.config, plain(parameter.value))
                except PhysicalAiError as exc:
                    return SetParametersResult(
                        successful=False, reason=f'kept the current model: {exc}'
                    )
                self.stage.runtime.swap(model)
                self.get_logger().info(f'switched to model {model.path} sha256 {model.sha256}')
        return SetParametersResult(successful=True)


def main(args: list[str] | None = None) -> None:
    """Run policy_node until shutdown."""
    rclpy.init(args=args)
    node = PolicyNode()
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
