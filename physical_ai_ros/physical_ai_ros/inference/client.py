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

"""The robot's side: a policy run on an Open Inference Protocol server, as an onnxruntime session.

:class:`RemoteSession` has ``run(output_names, feeds)`` and ``get_inputs``/``get_outputs``,
so :class:`~physical_ai_ros.core.policy.runtime.PolicyModel` validates the contract against
the served model and the runtime steps it as it steps a local one. Only the contract's input
tensors leave the robot, as raw FP32 at the contract's shapes. Every call has a timeout; an
answer of the wrong tensors, shape, type or size, or non-finite, raises
:class:`RemoteAnswerError` (the hybrid session then asks the local model).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import time
from typing import Any

import numpy as np

from physical_ai_ros.inference.status import BackendStatus
from physical_ai_ros.inference.tls import (
    is_loopback,
    read_token,
    RemoteError,
    split_endpoint,
    TlsFiles,
)


class RemoteAnswerError(RemoteError):
    """A remote call failed, timed out, or answered something the contract cannot use."""


class ServerUnavailableError(RemoteError):
    """The server did not answer the model's metadata (down, unreachable, refused us)."""


@dataclass(frozen=True)
class RemoteConfig:
    """Where and how to call (policy_node's ``remote.*`` parameters)."""

    endpoint: str
    model_name: str
    model_version: str = ''
    timeout_s: float = 0.03
    tls: TlsFiles = field(default_factory=TlsFiles)
    token_env: str = ''
    token_file: str = ''
    allow_insecure: bool = False
    max_response_bytes: int = 16 << 20
    transport: str = 'grpc'  # or 'http' (the protocol's REST binding)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> RemoteConfig:
        """From resolved policy_node parameter values."""
        return cls(
            endpoint=values['remote.endpoint'],
            model_name=values['remote.model_name'],
            model_version=values['remote.model_version'],
            timeout_s=values['remote.timeout_ms'] / 1000.0,
            tls=TlsFiles(
                values['remote.tls.ca'], values['remote.tls.cert'], values['remote.tls.key']
            ),
            token_env=values['remote.token_env'],
            token_file=values['remote.token_file'],
            allow_insecure=values['remote.allow_insecure'],
            max_response_bytes=values['remote.max_response_bytes'],
            transport=values['remote.transport'],
        )


@dataclass(frozen=True)
class RemoteTensor:
    """A served tensor as onnxruntime's NodeArg shows it (what the contract check reads)."""

    name: str
    shape: list[int]
    type: str = 'tensor(float)'


def _model_sha256(result: Any) -> str:
    """The ``model_sha256`` parameter of an answer ('' where the server sends none).

    ``physical-ai serve`` names the model that answered; other servers (Triton, MLServer) do
    not, and PolicyStatus then says the hash is unknown rather than a wrong one.
    """
    try:
        response = result.get_response()
        if isinstance(response, dict):  # REST
            return str(response.get('parameters', {}).get('model_sha256', ''))
        parameters = response.parameters
        return str(parameters['model_sha256'].string_param) if 'model_sha256' in parameters else ''
    except Exception:  # an answer without parameters, or another client's shape
        return ''


