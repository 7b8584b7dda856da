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

"""``physical-ai serve``: an ONNX policy behind an Open Inference Protocol (KServe v2) server.

The service implements the protocol's gRPC methods that a robot's client uses (liveness,
readiness, model metadata, inference) over the protocol's own generated stubs (shipped in
``tritonclient``), with onnxruntime running the model. Requests carry raw little-endian FP32
tensors; shapes and sizes are checked against the model before it runs, and nothing is ever
unpickled. TLS and mutual TLS come from grpc's own credentials.
"""

from __future__ import annotations

from concurrent import futures
from dataclasses import dataclass
import hashlib
import hmac
import logging
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import onnxruntime as ort
from tritonclient.grpc import service_pb2, service_pb2_grpc

from physical_ai_ros.core.files import MAX_MODEL_BYTES, read_limited
from physical_ai_ros.inference.tls import RemoteError, TlsFiles

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class TensorSpec:
    """A model tensor the server accepts or returns (FP32, fixed shape)."""

    name: str
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        """Bytes of the tensor's raw contents."""
        return int(np.prod(self.shape)) * 4


def _specs(args: Any) -> list[TensorSpec]:
    specs = []
    for arg in args:
        if arg.type != 'tensor(float)':
            raise RemoteError(f'{arg.name}: {arg.type}; the server serves float32 tensors only')
        shape = tuple(d if isinstance(d, int) and d > 0 else 1 for d in arg.shape)
        specs.append(TensorSpec(arg.name, shape))
    return specs


class OnnxInferenceService(service_pb2_grpc.GRPCInferenceServiceServicer):  # type: ignore[misc]
    """One ONNX model behind the Open Inference Protocol's gRPC service."""

    def __init__(self, name: str, model: bytes, version: str = '1', token: str = '') -> None:
        """Load ``model`` (ONNX bytes) as ``name``/``version``, one onnxruntime thread.

        With a ``token``, every call must carry ``authorization: Bearer <token>``.
        """
        self.token = token
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            model, sess_options=options, providers=['CPUExecutionProvider']
        )
        self.name, self.version = name, version
        self.sha256 = hashlib.sha256(model).hexdigest()  # said in every answer's parameters
        self.inputs = _specs(self.session.get_inputs())
        self.outputs = _specs(self.session.get_outputs())

    def ServerLive(self, request: Any, context: Any) -> Any:  # noqa: N802 (the protocol's)
        """The server runs."""
        return service_pb2.ServerLiveResponse(live=True)

    def ServerReady(self, request: Any, context: Any) -> Any:  # noqa: N802
        """The model is loaded."""
        self._authorize(context)
        return service_pb2.ServerReadyResponse(ready=True)

    def ModelReady(self, request: Any, context: Any) -> Any:  # noqa: N802
        """Whether the named model is this one."""
        self._authorize(context)
        return service_pb2.ModelReadyResponse(ready=self._mine(request))

    def ServerMetadata(self, request: Any, context: Any) -> Any:  # noqa: N802
        """Name and version of the server."""
        self._authorize(context)
        return service_pb2.ServerMetadataResponse(name='physical_ai_ros', version='1')

    def ModelMetadata(self, request: Any, context: Any) -> Any:  # noqa: N802
        """The model's tensors (name, FP32, shape)."""
        self._authorize(context)
        if not self._mine(request):
            context.abort(grpc.StatusCode.NOT_FOUND, f'no model {request.name!r}')

        def meta(spec: TensorSpec) -> Any:
            return service_pb2.ModelMetadataResponse.TensorMetadata(
                name=spec.name, datatype='FP32', shape=list(spec.shape)
            )

        return service_pb2.ModelMetadataResponse(
            name=self.name,
            versions=[self.version],
            platform='onnxruntime_onnx',
            inputs=[meta(s) for s in self.inputs],
            outputs=[meta(s) for s in self.outputs],
        )

    def ModelInfer(self, request: Any, context: Any) -> Any:  # noqa: N802
        """Run the model on the request's raw FP32 inputs; refuse anything else."""
        self._authorize(context)
        if request.model_name != self.name or request.model_version not in ('', self.version):
            context.abort(grpc.StatusCode.NOT_FOUND, f'no model {request.model_name!r}')
        try:
            feeds = self._feeds(request)
            names = [o.name for o in request.outputs] or [s.name for s in self.outputs]
            results = self.infer(feeds, names)
        except (RemoteError, ValueError) as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except Exception as exc:  # onnxruntime's own errors
            context.abort(grpc.StatusCode.INTERNAL, f'inference failed: {exc}')
        response = service_pb2.ModelInferResponse(
            model_name=self.name, model_version=self.version, id=request.id
        )
        # which model answered, for the robot's PolicyStatus (a protocol extension parameter)
        response.parameters['model_sha256'].string_param = self.sha256
        for name, value in zip(names, results, strict=True):
            array = np.ascontiguousarray(value, dtype='<f4')
            response.outputs.add(name=name, datatype='FP32', shape=list(array.shape))
            response.raw_output_contents.append(array.tobytes())
        return response

    def input_spec(self, name: str, datatype: Any, shape: Any) -> TensorSpec:
        """The model's input ``name``, if ``datatype`` and ``shape`` fit it (both bindings).

        Raises:
            RemoteError: no such input, or another type or shape.
        """
        spec = next((s for s in self.inputs if s.name == name), None)
        if spec is None:
            raise RemoteError(f'unknown input {name!r}')
        if datatype != 'FP32' or not isinstance(shape, list) or tuple(shape) != spec.shape:
            raise RemoteError(f'{name}: {datatype}{shape}, expected FP32{list(spec.shape)}')
        return spec

    def infer(self, feeds: dict[str, np.ndarray[Any, Any]], names: list[str]) -> list[Any]:
        """Run the model for the outputs ``names`` (both bindings).

        Raises:
            RemoteError: an output the model does not have.
        """
        unknown = sorted(set(names) - {s.name for s in self.outputs})
        if unknown:
            known = ', '.join(s.name for s in self.outputs)
            raise RemoteError(f'unknown output {unknown[0]!r}; the model has: {known}')
        results: list[Any] = self.session.run(names, feeds)
        return results

    def _authorize(self, context: Any) -> None:
        if not self.token:
            return
        metadata = dict(context.invocation_metadata())
        given = str(metadata.get('authorization', '')).encode()
        # constant time: how long the comparison takes says nothing about the token
        if not hmac.compare_digest(given, f'Bearer {self.token}'.encode()):
            context.abort(grpc.StatusCode.UNAUTHENTICATED, 'missing or wrong bearer token')

    def _mine(self, request: Any) -> bool:
        return bool(request.name == self.name and request.version in ('', self.version))

    def _feeds(self, request: Any) -> dict[str, np.ndarray[Any, Any]]:
        expected = {s.name: s for s in self.inputs}
        raw_contents = list(request.raw_input_contents)
        if not raw_contents and request.inputs:  # typed contents, which the protocol allows
            raw_contents = [
                np.asarray(t.contents.fp32_contents, dtype='<f4').tobytes() for t in request.inputs
            ]
        if len(request.inputs) != len(expected) or len(raw_contents) != len(request.inputs):
            raise RemoteError(
                f'expected {len(expected)} FP32 inputs, as raw or typed contents '
                f'({", ".join(expected)})'
            )
        feeds = {}
        for tensor, raw in zip(request.inputs, raw_contents, strict=True):
            spec = self.input_spec(tensor.name, tensor.datatype, list(tensor.shape))
            if len(raw) != spec.nbytes:
                raise RemoteError(f'{tensor.name}: {len(raw)} bytes, expected {spec.nbytes}')
            feeds[tensor.name] = np.frombuffer(raw, dtype='<f4').reshape(spec.shape)
        return feeds


