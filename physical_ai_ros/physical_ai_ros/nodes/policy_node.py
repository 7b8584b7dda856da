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

"""policy_node: the grid and robot state in; the raw command and a status out, per new grid."""

from __future__ import annotations

import time
from typing import Any

from nav_msgs.msg import Odometry
from rclpy.lifecycle import LifecycleState, TransitionCallbackReturn
from sensor_msgs.msg import JointState
from std_msgs.msg import Float32MultiArray, Float64MultiArray

from physical_ai_ros.core.errors import PhysicalAiError
from physical_ai_ros.core.messages.commands import TWIST_AXES
from physical_ai_ros.core.params.schema import POLICY
from physical_ai_ros.core.params.spec import ParamError
from physical_ai_ros.core.perception.grid import msg_to_grid
from physical_ai_ros.core.stages import PolicyStage
from physical_ai_ros.nodes.common import LATEST_RELIABLE, SENSOR_QOS, spin, StageNode, TYPES
from physical_ai_ros.nodes.ros_params import declare, validator, values
from physical_ai_ros.policies.loading import load_policy
from physical_ai_ros_interfaces.msg import PolicyStatus, SpatialGrid

#: Parameters whose change loads the model again.
MODEL_PARAMETERS = ('model_path', 'contract_path', 'model_sha256', 'providers')


class PolicyNode(StageNode):
    """Runs :class:`PolicyStage`: a step on every new grid, a watchdog at ``control_rate_hz``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__('policy_node', **kwargs)
        declare(self, POLICY)
        self.add_on_set_parameters_callback(validator(self, POLICY, self._reconfigure))
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
            guarded = self.guarded(callback, topic)
            self.own(
                self.create_subscription(kind, topic, guarded, qos, callback_group=self.group)
            )
        period = 1.0 / self.config['control_rate_hz']
        watchdog = self.guarded(self._watchdog, 'step')
        self.own(self.create_timer(period, watchdog, callback_group=self.group))
        self.diagnostics_timer(lambda now: self.stage.diagnostics(now))
        return TransitionCallbackReturn.SUCCESS

    def _grid(self, msg: SpatialGrid) -> None:
        try:
            self.grid = msg_to_grid(msg)
        except PhysicalAiError as exc:
            self.warn('grid', f'grid dropped: {exc}')
            return
        now = self.now_ns()
        if self.stage.grid_due(now):  # the event-driven path: no waiting for the timer
            self._step(now, new_grid=True)

    def _watchdog(self) -> None:
        now = self.now_ns()
        if self.stage.watchdog_due(now):
            self._step(now)
        elif self.active and self.stage.chunked:  # between steps: the chunk's command for now
            self._publish(self.stage.chunk_outputs(now))

    def _odom(self, msg: Odometry) -> None:
        twist = msg.twist.twist
        self.twist = {axis: getattr(getattr(twist, axis[:-2]), axis[-1]) for axis in TWIST_AXES}

    def _features(self, msg: Float32MultiArray) -> None:
        names = msg.layout.dim[0].label.split(',') if msg.layout.dim else []
        self.iot = {n: float(v) for n, v in zip(names, msg.data, strict=False) if v == v}  # no NaN

    def _step(self, now: int, *, new_grid: bool = False) -> None:
        if not self.active:
            return
        _, outputs = self.stage.step(now, self.grid, self.twist, self.iot, new_grid=new_grid)
        self._publish(outputs)

    def _publish(self, outputs: list[tuple[str, Any]]) -> None:
        for topic, msg in outputs:  # the status first, then the command
            (self.command_pub if topic == 'policy/command' else self.status_pub).publish(msg)

    def _reconfigure(self, values: dict[str, Any]) -> None:
        """New values from the next step on; a new model only once it loaded and validated."""
        if not self.configured:
            return
        model = None
        if any(values[k] != self.config[k] for k in MODEL_PARAMETERS):
            try:
                model = load_policy(values)
            except PhysicalAiError as exc:
                raise ValueError(f'kept the current model: {exc}') from exc
            self.get_logger().info(f'switched to model {model.path} sha256 {model.sha256}')
        self.stage.reconfigure(values, model)
        self.config = values


def main(args: list[str] | None = None) -> None:
    """Run policy_node until shutdown."""
    spin([[PolicyNode]], args)
