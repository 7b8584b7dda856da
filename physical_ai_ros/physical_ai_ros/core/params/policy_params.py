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


"""policy_node's parameters: the model, its contract and pin, providers, rates and deadlines."""

from __future__ import annotations

from physical_ai_ros.core.params.spec import ParamSet, ParamSpec
from physical_ai_ros.core.policy.runtime import PROVIDER_ALIASES

P = ParamSpec

# One line or two per parameter, so that the table reads on a screen.
# fmt: off
POLICY = ParamSet(
    'policy_node',
    (
        P('model_path', 'string', '', 'ONNX policy; "" = the built-in reference policy.'),
        P('contract_path', 'string', '', 'Contract YAML; "" = embedded in the model or '
          'MODEL.contract.yaml.'),
        P('model_sha256', 'string', '', 'Refuse the model unless its sha256 matches ("" = no '
          'pin).'),
        P('providers', 'string_array', ['cpu'], 'Execution providers in order of preference; '
          'CPU is always the fallback.', choices=tuple(PROVIDER_ALIASES)),
        P('intra_op_threads', 'int', 1, 'onnxruntime threads inside an operator.', '', 1, 64,
          read_only=True),
        P('inter_op_threads', 'int', 1, 'onnxruntime threads across operators.', '', 1, 64,
          read_only=True),
        P('control_rate_hz', 'double', 10.0, 'Control rate: the policy steps on each new grid, '
          'at most twice per period; its watchdog steps when no step came for 1.5 periods (and '
          'reports a stale grid).', 'Hz', 0.5, 1000.0, read_only=True),
        P('deadline_ms', 'double', 50.0, 'An inference slower than this is a miss and stops the '
          'robot (0 = off).', 'ms', 0.0, 10000.0),
        P('grid_timeout_s', 'double', 0.5, 'A grid older than this is stale: no step is run.', 's',
          0.01, 60.0),
    ),
)
# fmt: on
