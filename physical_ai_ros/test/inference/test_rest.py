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

"""``physical-ai serve --rest-port``: the protocol's REST binding, tried with stock clients.

tritonclient.http (the protocol's reference client) and this package's own client with
``remote.transport: http`` talk to the REST server the test starts on loopback; both get the
answer the local model gives, and every refusal is the status the protocol expects.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from typing import Any
import urllib.error
import urllib.request

import numpy as np
import pytest

pytest.importorskip('tritonclient.http', reason='tritonclient[http] is not installed')

from physical_ai_ros.core.params.schema import resolve
from physical_ai_ros.core.policy.runtime import sha256_of
from physical_ai_ros.inference.client import RemoteConfig, RemoteSession
from physical_ai_ros.inference.rest import start_rest_server
from physical_ai_ros.inference.server import load_service
from physical_ai_ros.policies.loading import load_policy
from physical_ai_ros.policies.reference import SHIPPED

GRID = np.random.default_rng(1).random((1, 1, 40, 40), dtype=np.float32)


def local_answer() -> Any:
    return load_policy(resolve('policy_node', {})).session.run(['action'], {'grid': GRID})[0]


@pytest.fixture
def rest() -> Iterator[int]:
    server, port = start_rest_server(load_service(SHIPPED, token='s3cret'), port=0)
    yield port
    server.shutdown()
    server.server_close()


def test_the_stock_http_client_is_answered_as_the_local_model(rest: int) -> None:
    import tritonclient.http as oip

    headers = {'Authorization': 'Bearer s3cret'}
    client = oip.InferenceServerClient(f'127.0.0.1:{rest}')
    assert client.is_server_live(headers=headers) and client.is_model_ready(
        'policy', headers=headers
    )
    meta = client.get_model_metadata('policy', headers=headers)
    assert meta['inputs'] == [{'name': 'grid', 'datatype': 'FP32', 'shape': [1, 1, 40, 40]}]
    tensor = oip.InferInput('grid', [1, 1, 40, 40], 'FP32')
    tensor.set_data_from_numpy(GRID, binary_data=False)
    wanted = [oip.InferRequestedOutput('action', binary_data=False)]
    result = client.infer('policy', [tensor], outputs=wanted, headers=headers)
    np.testing.assert_allclose(result.as_numpy('action'), local_answer(), rtol=1e-6)
    assert result.get_response()['parameters']['model_sha256'] == sha256_of(SHIPPED.read_bytes())


def test_the_packages_own_client_speaks_rest_to_it(rest: int, monkeypatch: Any) -> None:
    monkeypatch.setenv('POLICY_TOKEN', 's3cret')
    values = resolve('policy_node', {
        'backend': 'remote', 'remote.endpoint': f'127.0.0.1:{rest}', 'remote.model_name': 'policy',
        'remote.transport': 'http', 'remote.token_env': 'POLICY_TOKEN',
        'remote.timeout_ms': 900.0, 'deadline_ms': 1000.0,  # JSON: slower than raw gRPC bytes
    })  # fmt: skip
    session = RemoteSession(RemoteConfig.from_values(values))
    np.testing.assert_allclose(session.run(['action'], {'grid': GRID})[0], local_answer(),
                               rtol=1e-6)  # fmt: skip
    summary = session.status.summary()
    assert summary['backend'] == 'remote'
    assert summary['model_sha256'] == sha256_of(SHIPPED.read_bytes())


def _post(port: int, path: str, body: Any, token: str = 's3cret') -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f'http://127.0.0.1:{port}{path}', data=json.dumps(body).encode(), method='POST',
        headers={'Authorization': f'Bearer {token}', 'Content-Type': 'application/json'},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


GOOD = {'inputs': [{'name': 'grid', 'datatype': 'FP32', 'shape': [1, 1, 40, 40],
                    'data': GRID.ravel().tolist()}]}  # fmt: skip


@pytest.mark.parametrize(
    ('path', 'body', 'token', 'status', 'error'),
    [
        ('/v2/models/policy/infer', GOOD, 'wrong', 401, 'missing or wrong bearer token'),
        ('/v2/models/other/infer', GOOD, 's3cret', 404, "no model 'other'"),
        ('/v2/models/policy/infer', {**GOOD, 'outputs': [{'name': 'nope'}]}, 's3cret', 400,
         "unknown output 'nope'"),
        ('/v2/models/policy/infer', {'inputs': [{**GOOD['inputs'][0], 'shape': [1, 40, 40]}]},
         's3cret', 400, 'expected FP32[1, 1, 40, 40]'),
        ('/v2/models/policy/infer', {'inputs': [{**GOOD['inputs'][0], 'data': [1.0]}]},
         's3cret', 400, '1 values, expected 1600'),
        ('/v2/models/policy/infer', {'inputs': 'x'}, 's3cret', 400, 'expected {"inputs"'),
    ],
)  # fmt: skip
def test_refusals_carry_the_protocols_status_and_say_why(
    rest: int, path: str, body: Any, token: str, status: int, error: str
) -> None:
    got, answer = _post(rest, path, body, token)
    assert got == status and error in answer['error'], answer
