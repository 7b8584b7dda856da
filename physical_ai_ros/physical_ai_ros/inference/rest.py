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

"""The Open Inference Protocol's REST binding, beside gRPC: the same model, the same checks.

``physical-ai serve --rest-port N`` answers the protocol's HTTP/JSON endpoints (KServe v2
REST: health, model metadata and readiness, ``POST /v2/models/NAME/infer``) for clients that
speak REST, as ``remote.transport: http`` and tritonclient.http do. Tensors travel as JSON
``data`` lists (the binary-data extension is refused with a clear 400); a request body is at
most :data:`MAX_BODY_BYTES`; the bearer token is compared in constant time; TLS and mutual
TLS come from Python's ``ssl``. The model runs in the gRPC service's onnxruntime session.
"""

from __future__ import annotations

from collections.abc import Callable
import hmac
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
import re
import ssl
import threading
from typing import Any

import numpy as np

from physical_ai_ros.inference.tls import RemoteError, TlsFiles

#: Largest request body read (a JSON tensor is ~10 bytes per float32).
MAX_BODY_BYTES = 64 << 20

_MODEL_PATH = re.compile(r'^/v2/models/([^/]+)(?:/versions/([^/]+))?(/ready|/infer)?$')


class RestError(Exception):
    """A request the server refuses: the HTTP status and what to say."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def start_rest_server(
    service: Any, *, host: str = '127.0.0.1', port: int = 8000, tls: TlsFiles | None = None,
    require_client_cert: bool = False,
) -> tuple[ThreadingHTTPServer, int]:  # fmt: skip
    """Serve ``service`` (an :class:`~physical_ai_ros.inference.server.OnnxInferenceService`)
    over REST in a thread; returns the server (``shutdown()`` stops it) and the bound port.

    Raises:
        RemoteError: the port is taken, or the TLS files cannot be read.
    """  # noqa: D205
    handler = _handler(service)
    try:
        httpd = ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise RemoteError(f'cannot listen on {host}:{port} for REST: {exc.strerror or exc} '
                          '(choose another with --rest-port)') from None  # fmt: skip
    httpd.daemon_threads = True
    if tls is not None and tls.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.cert, tls.key or None)
        if require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(tls.ca)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, name='oip-rest', daemon=True).start()
    return httpd, int(httpd.server_address[1])


def _handler(service: Any) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'  # keep-alive, as the clients expect
        # one send per answer, no Nagle: headers and body written apart met the client's
        # delayed ACK, 40 ms per call (measured)
        wbufsize = 1 << 16
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._answer(lambda: _get(service, self.path))

        def do_POST(self) -> None:
            self._answer(lambda: _post(service, self.path, self._body()))

        def _body(self) -> bytes:
            if 'Inference-Header-Content-Length' in self.headers:
                raise RestError(HTTPStatus.BAD_REQUEST, 'the binary-data extension is not '
                                'served: send tensors as JSON "data"')  # fmt: skip
            length = int(self.headers.get('Content-Length') or 0)
            if length > MAX_BODY_BYTES:
                raise RestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                                f'{length} bytes > {MAX_BODY_BYTES}')  # fmt: skip
            return self.rfile.read(length)

        def _answer(self, work: Callable[[], Any]) -> None:
            try:
                _authorize(service, self.headers.get('Authorization', ''))
                status, body = HTTPStatus.OK, work()
            except RestError as exc:
                status, body = exc.status, {'error': str(exc)}
            except (RemoteError, ValueError) as exc:
                status, body = HTTPStatus.BAD_REQUEST, {'error': str(exc)}
            except Exception as exc:  # onnxruntime's own errors
                status, body = (
                    HTTPStatus.INTERNAL_SERVER_ERROR,
                    {'error': f'inference failed: {exc}'},
                )
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return  # requests are not logged one by one (a robot asks at 10-50 Hz)

    return Handler


def _authorize(service: Any, header: str) -> None:
    if service.token and not hmac.compare_digest(header.encode(),
                                                 f'Bearer {service.token}'.encode()):  # fmt: skip
        raise RestError(HTTPStatus.UNAUTHORIZED, 'missing or wrong bearer token')


def _get(service: Any, path: str) -> Any:
    if path in ('/v2/health/live', '/v2/health/ready'):
        return {'live': True} if path.endswith('live') else {'ready': True}
    name, action = _model(service, path)
    if action == '/ready':
        return {'name': name, 'ready': True}
    if action:
        raise RestError(HTTPStatus.METHOD_NOT_ALLOWED, f'{action[1:]} takes POST')
    tensors = [
        {'name': s.name, 'datatype': 'FP32', 'shape': list(s.shape)} for s in service.inputs
    ]
    outputs = [
        {'name': s.name, 'datatype': 'FP32', 'shape': list(s.shape)} for s in service.outputs
    ]
    return {'name': name, 'versions': [service.version], 'platform': 'onnxruntime_onnx',
            'inputs': tensors, 'outputs': outputs}  # fmt: skip


def _post(service: Any, path: str, body: bytes) -> Any:
    name, action = _model(service, path)
    if action != '/infer':
        raise RestError(HTTPStatus.NOT_FOUND, f'no such endpoint: POST {path}')
    try:
        request = json.loads(body)
    except (ValueError, RecursionError):
        raise RestError(HTTPStatus.BAD_REQUEST, 'the body is not JSON') from None
    if not isinstance(request, dict) or not isinstance(request.get('inputs'), list):
        raise RestError(HTTPStatus.BAD_REQUEST, 'expected {"inputs": [...]}')
    feeds = _feeds(service, request['inputs'])
    wanted = request.get('outputs') or [{'name': s.name} for s in service.outputs]
    names = [str(o.get('name')) if isinstance(o, dict) else '' for o in wanted]
    results = service.infer(feeds, names)  # RemoteError (an unknown output): 400
    outputs = [
        {'name': n, 'datatype': 'FP32', 'shape': list(np.shape(r)),
         'data': np.asarray(r, np.float32).ravel().tolist()}
        for n, r in zip(names, results, strict=True)
    ]  # fmt: skip
    answer: dict[str, Any] = {
        'model_name': name, 'model_version': service.version, 'outputs': outputs,
        'parameters': {'model_sha256': service.sha256},
    }  # fmt: skip
    if 'id' in request:
        answer['id'] = str(request['id'])
    return answer


def _model(service: Any, path: str) -> tuple[str, str]:
    """(model name, action: '', '/ready' or '/infer') of a model's path; 404 unless ours."""
    match = _MODEL_PATH.match(path.split('?')[0])
    if match is None:
        raise RestError(HTTPStatus.NOT_FOUND, f'no such endpoint: {path}')
    name, version, action = match.group(1), match.group(2) or '', match.group(3) or ''
    if name != service.name or version not in ('', service.version):
        raise RestError(HTTPStatus.NOT_FOUND, f'no model {name!r}' +
                        (f' version {version!r}' if version else ''))  # fmt: skip
    return name, action


