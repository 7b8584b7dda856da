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

"""Message codecs: ROS messages to numpy and back, zero-copy where the layout allows.

This room owns the bytes of the wire: PointCloud2 of any layout, Image and CompressedImage in
every common encoding, CameraInfo as a pinhole model, Time stamps and headers, the actuator
command messages (Twist, TwistStamped, Float64MultiArray, JointTrajectory) and
DiagnosticArray, and the factory's MQTT payloads (:mod:`.payloads`: JSON or numbers, units,
quality). Messages are duck-typed by their ROS field names, so rclpy objects and
rosbags dataclasses both work; where a message is built, its classes come in through
:class:`~physical_ai_ros.core.messages.msgtypes.MessageTypes`. It may import only
:mod:`physical_ai_ros.core.errors`, numpy and OpenCV; every other room may import it.
"""
