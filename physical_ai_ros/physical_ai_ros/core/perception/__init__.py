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

"""Perception: sensors in, the shared :class:`~.grid.SpatialGrid` out.

This room owns everything between a decoded message and the grid: rigid transforms and static
TF, lidar cropping and voxel filtering, ground separation, camera colouring, IoT tracking and
fields, the bridge from factory MQTT messages to IoT readings (:mod:`.bridge`), source
freshness, occupancy mapping with decay and ego-motion, and the
:class:`~.perception.Perception` stage object that runs them in order. Why a message was
dropped or a source left out travels as data (:mod:`.reasons`). It may import
:mod:`~physical_ai_ros.core.messages` and :mod:`~physical_ai_ros.core.errors`; never policy,
safety, params or stages.
"""
