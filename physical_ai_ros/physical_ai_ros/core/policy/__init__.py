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

"""Policy: the grid, IoT features and robot state in, one raw action (or a chunk) out.

This room owns the contract between a model and the robot (which grid layers, features and
state feed which input tensor, which output drives which command axis), the assembly of the
observation tensors, the onnxruntime runtime (providers, sha256 pin, warm-up, deadline,
swap after validation), action chunks played on the control clock (:mod:`.chunks`), and the
deterministic model of a link to a remote policy (:mod:`.link`). It may import messages and
perception (the grid it reads); never safety, params or stages.
"""
