"""Edge-cloud benchmark: the remote policy over the Open Inference Protocol on loopback.

Each figure beside a same-run baseline, cases timed call by call in turn (A/B/A/B):

- client overhead: ``RemoteSession.run`` (contract tensors in, answer checks out) and the
  hybrid session's remote path, against a bare ``tritonclient`` ``infer`` of the same tensors
  (the protocol floor), and the same model run locally with onnxruntime;
- loopback round trip p50/p99 for the reference policy (1x40x40) and the bench CNN (4x64x64);
- the fallback: the step in which the server is cut (connection refused, and a server that
  stops answering) against a local step, in control periods of the shipped 10 Hz policy;
- server throughput with 1, 2, 4 and 8 robot clients at once;
- the choices, measured: tritonclient against the protocol's stubs called with grpcio alone,
  and ``physical-ai serve`` against MLServer (when installed) with the same client.

Goal (issue 13): the remote step at most 1.5 ms above the bare call on loopback.

Run: ``make bench`` or ``.venv/bin/python bench/remote.py`` (needs ``tritonclient[grpc]``).
"""

from __future__ import annotations

from concurrent import futures
from pathlib import Path
import sys
import tempfile
import threading
import time
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from policy import cnn_model
from timing import HEADER, measure_interleaved

from physical_ai_ros.core.policy.runtime import PolicyModel
from physical_ai_ros.inference.client import RemoteConfig, RemoteSession
from physical_ai_ros.inference.hybrid import HybridSession
from physical_ai_ros.inference.rest import start_rest_server
from physical_ai_ros.inference.server import load_service, OnnxInferenceService, start_server
from physical_ai_ros.policies.reference import SHIPPED

RUNS = 300
TESTS = Path(__file__).resolve().parents[1] / 'physical_ai_ros' / 'test' / 'inference'
CONTROL_PERIOD_MS = 100.0  # policy_node.control_rate_hz 10 in mobile_base.yaml


def feeds_for(model: PolicyModel) -> dict[str, np.ndarray[Any, Any]]:
    rng = np.random.default_rng(0)
    return {s.tensor: rng.random(s.shape, dtype=np.float32) for s in model.contract.inputs}


def round_trips(label: str, path: Path) -> None:
    """Bare protocol call, RemoteSession, hybrid (remote path) and local onnxruntime."""
    import tritonclient.grpc as oip

    model = PolicyModel.load(path)
    feeds = feeds_for(model)
    output = model.contract.output.tensor
    service = load_service(path)
    server, port = start_server(path, port=0, service=service)
    rest, rest_port = start_rest_server(service, port=0)  # the REST binding, same model
    try:
        endpoint = f'127.0.0.1:{port}'
        remote = RemoteSession(RemoteConfig(endpoint, 'policy', timeout_s=1.0))
        over_rest = RemoteSession(
            RemoteConfig(f'127.0.0.1:{rest_port}', 'policy', timeout_s=1.0, transport='http')
        )
        hybrid = HybridSession(remote, model.session)
        bare_client = oip.InferenceServerClient(endpoint)
        inputs = []
        for name, value in feeds.items():
            tensor = oip.InferInput(name, list(value.shape), 'FP32')
            tensor.set_data_from_numpy(value)
            inputs.append(tensor)
        wanted = [oip.InferRequestedOutput(output)]

        def bare() -> None:
            bare_client.infer('policy', inputs, outputs=wanted).as_numpy(output)

        # the client choice, measured: the protocol's generated stubs called with grpcio alone
        import grpc
        from tritonclient.grpc import service_pb2, service_pb2_grpc

        channel = grpc.insecure_channel(endpoint)
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        request = service_pb2.ModelInferRequest(model_name='policy')
        for name, value in feeds.items():
            request.inputs.add(name=name, datatype='FP32', shape=list(value.shape))
            request.raw_input_contents.append(np.ascontiguousarray(value, '<f4').tobytes())
        request.outputs.add(name=output)

        def stubs() -> None:
            np.frombuffer(stub.ModelInfer(request).raw_output_contents[0], '<f4')

        cases = [
            ('floor: bare tritonclient infer', bare),
            ('grpcio + generated stubs, no client lib', stubs),
            ('RemoteSession.run', lambda: remote.run([output], feeds)),
            ('HybridSession.run (remote answers)', lambda: hybrid.run([output], feeds)),
            ('RemoteSession.run over REST (JSON)', lambda: over_rest.run([output], feeds)),
            ('local onnxruntime session.run', lambda: model.session.run([output], feeds)),
        ]
        stats = measure_interleaved(cases, runs=RUNS)
        print(f'{label}:')
        print(HEADER)
        for row in stats:
            print(row.row(stats[0]))
        print(
            f'  => remote step overhead above the bare call: '
            f'{stats[2].median_ms - stats[0].median_ms:+.3f} ms median, '
            f'{stats[2].p99_ms - stats[0].p99_ms:+.3f} ms p99 (goal <= 1.5 ms); tritonclient '
            f'costs {stats[0].median_ms - stats[1].median_ms:+.3f} ms over the raw stubs'
        )
        channel.close()
        bare_client.close()
        remote.close()
    finally:
        rest.shutdown()
        server.stop(grace=None)


class _Silent(OnnxInferenceService):
    """A server that stops answering (a link that blackholes): every call hangs 1 s."""

    def ModelInfer(self, request: Any, context: Any) -> Any:  # noqa: N802
        time.sleep(1.0)
        return super().ModelInfer(request, context)