def load_service(
    model: Path | str, *, name: str = 'policy', token: str = ''
) -> OnnxInferenceService:
    """Load ``model`` (bounded read) as the service both bindings answer with.

    Raises:
        RemoteError: an unreadable or oversized file, or a model that is not float32.
    """
    path = Path(model)
    data = read_limited(path, MAX_MODEL_BYTES, lambda reason: RemoteError(f'{path}: {reason}'))
    return OnnxInferenceService(name, data, token=token)


def start_server(
    model: Path | str,
    *,
    name: str = 'policy',
    host: str = '127.0.0.1',
    port: int = 8001,
    tls: TlsFiles | None = None,
    require_client_cert: bool = False,
    workers: int = 4,
    max_message_bytes: int = 64 << 20,
    token: str = '',
    service: OnnxInferenceService | None = None,
) -> tuple[grpc.Server, int]:
    """Start serving ``model`` and return (the server, the bound port; 0 asks for a free one).

    Args:
        model: the ONNX file (float32 tensors).
        name: the model's name in the protocol's calls.
        host: the address to listen on (loopback by default).
        port: the port; 0 picks a free one.
        tls: the server's certificate and key (``cert``, ``key``) and, for mutual TLS, the CA
            client certificates must chain to (``ca``); None serves plaintext.
        require_client_cert: refuse clients without a certificate from ``tls.ca``.
        workers: threads answering requests (concurrent robots).
        max_message_bytes: the largest request or answer.
        token: a bearer token every call must carry ('' = none).
        service: a service already loaded (:func:`load_service`), to share with the REST
            binding (:mod:`.rest`); ``model``, ``name`` and ``token`` are then its.

    Raises:
        RemoteError: unreadable files, a model that is not float32, or the port is taken.
    """
    path = Path(model)
    service = service or load_service(path, name=name, token=token)
    options = [
        ('grpc.max_receive_message_length', max_message_bytes),
        ('grpc.max_send_message_length', max_message_bytes),
    ]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers), options=options)
    service_pb2_grpc.add_GRPCInferenceServiceServicer_to_server(service, server)
    address = f'{host}:{port}'
    if tls is not None and tls.cert:
        ca, cert, key = TlsFiles(tls.ca, tls.cert, tls.key).load()
        assert cert is not None
        if key is None:
            raise RemoteError('--tls-cert needs --tls-key')
        credentials = grpc.ssl_server_credentials(
            [(key, cert)], root_certificates=ca, require_client_auth=require_client_cert
        )
    try:  # grpcio 1.5x raises where older releases returned 0
        if tls is not None and tls.cert:
            bound = server.add_secure_port(address, credentials)
        else:
            bound = server.add_insecure_port(address)
    except RuntimeError:
        bound = 0
    if bound == 0:
        raise RemoteError(f'cannot listen on {address}: the port is in use or not ours to take '
                          '(choose another with --port)')  # fmt: skip
    server.start()
    LOG.info('serving %s as %r on %s:%d', path.name, name, host, bound)
    return server, bound
