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

"""Edge-cloud inference over the Open Inference Protocol (KServe v2) on gRPC.

:mod:`.server` hosts an ONNX policy (``physical-ai serve``), :mod:`.client` is the robot's
remote session, :mod:`.hybrid` puts the local model behind it, and :mod:`.tls` reads the
certificate files. Sessions here have onnxruntime's ``run(output_names, feeds)``, so the
policy runtime in core runs a remote model exactly as a local one. Wall time (timeouts, the
breaker) lives here, never in core.
"""
