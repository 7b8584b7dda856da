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

"""Pure logic of the stack, in rooms along the data path. Never imports rclpy or rosbags.

The rooms, lowest first; a room may import the rooms before it, never one after it:

- :mod:`.errors`: the typed errors every bad input raises (imports nothing of ours).
- :mod:`.files`: models, contracts and params files read with bounded work.
- :mod:`.messages`: messages to numpy and back (PointCloud2, Image, CameraInfo, stamps, commands,
  diagnostics).
- :mod:`.perception`: lidar, camera and IoT fused into the shared SpatialGrid.
- :mod:`.policy`: the contract, the observation and the onnxruntime runtime.
- :mod:`.safety`: the gate before the actuators, and how a policy step reaches it.
- :mod:`.params`: every node parameter declared once, and the configs built from them.
- :mod:`.stages`: the three stages as the nodes and replay run them, where the rooms meet.

No module here reads a clock: every call takes explicit ``stamp_ns`` / ``now_ns``.
"""
