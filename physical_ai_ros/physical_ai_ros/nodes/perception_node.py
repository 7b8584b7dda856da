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

"""perception_node: lidar, cameras and IoT in; the shared spatial grid out."""

from __future__ import annotations

from typing import Any

from nav_msgs.msg import OccupancyGrid, Odometry
from rclpy.lifecycle import LifecycleState, TransitionCallbackReturn
from rclpy.time import Time
from sensor_msgs.msg import (
    CameraInfo,
    CompressedImage,
    FluidPressure,
    Illuminance,
    Image,
    PointCloud2,
    RelativeHumidity,
    Temperature,
)
from std_msgs.msg import Float32MultiArray, MultiArrayDimension
from tf2_ros import Buffer, TransformException, TransformListener

from physical_ai_ros.core.messages.stamps import stamp_to_ns
from physical_ai_ros.core.params.schema import PERCEPTION
from physical_ai_ros.core.params.spec import ParamError
from physical_ai_ros.core.perception.reasons import Drop
from physical_ai_ros.core.perception.transforms import transform_to_matrix
from physical_ai_ros.core.stages import PerceptionStage
from physical_ai_ros.nodes.common import (
    LATEST_RELIABLE,
    LATEST_SENSOR,
    SENSOR_QOS,
    spin,
    StageNode,
    TYPES,
)
from physical_ai_ros.nodes.ros_params import declare, validator, values
from physical_ai_ros_interfaces.msg import IotReading, SpatialGrid

SCALAR_MSGS = {
    'temperature': Temperature,
    'relative_humidity': RelativeHumidity,
    'pressure': FluidPressure,
    'illuminance': Illuminance,
}


class PerceptionNode(StageNode):
    """Runs :class:`PerceptionStage` on live topics (relative names, sensor-data QoS)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__('perception_node', **kwargs)
        declare(self, PERCEPTION)
        self.add_on_set_parameters_callback(validator(self, PERCEPTION, self._reconfigure))
        self.stage: PerceptionStage  # from configure on
        self.tf_buffer = Buffer()
        self.tf_listener = TransformListener(self.tf_buffer, self)

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Lifecycle transition: check the parameters, build the stage and the ROS interfaces."""
        try:
            config = values(self, PERCEPTION)
        except ParamError as exc:
            self.get_logger().error(f'cannot configure: {exc}')
            return TransitionCallbackReturn.FAILURE
        self.stage = PerceptionStage(config, TYPES)
        self.publishers_ = {
            topic: self.own(self.create_lifecycle_publisher(kind, topic, LATEST_RELIABLE))
            for topic, kind in (
                ('grid', SpatialGrid),
                ('occupancy', OccupancyGrid),
                ('grid_cloud', PointCloud2),
                ('iot/features', Float32MultiArray),
            )
        }
        self._subscribe(config)
        self.diagnostics_timer(lambda now: self.stage.diagnostics(now))
        return TransitionCallbackReturn.SUCCESS

    def _reconfigure(self, values: dict[str, Any]) -> None:
        if self.configured:  # the new values apply from the next message
            self.stage.reconfigure(values)

    def _subscribe(self, config: dict[str, Any]) -> None:
        def sub(kind: Any, topic: str, callback: Any, qos: Any = SENSOR_QOS) -> None:
            guarded = self.guarded(callback, topic)
            self.own(
                self.create_subscription(kind, topic, guarded, qos, callback_group=self.group)
            )

        # clouds and images: only the newest is kept (depth 1), never a backlog
        for name in config['lidar.names'] if config['lidar.enabled'] else ():
            sub(PointCloud2, f'{name}/points', lambda m, n=name: self._cloud(n, m), LATEST_SENSOR)
        if config['camera.enabled']:
            compressed = config['camera.compressed']
            kind = CompressedImage if compressed else Image
            suffix = 'image_raw/compressed' if compressed else 'image_raw'
            for name in config['camera.names']:
                sub(
                    kind,
                    f'{name}/{suffix}',
                    lambda m, n=name: self._image(n, m, compressed),
                    LATEST_SENSOR,
                )
                sub(CameraInfo, f'{name}/camera_info', lambda m, n=name: self._info(n, m))
        if config['iot.enabled']:
            sub(IotReading, 'iot/readings', lambda m: self._iot(m, ''), 50)
            sensors = zip(config['iot.sensor_ids'], config['iot.quantities'], strict=True)
            for sensor, quantity in sensors:
                if quantity in SCALAR_MSGS:
                    sub(
                        SCALAR_MSGS[quantity], f'iot/{sensor}', lambda m, s=sensor: self._iot(m, s)
                    )
        if config['use_odometry']:
            sub(Odometry, 'odom', self._odometry)

    def _info(self, source: str, msg: CameraInfo) -> None:
        self._report(source, self.stage.perception.on_camera_info(source, msg))

    def _iot(self, msg: Any, sensor: str) -> None:
        self._report('iot', self.stage.perception.on_iot(msg, sensor, self.now_ns()))

    def _odometry(self, msg: Odometry) -> None:
        self._report('odom', self.stage.perception.on_odometry(msg, self.now_ns()))

    def _report(self, source: str, drop: Drop | None) -> None:
        if drop is not None:
            self.warn(source, f'{source}: dropped: {drop}')

    def _extrinsic(self, source: str, frame_id: str) -> None:
        """Take a sensor's pose from TF unless a parameter gave it."""
        perception = self.stage.perception
        if source in perception.extrinsics:
            return
        base = perception.config.base_frame
        try:
            transform = self.tf_buffer.lookup_transform(base, frame_id, Time())
        except TransformException as exc:
            self.warn(f'tf/{source}', f'{source}: no transform {base} <- {frame_id}: {exc}')
            return
        perception.set_extrinsic(source, transform_to_matrix(transform.transform), frame_id)

    def _image(self, source: str, msg: Any, compressed: bool) -> None:
        self._extrinsic(source, msg.header.frame_id)
        drop = self.stage.perception.on_image(
            source, msg, compressed=compressed, received_ns=self.now_ns()
        )
        self._report(source, drop)

    def _cloud(self, source: str, msg: PointCloud2) -> None:
        stage = self.stage
        self._extrinsic(source, msg.header.frame_id)
        drop = stage.perception.on_cloud(source, msg, received_ns=self.now_ns())
        self._report(source, drop)
        if drop is not None or source != stage.perception.config.key:
            return
        update = stage.update(stamp_to_ns(msg.header.stamp))
        for topic, out in stage.outputs(update):
            self.publishers_[topic].publish(out)
        iot = stage.perception.iot
        if iot.order:  # feature names travel in the layout label, comma-separated
            features = Float32MultiArray(data=iot.feature_vector(update.stamp_ns).tolist())
            label = ','.join(iot.order)
            features.layout.dim = [MultiArrayDimension(label=label, size=len(iot.order), stride=1)]
            self.publishers_['iot/features'].publish(features)


def main(args: list[str] | None = None) -> None:
    """Run perception_node until shutdown."""
    spin([[PerceptionNode]], args)
