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

"""The OPC UA bridge against a real asyncua server playing a press (opcua_machine.py).

Values arrive converted with the press's own timestamps, Bad becomes an error reading, a node
the server does not know is reported; Basic256Sha256 with SignAndEncrypt and Sign and a
username; a client without security, or with a wrong password, is refused; when the server
goes away the last values turn stale and the subscription comes back with the server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import datetime
import os
from pathlib import Path
import subprocess
import sys

import pytest

asyncua = pytest.importorskip('asyncua', reason='asyncua is not installed')

from mosquitto import free_port, Received, until  # noqa: E402, I100
from opcua_machine import EPOCH, NAMESPACE  # noqa: E402

from physical_ai_ros.core.perception.bridge import IotBridge, OpcUaRoute  # noqa: E402
from physical_ai_ros.core.perception.iot import STATUS_ERROR, STATUS_OK, STATUS_STALE  # noqa: E402
from physical_ai_ros.inference.tls import RemoteError  # noqa: E402
from physical_ai_ros.iot.opcua import OpcUaBridgeClient, OpcUaSecurity  # noqa: E402

MACHINE = Path(__file__).resolve().parent / 'opcua_machine.py'
ROUTES = [
    OpcUaRoute('ns=2;s=Press3.Pressure', 'press3_pressure', 'pressure', 'bar', 'Pa',
               sampling_interval_ms=10),
    OpcUaRoute('ns=2;s=Press3.Oil', 'press3_oil', 'temperature', 'degF', 'degC',
               sampling_interval_ms=10),
    OpcUaRoute('ns=2;s=Press3.Missing', 'press3_missing', 'pressure', 'bar', 'Pa'),
]  # fmt: skip


class Machine:
    """opcua_machine.py in a subprocess on a fixed port, restartable."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.args = args
        self.proc: subprocess.Popen[str] | None = None

    @property
    def endpoint(self) -> str:
        return f'opc.tcp://127.0.0.1:{self.port}/machine'

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(MACHINE), str(self.port), *self.args],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == 'ready', 'the machine did not start'

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def machine() -> Iterator[Machine]:
    running = Machine()
    running.start()
    yield running
    running.stop()


def _pressures(readings: list) -> list:
    return [r for r in readings if r.sensor_id == 'press3_pressure' and r.status == STATUS_OK]


def test_values_keep_the_machines_time_and_quality(machine: Machine) -> None:
    received = Received()
    client = OpcUaBridgeClient(IotBridge([], ROUTES), machine.endpoint, received)
    client.start()
    try:
        assert received.wait(lambda r: len(_pressures(r)) >= 5)
        assert received.wait(lambda r: {x.status for x in r if x.sensor_id == 'press3_oil'}
                             >= {STATUS_OK, STATUS_ERROR})  # fmt: skip
        assert client.connected
        for reading in _pressures(received.readings)[:5]:
            # the k-th value is 1 + 0.01 k bar, stamped EPOCH + 20 ms * k by the press
            k = round((reading.value / 1e5 - 1.0) / 0.01)
            stamp = EPOCH + datetime.timedelta(milliseconds=20 * k)
            assert reading.stamp_ns == int(stamp.timestamp()) * 10**9 + stamp.microsecond * 1000
            assert reading.unit == 'Pa'
        good_oil = next(r for r in received.readings
                        if r.sensor_id == 'press3_oil' and r.status == STATUS_OK)  # fmt: skip
        assert good_oil.value == pytest.approx(100.0) and good_oil.unit == 'degC'
        assert client.bridge.status.stamped['receipt'] > 0  # Oil sends no SourceTimestamp
        assert client.bad_nodes == {'ns=2;s=Press3.Missing': 'BadNodeIdUnknown'}
        assert client.bridge.status.rejected['unknown node'] == 1
    finally:
        client.stop()


def test_a_node_id_by_namespace_uri_is_resolved_at_connect(machine: Machine) -> None:
    routes = [
        OpcUaRoute(f'nsu={NAMESPACE};s=Press3.Pressure', 'press3_pressure', 'pressure', 'bar',
                   'Pa', sampling_interval_ms=10),
        OpcUaRoute('nsu=urn:nobody:here;s=Press3.Pressure', 'elsewhere', 'pressure', 'bar',
                   'Pa'),
    ]  # fmt: skip
    received = Received()
    client = OpcUaBridgeClient(IotBridge([], routes), machine.endpoint, received)
    client.start()
    try:
        assert received.wait(lambda r: len(_pressures(r)) >= 3)
        assert client.bad_nodes == {'nsu=urn:nobody:here;s=Press3.Pressure': 'BadNamespaceUnknown'}
        assert {r.sensor_id for r in received.readings} == {'press3_pressure'}
    finally:
        client.stop()


