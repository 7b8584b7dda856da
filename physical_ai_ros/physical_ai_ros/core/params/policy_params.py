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


"""policy_node's parameters: the model, providers, rates, deadlines, and the remote backend.

The remote backend speaks the Open Inference Protocol; its TLS files, token source and
fallback settings are here, the token itself never is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from physical_ai_ros.core.params.spec import CrossCheck, ParamError, ParamSet, ParamSpec
from physical_ai_ros.core.policy.runtime import PROVIDER_ALIASES

P = ParamSpec
BACKENDS = ('local', 'remote', 'hybrid')


def check_policy(values: Mapping[str, Any]) -> list[ParamError]:
    """Cross-parameter checks of resolved policy_node values; [] when fine."""
    check = CrossCheck('policy_node', values)
    if values['backend'] == 'local':
        return check.errors
    check.need('remote.endpoint', bool(values['remote.endpoint']),
               'host:port of the inference server (backend remote or hybrid)')  # fmt: skip
    check.need('remote.model_name', bool(values['remote.model_name']),
               'the model name on the server (backend remote or hybrid)')  # fmt: skip
    deadline = values['deadline_ms']
    if values['backend'] == 'hybrid' and deadline > 0:
        # the local model must still answer in the same control period after a timeout
        check.need(
            'remote.timeout_ms',
            values['remote.timeout_ms'] < deadline,
            f'less than deadline_ms ({deadline:g}), so the fallback answers in time',
        )
    tls = [values[f'remote.tls.{k}'] for k in ('cert', 'key')]
    check.need('remote.tls.cert', all(tls) or not any(tls),
               'set together with remote.tls.key (a client certificate and its key)')  # fmt: skip
    check.need('remote.tls.cert', not any(tls) or bool(values['remote.tls.ca']),
               'a client certificate needs remote.tls.ca (mutual TLS)')  # fmt: skip
    token = [values['remote.token_env'], values['remote.token_file']]
    check.need('remote.token_file', not all(token), 'one of remote.token_env and token_file')
    return check.errors


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
        P('chunk.max_age_s', 'double', 1.0, 'A model answering action chunks (contract horizon): '
          'a chunk older than this plays nothing (the gate then stops).', 's', 0.01, 60.0),
        P('chunk.blend_steps', 'int', 0, 'Steps of a new chunk crossfaded from the old one.', '',
          0, 100),
        P('backend', 'string', 'local', 'Where the policy runs: local (onnxruntime here), remote '
          '(an Open Inference Protocol server), hybrid (remote, and the local model whenever the '
          'remote one fails or is late).', choices=BACKENDS, read_only=True),
        P('remote.endpoint', 'string', '', 'host:port of the inference server.', read_only=True),
        P('remote.transport', 'string', 'grpc', 'The protocol binding: grpc, or http (REST).',
          choices=('grpc', 'http'), read_only=True),
        P('remote.model_name', 'string', '', 'Model name on the server.', read_only=True),
        P('remote.model_version', 'string', '', 'Model version on the server ("" = its default).',
          read_only=True),
        P('remote.timeout_ms', 'double', 30.0, 'A remote answer later than this is abandoned '
          '(hybrid: the local model answers).', 'ms', 1.0, 10000.0),
        P('remote.tls.ca', 'string', '', 'CA bundle (PEM) the server certificate must chain to; '
          '"" = plaintext, allowed to loopback only.', read_only=True),
        P('remote.tls.cert', 'string', '', 'Client certificate (PEM) for mutual TLS.',
          read_only=True),
        P('remote.tls.key', 'string', '', 'Private key (PEM) of the client certificate.',
          read_only=True),
        P('remote.token_env', 'string', '', 'Environment variable holding a bearer token (never '
          'the token itself in a params file).', read_only=True),
        P('remote.token_file', 'string', '', 'File holding a bearer token.', read_only=True),
        P('remote.allow_insecure', 'bool', False, 'Allow plaintext to a host other than loopback.',
          read_only=True),
        P('remote.breaker_failures', 'int', 3, 'hybrid: this many failures in a row stop remote '
          'calls for remote.breaker_backoff_s.', '', 1, 1000),
        P('remote.breaker_backoff_s', 'double', 5.0, 'hybrid: how long remote calls stay off '
          'after the breaker opens; then one call probes the server.', 's', 0.1, 3600.0),
        P('remote.max_response_bytes', 'int', 16777216, 'Larger answers are refused.', 'B',
          1024, 1073741824, read_only=True),
    ),
    check_policy,
)
# fmt: on