class RemoteSession:
    """An Open Inference Protocol model with onnxruntime's session interface (see module)."""

    def __init__(self, config: RemoteConfig, *, outputs: list[RemoteTensor] | None = None) -> None:
        """Open a channel (gRPC connects lazily) and read the model's metadata.

        With ``outputs`` (what the answers must look like, from the local model of a hybrid
        backend) the metadata is not asked for: the server may be down now and come up later.

        Raises:
            RemoteError: plaintext to a host other than loopback without ``allow_insecure``,
                unreadable TLS or token files, or a server that does not answer or does not
                serve the model.
        """
        self.status = BackendStatus(active='remote')  # PolicyStatus of a remote-only backend
        if config.transport == 'http':
            import tritonclient.http as oip
        else:
            import tritonclient.grpc as oip

        self.config = config
        host, _ = split_endpoint(config.endpoint)
        if not config.tls.enabled and not is_loopback(host) and not config.allow_insecure:
            raise RemoteError(
                f'remote.endpoint={config.endpoint!r}: plaintext only to loopback; set '
                'remote.tls.ca (TLS) or remote.allow_insecure: true'
            )
        ca, cert, key = config.tls.load()
        token = read_token(config.token_env, config.token_file)
        self._headers = {'authorization': f'Bearer {token}'} if token else None
        channel_args = [
            ('grpc.max_receive_message_length', config.max_response_bytes),
            # reconnect within a second after a broken link, not gRPC's default of up to
            # two minutes: the hybrid breaker already limits how often a dead server is asked
            ('grpc.initial_reconnect_backoff_ms', 100),
            ('grpc.min_reconnect_backoff_ms', 100),
            ('grpc.max_reconnect_backoff_ms', 1000),
        ]
        self._oip = oip
        self._channel_args = channel_args
        self.client = self._connect()
        del ca, cert, key  # read above only to refuse unreadable files with a clear reason
        if outputs is None:
            self.inputs, self.outputs = self._metadata()
        else:
            self.inputs, self.outputs = [], list(outputs)

    def _connect(self) -> Any:
        config = self.config
        if config.transport == 'http':
            tls = {'ca_certs': config.tls.ca, 'certfile': config.tls.cert,
                   'keyfile': config.tls.key}  # fmt: skip
            return self._oip.InferenceServerClient(
                config.endpoint,
                connection_timeout=max(config.timeout_s, 1.0),
                network_timeout=config.timeout_s,  # the call's timeout, as gRPC's deadline
                ssl=config.tls.enabled,
                ssl_options={k: v for k, v in tls.items() if v} or None,
            )
        return self._oip.InferenceServerClient(
            config.endpoint,
            ssl=config.tls.enabled,
            root_certificates=config.tls.ca or None,
            private_key=config.tls.key or None,
            certificate_chain=config.tls.cert or None,
            channel_args=self._channel_args,
        )

    def reset(self) -> None:
        """Drop the channel and open a new one (the hybrid breaker does, when it opens).

        A link that delivered garbage can leave an HTTP/2 connection waiting for bytes that
        never come, which gRPC does not notice; a new channel starts clean.
        """
        self.client.close()
        self.client = self._connect()

    def _metadata(self) -> tuple[list[RemoteTensor], list[RemoteTensor]]:
        extra = {} if self.config.transport == 'http' else {'client_timeout': 2.0}
        try:
            meta = self.client.get_model_metadata(
                self.config.model_name, self.config.model_version, headers=self._headers, **extra
            )
        except Exception as exc:  # tritonclient raises InferenceServerException
            raise ServerUnavailableError(
                f'{self.config.endpoint}: no model {self.config.model_name!r} ({exc})'
            ) from exc

        def tensors(items: Any) -> list[RemoteTensor]:
            out = []
            for t in items:  # protobuf messages (gRPC) or dicts (HTTP's JSON)
                name, datatype, shape = (
                    (t['name'], t['datatype'], t['shape'])
                    if isinstance(t, dict)
                    else (t.name, t.datatype, t.shape)
                )
                if datatype != 'FP32':
                    raise RemoteError(f'remote tensor {name}: {datatype}, expected FP32')
                out.append(RemoteTensor(name, [int(d) for d in shape]))
            return out

        if isinstance(meta, dict):
            return tensors(meta.get('inputs', [])), tensors(meta.get('outputs', []))
        return tensors(meta.inputs), tensors(meta.outputs)

    def get_inputs(self) -> list[RemoteTensor]:
        """The served model's inputs."""
        return self.inputs

    def get_outputs(self) -> list[RemoteTensor]:
        """The served model's outputs."""
        return self.outputs

    def get_providers(self) -> list[str]:
        """Where it runs, for the logs."""
        return [f'remote:{self.config.endpoint}/{self.config.model_name}']

    def run(
        self, output_names: list[str], feeds: Mapping[str, np.ndarray[Any, Any]]
    ) -> list[np.ndarray[Any, Any]]:
        """One inference with the call's timeout; the named outputs as float32 arrays.

        Raises:
            RemoteAnswerError: the call failed or timed out, or the answer is malformed.
        """
        oip = self._oip
        grpc = self.config.transport == 'grpc'
        # REST: tensors as JSON, which every implementation reads (MLServer has no binary
        # extension); gRPC carries raw bytes
        binary = {} if grpc else {'binary_data': False}
        request = []
        for name, value in feeds.items():
            array = np.ascontiguousarray(value, dtype=np.float32)
            tensor = oip.InferInput(name, list(array.shape), 'FP32')
            tensor.set_data_from_numpy(array, **binary)
            request.append(tensor)
        wanted = [oip.InferRequestedOutput(name, **binary) for name in output_names]
        # HTTP's timeout is the client's network_timeout, set when it was made
        timeout = {'client_timeout': self.config.timeout_s} if grpc else {}
        began = time.monotonic()
        try:
            result = self.client.infer(
                self.config.model_name,
                request,
                model_version=self.config.model_version,
                outputs=wanted,
                headers=self._headers,
                **timeout,
            )
        except Exception as exc:  # deadline, transport, server refusal
            error = f'remote call failed: {str(exc)[:200]}'
            self.status.failures_in_a_row += 1
            self.status.last_error = error
            raise RemoteAnswerError(error) from exc
        try:
            answer = [self._checked(result, name) for name in output_names]
        except RemoteAnswerError as exc:
            self.status.failures_in_a_row += 1
            self.status.last_error = str(exc)
            raise
        self.status.remote_sha256 = _model_sha256(result)
        self.status.answered_remotely((time.monotonic() - began) * 1000.0)
        return answer

    def _checked(self, result: Any, name: str) -> np.ndarray[Any, Any]:
        expected = next((t for t in self.outputs if t.name == name), None)
        try:
            array: np.ndarray[Any, Any] | None = result.as_numpy(name)
        except Exception as exc:  # a response the client cannot decode
            raise RemoteAnswerError(f'remote answer {name!r} undecodable ({exc})') from exc
        if array is None:
            raise RemoteAnswerError(f'remote answer lacks {name!r}')
        if array.dtype != np.float32:
            raise RemoteAnswerError(f'remote answer {name!r} is {array.dtype}, expected float32')
        if expected is not None and list(array.shape) != expected.shape:
            raise RemoteAnswerError(
                f'remote answer {name!r} has shape {list(array.shape)}, expected {expected.shape}'
            )
        if not np.isfinite(array).all():
            raise RemoteAnswerError(f'remote answer {name!r} is not finite')
        return array

    def close(self) -> None:
        """Close the channel."""
        self.client.close()