def _certificates(folder: Path) -> dict[str, str]:
    """Application certificates as OPC UA wants them (ApplicationUri in the SubjectAltName)."""
    from asyncua.crypto.cert_gen import setup_self_signed_certificate
    from cryptography.x509.oid import ExtendedKeyUsageOID

    files = {name: str(folder / name) for name in
             ('server.der', 'server.pem', 'client.der', 'client.pem')}  # fmt: skip

    async def make() -> None:
        await setup_self_signed_certificate(
            Path(files['server.pem']), Path(files['server.der']),
            'urn:freeopcua:python:server', 'localhost', [ExtendedKeyUsageOID.SERVER_AUTH], {},
        )  # fmt: skip
        await setup_self_signed_certificate(
            Path(files['client.pem']), Path(files['client.der']),
            'urn:physical_ai_ros:iot_bridge', 'localhost', [ExtendedKeyUsageOID.CLIENT_AUTH], {},
        )  # fmt: skip

    asyncio.run(make())
    return files


def test_basic256sha256_with_a_user_and_strangers_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    certs = _certificates(tmp_path)
    secure = Machine('--cert', certs['server.der'], '--key', certs['server.pem'],
                     '--user', 'line3:s3cret')  # fmt: skip
    secure.start()
    monkeypatch.setenv('PRESS_PASSWORD', 's3cret')
    monkeypatch.setenv('WRONG_PASSWORD', 'guess')
    clients = []

    def client(mode: str, password_env: str, policy: str = 'Basic256Sha256') -> tuple:
        received = Received()
        security = OpcUaSecurity(policy, mode, certs['client.der'], certs['client.pem'],
                                 certs['server.der'] if mode != 'None' else '')  # fmt: skip
        bridge = IotBridge([], ROUTES[:1])
        running = OpcUaBridgeClient(bridge, secure.endpoint, received, security=security,
                                    username='line3', password_env=password_env)  # fmt: skip
        running.start()
        clients.append(running)
        return running, received

    try:
        encrypted, encrypted_readings = client('SignAndEncrypt', 'PRESS_PASSWORD')
        signed, signed_readings = client('Sign', 'PRESS_PASSWORD')
        wrong, wrong_readings = client('SignAndEncrypt', 'WRONG_PASSWORD')
        plain, plain_readings = client('None', 'PRESS_PASSWORD', policy='None')
        assert encrypted_readings.wait(lambda r: len(r) >= 3)
        assert signed_readings.wait(lambda r: len(r) >= 3)
        assert encrypted.connected and signed.connected
        assert until(lambda: bool(wrong.last_error) and bool(plain.last_error))
        assert not wrong.connected and wrong_readings.readings == []
        assert not plain.connected and plain_readings.readings == []
        assert 'BadUserAccessDenied' in wrong.last_error
        assert 'No matching endpoints' in plain.last_error  # the server offers no plaintext
    finally:
        for running in clients:
            running.stop()
        secure.stop()


def test_settings_that_cannot_work_are_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(RemoteError, match=r"opcua\.security_mode='None': None goes with"):
        OpcUaBridgeClient(IotBridge([], ROUTES), 'opc.tcp://127.0.0.1:4840', print,
                          security=OpcUaSecurity('Basic256Sha256', 'None'))  # fmt: skip
    with pytest.raises(RemoteError, match=r"opcua\.certificate='': a readable file"):
        OpcUaBridgeClient(IotBridge([], ROUTES), 'opc.tcp://127.0.0.1:4840', print,
                          security=OpcUaSecurity('Basic256Sha256', 'Sign'))  # fmt: skip
    os.environ.pop('NO_SUCH_PASSWORD', None)
    with pytest.raises(RemoteError, match=r"opcua\.password_env='NO_SUCH_PASSWORD'"):
        OpcUaBridgeClient(IotBridge([], ROUTES), 'opc.tcp://127.0.0.1:4840', print,
                          username='u', password_env='NO_SUCH_PASSWORD')  # fmt: skip


def test_a_server_restart_turns_values_stale_then_they_come_back(machine: Machine) -> None:
    received = Received()
    client = OpcUaBridgeClient(IotBridge([], ROUTES[:1]), machine.endpoint, received)
    client.start()
    try:
        assert received.wait(lambda r: len(_pressures(r)) >= 3)
        machine.stop()
        assert received.wait(lambda r: r[-1].status == STATUS_STALE, timeout=15)
        assert until(lambda: not client.connected)
        before = len(_pressures(received.readings))
        machine.start()  # same port: a new server, its values start again at 1.01 bar
        assert received.wait(lambda r: len(_pressures(r)) >= before + 3, timeout=30)
        assert client.connected
    finally:
        client.stop()
        machine.stop()
