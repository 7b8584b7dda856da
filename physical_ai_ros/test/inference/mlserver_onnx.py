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

"""An ONNX runtime for MLServer: the second Open Inference Protocol server the client is tried on.

MLServer ships no ONNX runtime; this one runs the model with onnxruntime, as MLServer's
custom-runtime guide does for other frameworks. Only the tests load it.
"""

from __future__ import annotations

from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse
import numpy as np
import onnxruntime as ort


class OnnxRuntime(MLModel):
    """One ONNX model, float32 tensors in and out."""

    async def load(self) -> bool:
        """Open the model file named by the model settings' ``parameters.uri``."""
        self.session = ort.InferenceSession(
            self.settings.parameters.uri, providers=['CPUExecutionProvider']
        )
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        """Run the model on the request's inputs."""
        feeds = {
            item.name: NumpyCodec.decode_input(item).astype(np.float32) for item in payload.inputs
        }
        names = [output.name for output in self.session.get_outputs()]
        results = self.session.run(names, feeds)
        return InferenceResponse(
            model_name=self.name,
            outputs=[
                NumpyCodec.encode_output(name, value)
                for name, value in zip(names, results, strict=True)
            ],
        )