def _feeds(service: Any, inputs: list[Any]) -> dict[str, np.ndarray[Any, Any]]:
    expected = {s.name: s for s in service.inputs}
    feeds: dict[str, np.ndarray[Any, Any]] = {}
    for tensor in inputs:
        if not isinstance(tensor, dict):
            raise RestError(HTTPStatus.BAD_REQUEST, 'each input is an object')
        spec = service.input_spec(str(tensor.get('name')), tensor.get('datatype'),
                                  tensor.get('shape'))  # fmt: skip
        try:
            data = np.asarray(tensor.get('data'), dtype=np.float32).ravel()
        except (TypeError, ValueError):
            raise RestError(HTTPStatus.BAD_REQUEST, f'{spec.name}: data is not numbers') from None
        if data.size != int(np.prod(spec.shape)):
            raise RestError(HTTPStatus.BAD_REQUEST, f'{spec.name}: {data.size} values, '
                            f'expected {int(np.prod(spec.shape))}')  # fmt: skip
        feeds[spec.name] = data.reshape(spec.shape)
    if set(feeds) != set(expected):
        raise RestError(HTTPStatus.BAD_REQUEST, f'expected inputs {", ".join(expected)}')
    return feeds


__all__ = ['MAX_BODY_BYTES', 'RestError', 'start_rest_server']
