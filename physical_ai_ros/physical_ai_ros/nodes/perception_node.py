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
import rclpy
import rclpy.executors
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
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
from std_msgs.msg import Float32MultiArray
from tf2_ros import Buffer, TransformException, TransformListener

from physical_ai_ros.core.params import ParamError
from physical_ai_ros.core.schema import PERCEPTION
from physical_ai_ros.core.stages import PerceptionStage
from physical_ai_ros.core.stamps import stamp_to_ns
from physical_ai_ros.core.transforms import transform_to_matrix
from physical_ai_ros.nodes.common import (
    diagnostics_publisher,
    LATEST_RELIABLE,
    publish_diagnostics,
    SENSOR_QOS,
    TYPES,
    warn,
)
from physical_ai_ros.nodes.ros_params import declare, validator, values
from physical_ai_ros_interfaces.msg import IotReading, SpatialGrid

SCALAR_MSGS = {
    'temperature': Temperature,
    'relative_humidity': RelativeHumidity,
    'pressure': FluidPressure,
    'illuminance': Illuminance,
}


class PerceptionNode(LifecycleNode):
    """Runs :class:`PerceptionStage` on live topics (relative names, sensor-data QoS)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__('perception_node', **kwargs)
        declare(self, PERCEPTION)
        self.add_on_set_parameters_callback(validator(self, PERCEPTION))
        self.stage: PerceptionStage | None = None
        self.tf_buffer = Buffer()
        self.tf_listener = TransformListener(self.tf_buffer, self)
        self._subscriptions: list[Any] = []

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Lifecycle transition: check the parameters, build the stage and the ROS interfaces."""
        try:
            config = values(self, PERCEPTION)
        except ParamError as exc:
            self.get_logger().error(f'cannot configure: {exc}')
            return TransitionCallbackReturn.FAILURE
        self.stage = PerceptionStage(config, TYPES)
        self.grid_pub = self.create_lifecycle_publisher(SpatialGrid, 'grid', LATEST_RELIABLE)
        self.occupancy_pub = self.create_lifecycle_publisher(
            OccupancyGrid, 'occupancy', LATEST_RELIABLE
        )
        self.cloud_pub = self.create_lifecycle_publisher(
            PointCloud2, 'grid_cloud', LATEST_RELIABLE
        )
        self.features_pub = self.create_lifecycle_publisher(
            Float32MultiArray, 'iot/features', LATEST_RELIABLE
        )
        self.diagnostics_pub = diagnostics_publisher(self)
        self._subscribe(config)
        self.diagnostics_timer = self.create_timer(1.0, self._diagnostics)
        return TransitionCallbackReturn.SUCCESS

    def _subscribe(self, config: dict[str, Any]) -> None:
        sub = self.create_subscription
        subs = self._subscriptions
        for name in config['lidar.names'] if config['lidar.enabled'] else ():
            subs.append(
                sub(PointCloud2, f'{name}/points', lambda m, n=name: self._cloud(n, m), SENSOR_QOS)
            )
        if config['camera.enabled']:
            compressed = config['camera.compressed']
            image_type, suffix = (
                (CompressedImage, 'image_raw/compressed') if compressed else (Image, 'image_raw')
            )
            for name in config['camera.names']:
                subs.append(
                    sub(
                        image_type,
                        f'{name}/{suffix}',
                        lambda m, n=name: self._image(n, m, compressed),
                        SENSOR_QOS,
                    )
                )
                subs.append(
                    sub(
                        CameraInfo,
                        f'{name}/camera_info',
                        lambda m, n=name: self._report(
                            n, self.stage.perception.on_camera_info(n, m)
                        ),
                        SENSOR_QOS,
                    )
                )
        if config['iot.enabled']:
            subs.append(
                sub(
                    IotReading,
                    'iot/readings',
                    lambda m: self._report('iot', self.stage.perception.on_iot(m)),
                    50,
                )
            )
            for sensor, quantity in zip(
                config['iot.sensor_ids'], config['iot.quantities'], strict=True
            ):
                if quantity in SCALAR_MSGS:
                    subs.append(
                        sub(
                            SCALAR_MSGS[quantity],
                            f'iot/{sensor}',
                            lambda m, s=sensor: self._report(
                                'iot', self.stage.perception.on_iot(m, s)
                            ),
                            SENSOR_QOS,
                        )
                    )
        if config['use_odometry']:
            subs.append(
                sub(
                    Odometry,
                    'odom',
                    lambda m: self._report('odom', self.stage.perception.on_odometry(m)),
                    SENSOR_QOS,
                )
            )

    def _report(self, source: str, reason: str) -> None:
        if reason:
            warn(self, source, f'{source}: dropped: {reason}')

    def _extrinsic(self, source: str, frame_id: str) -> None:
        """Take a sensor's pose from TF unless a parameter gave it."""
        perception = self.stage.perception
        if source in perception.extrinsics:
            return
        try:
            transform = self.tf_buffer.lookup_transform(
                perception.config.base_frame, frame_id, Time()
            )
        except TransformException as exc:
            warn(
                self,
                f'tf/{source}',
                f'{source}: no transform {perception.config.base_frame} <- {frame_id}: {exc}',
            )
            return
        perception.set_extrinsic(source, transform_to_matrix(transform.transform))

    def _image(self, source: str, msg: Any, compressed: bool) -> None:
        self._extrinsic(source, msg.header.frame_id)
        self._report(source, self.stage.perception.on_image(source, msg, compressed=compressed))

    def _cloud(self, source: str, msg: PointCloud2) -> None:
        stage = self.stage
        self._extrinsic(source, msg.header.frame_id)
        reason = stage.perception.on_cloud(source, msg)
        self._report(source, reason)
        if reason or source != stage.perception.config.key:
            return
        update = stage.update(stamp_to_ns(msg.header.stamp))
        publishers = {
            'grid': self.grid_pub,
            'occupancy': self.occupancy_pub,
            'grid_cloud': self.cloud_pub,
        }
        for topic, out in stage.outputs(update):
            publishers[topic].publish(out)
        ids = stage.perception.iot.order
        if ids:
            features = Float32MultiArray(
                data=stage.perception.iot.feature_vector(update.stamp_ns).tolist()
            )
            features.layout.dim = [
                TYPES.get('std_msgs/msg/MultiArrayDimension')(
                    label=','.join(ids), size=len(ids), stride=len(ids)
                )
            ]
            self.features_pub.publish(features)

    def _diagnostics(self) -> None:
        publish_diagnostics(self, self.diagnostics_pub, [self.stage.diagnostics()])

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Lifecycle transition: release the ROS interfaces and the stage."""
        for subscription in self._subscriptions:
            self.destroy_subscription(subscription)
        self._subscriptions.clear()
        self.destroy_timer(self.diagnostics_timer)
        for publisher in (
            self.grid_pub,
            self.occupancy_pub,
            self.cloud_pub,
            self.features_pub,
            self.diagnostics_pub,
        ):
            self.destroy_publisher(publisher)
        self.stage = None
        return TransitionCallbackReturn.SUCCESS


def main(args: list[str] | None = None) -> None:
    """Run perception_node until shutdown."""
    rclpy.init(args=args)
    node = PerceptionNode()
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