def fallback() -> None:
    """The step in which the link fails, against a local step, in control periods."""
    import grpc
    from tritonclient.grpc import service_pb2_grpc

    model = PolicyModel.load(SHIPPED)
    feeds = feeds_for(model)
    # connection refused: a port where nobody listens
    with tempfile.TemporaryDirectory():
        refused = HybridSession(
            RemoteSession(
                RemoteConfig('127.0.0.1:1', 'policy', timeout_s=0.03),
                outputs=_outputs(model),
            ),
            model.session,
            breaker_failures=10**9,  # measure every failing step, not the breaker
        )
        silent_service = _Silent('policy', SHIPPED.read_bytes())
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        service_pb2_grpc.add_GRPCInferenceServiceServicer_to_server(silent_service, server)
        port = server.add_insecure_port('127.0.0.1:0')
        server.start()
        try:
            silent = HybridSession(
                RemoteSession(
                    RemoteConfig(f'127.0.0.1:{port}', 'policy', timeout_s=0.03),
                    outputs=_outputs(model),
                ),
                model.session,
                breaker_failures=10**9,
            )
            cases = [
                ('local step (baseline)', lambda: model.session.run(['action'], feeds)),
                ('refused link -> local', lambda: refused.run(['action'], feeds)),
                ('silent link, 30 ms timeout -> local', lambda: silent.run(['action'], feeds)),
            ]
            stats = measure_interleaved(cases, runs=60, warmup=1)
        finally:
            server.stop(grace=None)
    print('fallback (remote.timeout_ms 30, deadline 50 ms, control period 100 ms):')
    print(HEADER)
    for row in stats:
        print(row.row(stats[0]))
    worst = max(s.p99_ms for s in stats[1:])
    print(
        f'  => the failing step is answered locally in the same step: p99 {worst:.1f} ms = '
        f'{worst / CONTROL_PERIOD_MS:.2f} control periods; switches: refused '
        f'{refused.status.fallbacks}, silent {silent.status.fallbacks} of their calls'
    )


def _outputs(model: PolicyModel) -> Any:
    from physical_ai_ros.inference.client import RemoteTensor

    return [RemoteTensor(o.name, list(o.shape)) for o in model.session.get_outputs()]


def throughput(seconds: float = 3.0) -> None:
    """Requests per second the server answers with N robots calling at once."""
    model = PolicyModel.load(SHIPPED)
    feeds = feeds_for(model)
    server, port = start_server(SHIPPED, port=0, workers=8)
    try:
        print('server throughput, reference policy, loopback (2 cores shared with the clients):')
        for clients in (1, 2, 4, 8):
            sessions = [
                RemoteSession(RemoteConfig(f'127.0.0.1:{port}', 'policy', timeout_s=2.0))
                for _ in range(clients)
            ]
            counts = [0] * clients
            stop = threading.Event()

            threads = [
                threading.Thread(target=_robot, args=(k, sessions[k], feeds, stop, counts))
                for k in range(clients)
            ]
            for thread in threads:
                thread.start()
            time.sleep(seconds)
            stop.set()
            for thread in threads:
                thread.join()
            print(f'  {clients} client(s): {sum(counts) / seconds:8.0f} requests/s')
            for session in sessions:
                session.close()
    finally:
        server.stop(grace=None)


def _robot(
    k: int, session: RemoteSession, feeds: Any, stop: threading.Event, counts: list[int]
) -> None:
    """One robot client: calls until ``stop``, counting its answers in ``counts[k]``."""
    while not stop.is_set():
        session.run(['action'], feeds)
        counts[k] += 1


def servers() -> None:
    """The server choice, measured: ours against MLServer, same client, same model, A/B."""
    sys.path.insert(0, str(TESTS))
    import mlserver_process  # the interoperability test's launcher

    if not mlserver_process.available():
        print('server choice: mlserver not installed, skipped')
        return
    model = PolicyModel.load(SHIPPED)
    feeds = feeds_for(model)
    tensors = (
        [{'name': 'grid', 'datatype': 'FP32', 'shape': [1, 1, 40, 40]}],
        [{'name': 'action', 'datatype': 'FP32', 'shape': [1, 2]}],
    )
    with mlserver_process.mlserver(SHIPPED, *tensors) as (grpc_port, _):
        ours, port = start_server(SHIPPED, port=0)
        try:
            theirs = None
            deadline = time.monotonic() + 60
            while theirs is None and time.monotonic() < deadline:
                try:
                    theirs = RemoteSession(RemoteConfig(f'127.0.0.1:{grpc_port}', 'policy'))
                except Exception:
                    time.sleep(0.5)
            assert theirs is not None, 'mlserver did not start'
            mine = RemoteSession(RemoteConfig(f'127.0.0.1:{port}', 'policy', timeout_s=1.0))
            stats = measure_interleaved(
                [
                    ('physical-ai serve (grpcio + stubs)', lambda: mine.run(['action'], feeds)),
                    ('MLServer 1.7 (same client, gRPC)', lambda: theirs.run(['action'], feeds)),
                ],
                runs=RUNS,
            )
        finally:
            ours.stop(grace=None)
    print('server choice, reference policy, loopback:')
    print(HEADER)
    for row in stats:
        print(row.row(stats[0]))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        round_trips('reference policy (1x40x40)', SHIPPED)
        round_trips('bench CNN (4x64x64)', cnn_model(Path(tmp) / 'cnn.onnx'))
    servers()
    fallback()
    throughput()


if __name__ == '__main__':
    main()
