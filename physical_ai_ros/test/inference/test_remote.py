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

"""The remote and hybrid policy backends against a real Open Inference Protocol server.

Servers run on loopback, started here (``physical-ai serve``'s own function); certificates
are made here with ``cryptography``. Faults are real: a server stopped mid-run, one that
answers late, one that answers the wrong shape or NaN.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
import time
from typing import Any

import numpy as np
import pytest
import yaml

oip = pytest.importorskip('tritonclient.grpc', reason='tritonclient[grpc] is not installed')

from certificates import make_certificates  # noqa: E402, I100

from physical_ai_ros.core.params.schema import resolve  # noqa: E402
from physical_ai_ros.core.params.spec import ParamError  # noqa: E402
from physical_ai_ros.core.policy.observation import PolicyInputs  # noqa: E402
from physical_ai_ros.core.policy.runtime import PolicyRuntime  # noqa: E402
from physical_ai_ros.inference.client import (  # noqa: E402
    RemoteAnswerError,
    RemoteConfig,
    RemoteSession,
)
from physical_ai_ros.inference.hybrid import HybridSession  # noqa: E402
from physical_ai_ros.inference.server import OnnxInferenceService, start_server  # noqa: E402
from physical_ai_ros.inference.tls import RemoteError, TlsFiles  # noqa: E402
from physical_ai_ros.policies.loading import load_policy  # noqa: E402
from physical_ai_ros.policies.reference import CONTRACT, SHIPPED  # noqa: E402

#: The reference policy's tensors, as a server's model settings declare them.
REFERENCE_INPUTS = [{'name': 'grid', 'datatype': 'FP32', 'shape': [1, 1, 40, 40]}]
REFERENCE_OUTPUTS = [{'name': 'action', 'datatype': 'FP32', 'shape': [1, 2]}]
FEED = {'grid': np.random.default_rng(0).random((1, 1, 40, 40), dtype=np.float32)}


@pytest.fixture
def server() -> Iterator[int]:
    srv, port = start_server(SHIPPED, port=0)
    yield port
    srv.stop(grace=None)


def local_answer() -> np.ndarray[Any, Any]:
    return load_policy(resolve('policy_node', {})).session.run(['action'], FEED)[0]


def test_a_remote_answer_is_the_local_answer(server: int) -> None:
    remote = RemoteSession(RemoteConfig(f'127.0.0.1:{server}', 'policy'))
    (answer,) = remote.run(['action'], FEED)
    np.testing.assert_array_equal(answer, local_answer())
    assert [t.name for t in remote.get_inputs()] == ['grid']
    assert remote.get_inputs()[0].shape == [1, 1, 40, 40]


def test_the_remote_backend_runs_through_the_policy_runtime(server: int, tmp_path: Path) -> None:
    contract = tmp_path / 'contract.yaml'
    contract.write_text(yaml.safe_dump(CONTRACT))
    values = resolve('policy_node', {
        'backend': 'remote', 'contract_path': str(contract),
        'remote.endpoint': f'127.0.0.1:{server}', 'remote.model_name': 'policy',
    })  # fmt: skip
    model = load_policy(values)
    assert model.providers[0].startswith('remote:')
    from physical_ai_ros.core.perception.grid import GridGeometry, SpatialGrid

    grid = SpatialGrid(GridGeometry(80, 80, 0.1))
    remote_step = PolicyRuntime(model).step(PolicyInputs(grid=grid))
    local_step = PolicyRuntime(load_policy(resolve('policy_node', {}))).step(
        PolicyInputs(grid=grid)
    )
    assert remote_step.error == '' and remote_step.action is not None
    np.testing.assert_array_equal(remote_step.action, local_step.action)


def test_plaintext_leaves_loopback_only_when_allowed() -> None:
    with pytest.raises(RemoteError, match='plaintext only to loopback'):
        RemoteSession(RemoteConfig('10.20.30.40:8001', 'policy'))
    with pytest.raises(RemoteError, match='host:port'):
        RemoteSession(RemoteConfig('no-port', 'policy'))


def test_a_token_comes_from_the_environment_never_the_params(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    srv, port = start_server(SHIPPED, port=0, token='s3cret')
    try:
        config = RemoteConfig(f'127.0.0.1:{port}', 'policy', token_env='POLICY_TOKEN')
        with pytest.raises(RemoteError, match=r"remote\.token_env='POLICY_TOKEN'"):
            RemoteSession(config)  # named, but not set
        with pytest.raises(RemoteError, match='bearer token'):
            RemoteSession(RemoteConfig(f'127.0.0.1:{port}', 'policy'))  # none sent
        monkeypatch.setenv('POLICY_TOKEN', 'wrong')
        with pytest.raises(RemoteError, match='bearer token'):
            RemoteSession(config)
        monkeypatch.setenv('POLICY_TOKEN', 's3cret')
        assert RemoteSession(config).run(['action'], FEED)[0].shape == (1, 2)
    finally:
        srv.stop(grace=None)


class _Stub:
    """A stand-in local model that says which answered."""

    def run(self, names: list[str], feeds: Any) -> list[Any]:
        return [np.full((1, 2), 7.0, np.float32)]

    def get_providers(self) -> list[str]:
        return ['local']


def test_hybrid_falls_back_when_the_server_dies_and_returns_after_the_backoff(
    server: int,
) -> None:
    clock = [0.0]
    remote = RemoteSession(RemoteConfig(f'127.0.0.1:{server}', 'policy', timeout_s=0.5))
    hybrid = HybridSession(
        remote, _Stub(), breaker_failures=2, breaker_backoff_s=5.0, clock=lambda: clock[0]
    )
    np.testing.assert_array_equal(hybrid.run(['action'], FEED)[0], local_answer())
    assert hybrid.status.active == 'remote'
    # the server goes away: the local model answers every step
    srv_port = server
    remote.client.close()
    remote.client = type(remote.client)(f'127.0.0.1:{_free_port()}')  # nobody listens there
    for _ in range(3):
        assert hybrid.run(['action'], FEED)[0][0, 0] == 7.0
    status = hybrid.status
    assert status.active == 'local' and status.failures_in_a_row == 2  # then the breaker
    assert status.fallbacks == 3  # every step the local model answered
    assert 'remote call failed' in hybrid.status.last_error
    clock[0] = 4.9
    hybrid.run(['action'], FEED)
    assert status.failures_in_a_row == 2 and status.fallbacks == 4  # open: not called
    # the server is back; after the backoff one probe brings the remote model back
    remote.client = type(remote.client)(f'127.0.0.1:{srv_port}')
    clock[0] = 5.1
    np.testing.assert_array_equal(hybrid.run(['action'], FEED)[0], local_answer())
    assert hybrid.status.active == 'remote' and hybrid.status.failures_in_a_row == 0
    assert 'round_trip_ms/p50' in hybrid.status.summary()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return int(s.getsockname()[1])


class _Faulty(OnnxInferenceService):
    """A server that answers late, or with the wrong shape, or NaN."""

    mode = 'late'

    def ModelInfer(self, request: Any, context: Any) -> Any:
        response = super().ModelInfer(request, context)
        if self.mode == 'late':
            time.sleep(0.3)
        elif self.mode == 'shape':
            del response.outputs[0].shape[:]
            response.outputs[0].shape.extend([1, 3])
            response.raw_output_contents[0] = np.zeros(3, '<f4').tobytes()
        elif self.mode == 'nan':
            response.raw_output_contents[0] = np.full(2, np.nan, '<f4').tobytes()
        elif self.mode == 'oversized':  # 200 kB where 8 bytes are due
            response.raw_output_contents[0] = bytes(200_000)
        return response


@pytest.mark.parametrize('mode', ['late', 'shape', 'nan', 'oversized'])
def test_a_late_or_malformed_answer_is_refused_and_the_local_model_answers(mode: str) -> None:
    from concurrent import futures

    import grpc
    from tritonclient.grpc import service_pb2_grpc

    service = _Faulty('policy', SHIPPED.read_bytes())
    service.mode = mode
    srv = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    service_pb2_grpc.add_GRPCInferenceServiceServicer_to_server(service, srv)
    port = srv.add_insecure_port('127.0.0.1:0')
    srv.start()
    try:
        config = RemoteConfig(
            f'127.0.0.1:{port}', 'policy', timeout_s=0.05, max_response_bytes=64 * 1024
        )
        remote = RemoteSession(config)
        with pytest.raises(RemoteAnswerError) as refused:
            remote.run(['action'], FEED)
        if mode == 'oversized':  # refused by the size cap, before anything is decoded
            assert 'RESOURCE_EXHAUSTED' in str(refused.value)
        hybrid = HybridSession(remote, _Stub())
        assert hybrid.run(['action'], FEED)[0][0, 0] == 7.0
        assert hybrid.status.active == 'local' and hybrid.status.fallbacks == 1
    finally:
        srv.stop(grace=None)


def test_check_config_keeps_the_remote_timeout_inside_the_deadline() -> None:
    base = {'backend': 'hybrid', 'remote.endpoint': 'gpu:8001', 'remote.model_name': 'p'}
    with pytest.raises(ParamError, match=r'remote\.timeout_ms=.*less than deadline_ms \(50\)'):
        resolve('policy_node', {**base, 'remote.timeout_ms': 60.0})
    with pytest.raises(ParamError, match=r'remote\.endpoint'):
        resolve('policy_node', {'backend': 'remote'})
    with pytest.raises(ParamError, match=r'remote\.tls\.cert.*with remote\.tls\.key'):
        resolve('policy_node', {**base, 'remote.tls.cert': 'c.pem'})
    assert resolve('policy_node', base)['remote.timeout_ms'] == 30.0


# --- TLS -------------------------------------------------------------------------------------


def test_mutual_tls_admits_the_robot_and_refuses_strangers(tmp_path: Path) -> None:
    certs = {k: str(v) for k, v in make_certificates(tmp_path).items()}
    server_tls = TlsFiles(certs['ca.pem'], certs['server.pem'], certs['server.key'])
    srv, port = start_server(SHIPPED, port=0, tls=server_tls, require_client_cert=True)
    endpoint = f'127.0.0.1:{port}'
    try:
        robot = TlsFiles(certs['ca.pem'], certs['client.pem'], certs['client.key'])
        session = RemoteSession(RemoteConfig(endpoint, 'policy', timeout_s=2.0, tls=robot))
        np.testing.assert_array_equal(session.run(['action'], FEED)[0], local_answer())
        with pytest.raises(RemoteError, match='no model'):  # no client certificate
            RemoteSession(RemoteConfig(endpoint, 'policy', tls=TlsFiles(certs['ca.pem'])))
        with pytest.raises(RemoteError, match='no model'):  # a server we do not trust
            stranger = TlsFiles(certs['other.pem'], certs['client.pem'], certs['client.key'])
            RemoteSession(RemoteConfig(endpoint, 'policy', tls=stranger))
        with pytest.raises(RemoteError, match='no model'):  # plaintext to a TLS server
            RemoteSession(RemoteConfig(endpoint, 'policy'))
    finally:
        srv.stop(grace=None)


def test_unreadable_tls_files_are_refused_with_their_name(tmp_path: Path) -> None:
    missing = TlsFiles(str(tmp_path / 'absent-ca.pem'))
    with pytest.raises(RemoteError, match=r'CA bundle .*absent-ca\.pem'):
        RemoteSession(RemoteConfig('127.0.0.1:1', 'policy', tls=missing))


def test_physical_ai_serve_serves_until_sigterm(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, '-c', 'import sys; from physical_ai_ros.cli import main; '
         'sys.exit(main(sys.argv[1:]))', 'serve', str(SHIPPED), '--port', '0'],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # 'serving MODEL as 'policy' on 127.0.0.1:PORT (plaintext)'
        assert 'plaintext' in line, line + (proc.stderr.read() if proc.stderr else '')
        endpoint = line.split(' on ')[1].split(' ')[0]  # 'HOST:PORT (gRPC)'
        session = RemoteSession(RemoteConfig(endpoint, 'policy', timeout_s=2.0))
        np.testing.assert_array_equal(session.run(['action'], FEED)[0], local_answer())
    finally:
        proc.send_signal(signal.SIGTERM)
        _, errors = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM
    # it says what it did; it wrote no bags, so it does not speak of them
    assert errors.strip().splitlines()[-1] == (
        'physical-ai serve: stopped by SIGTERM; the server closed its connections and exited'
    )


def test_every_step_the_local_model_answers_is_a_fallback_breaker_open_or_not() -> None:
    port = _free_port()  # nobody listens: every remote call fails
    values = resolve('policy_node', {
        'backend': 'hybrid', 'remote.endpoint': f'127.0.0.1:{port}', 'remote.model_name': 'policy',
        'remote.breaker_failures': 2, 'remote.breaker_backoff_s': 60.0,
    })  # fmt: skip
    model = load_policy(values)
    hybrid = model.session
    assert isinstance(hybrid, HybridSession)
    before = hybrid.status.fallbacks  # the warm-up step
    for _ in range(10):  # 1-2 refused calls open the breaker; the rest are not even sent
        hybrid.run(['action'], FEED)
    summary = hybrid.status.summary()
    assert summary['fallbacks'] - before == 10  # was 2: breaker-open steps went uncounted
    assert summary['backend'] == 'local' and summary['model_sha256'] == model.sha256


def test_hybrid_starts_locally_when_the_server_is_down_and_takes_it_when_it_comes(
    tmp_path: Path,
) -> None:
    port = _free_port()
    values = resolve('policy_node', {
        'backend': 'hybrid', 'remote.endpoint': f'127.0.0.1:{port}', 'remote.model_name': 'policy',
        'remote.breaker_failures': 1, 'remote.breaker_backoff_s': 0.2,
    })  # fmt: skip
    model = load_policy(values)  # nobody listens yet: reported, and local meanwhile
    assert model.warnings and 'no model' in model.warnings[0]
    hybrid = model.session
    assert isinstance(hybrid, HybridSession)
    np.testing.assert_array_equal(hybrid.run(['action'], FEED)[0], local_answer())
    assert hybrid.status.active == 'local'
    srv, _ = start_server(SHIPPED, port=port)
    try:
        deadline = time.monotonic() + 10.0
        while hybrid.status.active != 'remote' and time.monotonic() < deadline:
            hybrid.run(['action'], FEED)
            time.sleep(0.05)
        assert hybrid.status.active == 'remote'
    finally:
        srv.stop(grace=None)


def test_the_client_works_against_a_second_server_mlserver() -> None:
    """Seldon's MLServer, another Open Inference Protocol implementation, gRPC and REST."""
    import mlserver_process

    if not mlserver_process.available():
        pytest.skip('mlserver is not installed')
    with mlserver_process.mlserver(SHIPPED, REFERENCE_INPUTS, REFERENCE_OUTPUTS) as (
        grpc_port,
        http,
    ):
        session = None
        deadline = time.monotonic() + 60.0
        while session is None and time.monotonic() < deadline:
            try:
                session = RemoteSession(RemoteConfig(f'127.0.0.1:{grpc_port}', 'policy'))
            except RemoteError:
                time.sleep(0.5)
        assert session is not None, 'mlserver did not start'
        np.testing.assert_array_equal(session.run(['action'], FEED)[0], local_answer())
        # and the protocol's REST binding, the second transport
        rest = RemoteSession(
            RemoteConfig(f'127.0.0.1:{http}', 'policy', timeout_s=2.0, transport='http')
        )
        assert [t.name for t in rest.get_inputs()] == ['grid']
        np.testing.assert_array_equal(rest.run(['action'], FEED)[0], local_answer())


@pytest.mark.parametrize('mode', ['delay', 'drop', 'garbage'])
def test_every_link_fault_is_answered_locally_in_the_same_step(server: int, mode: str) -> None:
    from fault_proxy import FaultProxy

    proxy = FaultProxy(server)
    try:
        remote = RemoteSession(RemoteConfig(f'127.0.0.1:{proxy.port}', 'policy', timeout_s=0.03))
        hybrid = HybridSession(remote, _Stub(), breaker_failures=10, breaker_backoff_s=0.2)
        assert _until_remote(hybrid)  # a first call may outlast 30 ms on a busy machine
        proxy.set_mode(mode)
        before = hybrid.status.fallbacks
        answers = [hybrid.run(['action'], FEED)[0] for _ in range(10)]
        # every step answered (no missed control period), each by the local model
        assert all(a[0, 0] == 7.0 for a in answers), hybrid.status.summary()
        assert hybrid.status.fallbacks - before == 10 and hybrid.status.active == 'local'
        time.sleep(0.2)  # the breaker opened on the 10th failure: its backoff
        proxy.set_mode('pass')  # the link heals: the remote model answers again
        assert _until_remote(hybrid), hybrid.status.summary()
    finally:
        proxy.close()


def _until_remote(hybrid: HybridSession, seconds: float = 10.0) -> bool:
    """Step until the remote model answers, with the remote answer (bounded); whether it did."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        (answer,) = hybrid.run(['action'], FEED)
        if hybrid.status.active == 'remote':
            np.testing.assert_array_equal(answer, local_answer())  # the served model's answer
            return True
        time.sleep(0.05)
    return False


def test_policy_status_says_which_backend_answered(server: int) -> None:
    from physical_ai_ros.core.perception.grid import GridGeometry, SpatialGrid
    from physical_ai_ros.core.stages import PolicyStage
    from physical_ai_ros.replay.typestore import TypestoreTypes

    values = resolve('policy_node', {
        'backend': 'hybrid', 'remote.endpoint': f'127.0.0.1:{server}',
        'remote.model_name': 'policy', 'remote.timeout_ms': 45.0,
    })  # fmt: skip
    stage = PolicyStage(values, TypestoreTypes(), load_policy(values))
    grid = SpatialGrid(GridGeometry(80, 80, 0.1))
    grid.stamp_ns = 10**9

    def status() -> Any:
        _, outputs = stage.step(10**9, grid, None, None, new_grid=True)
        return dict(outputs)['policy/status']

    assert _until_remote(stage.runtime.model.session)
    ok = status()
    assert ok.backend == 'remote' and ok.round_trip_p50_ms > 0 and ok.backend_error == ''
    remote = stage.runtime.model.session.remote
    remote.client.close()  # the link breaks: calls go where nobody listens
    remote.client = type(remote.client)(f'127.0.0.1:{_free_port()}')
    failed = status()
    assert failed.backend == 'local' and failed.fallbacks >= 1
    assert failed.backend_error.startswith('remote call failed')


def test_the_remote_backend_without_fallback_stops_the_robot_with_its_reason(
    tmp_path: Path,
) -> None:
    from physical_ai_ros.core.perception.grid import GridGeometry, SpatialGrid
    from physical_ai_ros.core.safety.control import REASON_STEP_FAILED, STATE_ERROR
    from physical_ai_ros.core.stages import PolicyStage
    from physical_ai_ros.replay.typestore import TypestoreTypes

    contract = tmp_path / 'contract.yaml'
    contract.write_text(yaml.safe_dump(CONTRACT))
    srv, port = start_server(SHIPPED, port=0)
    values = resolve('policy_node', {
        'backend': 'remote', 'contract_path': str(contract),
        'remote.endpoint': f'127.0.0.1:{port}', 'remote.model_name': 'policy',
    })  # fmt: skip
    stage = PolicyStage(values, TypestoreTypes(), load_policy(values))
    srv.stop(grace=None)  # the server goes away, and there is no local model
    grid = SpatialGrid(GridGeometry(80, 80, 0.1))
    grid.stamp_ns = 10**9
    _, outputs = stage.step(10**9, grid, None, None, new_grid=True)
    status = dict(outputs)['policy/status']
    assert 'policy/command' not in dict(outputs)
    assert status.state == STATE_ERROR and status.reason_code == REASON_STEP_FAILED
    assert 'remote call failed' in status.reason


def _infer_stub(port: int) -> Any:
    import grpc
    from tritonclient.grpc import service_pb2_grpc

    return service_pb2_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(f'127.0.0.1:{port}'))


def test_typed_fp32_contents_are_answered_as_raw_ones(server: int) -> None:
    """The protocol allows inputs as typed ``contents``; the answer names the model's hash."""
    from tritonclient.grpc import service_pb2

    from physical_ai_ros.core.policy.runtime import sha256_of

    request = service_pb2.ModelInferRequest(model_name='policy')
    tensor = request.inputs.add(name='grid', datatype='FP32', shape=[1, 1, 40, 40])
    tensor.contents.fp32_contents.extend(FEED['grid'].ravel().tolist())
    response = _infer_stub(server).ModelInfer(request, timeout=5)
    answer = np.frombuffer(response.raw_output_contents[0], '<f4').reshape(1, 2)
    np.testing.assert_array_equal(answer, local_answer())
    assert response.parameters['model_sha256'].string_param == sha256_of(SHIPPED.read_bytes())


def test_an_unknown_requested_output_is_invalid_argument_not_internal(server: int) -> None:
    import grpc
    from tritonclient.grpc import service_pb2

    request = service_pb2.ModelInferRequest(model_name='policy')
    request.inputs.add(name='grid', datatype='FP32', shape=[1, 1, 40, 40])
    request.raw_input_contents.append(FEED['grid'].tobytes())
    request.outputs.add(name='nope')
    with pytest.raises(grpc.RpcError) as refused:
        _infer_stub(server).ModelInfer(request, timeout=5)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "unknown output 'nope'" in refused.value.details()
