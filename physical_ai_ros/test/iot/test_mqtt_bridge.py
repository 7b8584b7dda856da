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

"""The MQTT bridge against a real Mosquitto broker on loopback, started here.

Readings arrive converted and stamped; a broker restart turns the last values stale, the
client reconnects by itself, and QoS 1 messages published while it was away (persistent
session) still arrive.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
import shutil
import socket
import subprocess
import threading
import time

import pytest

mqtt = pytest.importorskip('paho.mqtt.client', reason='paho-mqtt is not installed')
if shutil.which('mosquitto') is None and not Path('/usr/sbin/mosquitto').exists():
    pytest.skip('the mosquitto broker is not installed', allow_module_level=True)

from physical_ai_ros.core.messages.payloads import PayloadSpec  # noqa: E402
from physical_ai_ros.core.perception.bridge import IotBridge, MqttRoute  # noqa: E402
from physical_ai_ros.core.perception.iot import Reading, STATUS_OK, STATUS_STALE  # noqa: E402
from physical_ai_ros.iot.mqtt import MqttBridgeClient  # noqa: E402

MOSQUITTO = shutil.which('mosquitto') or '/usr/sbin/mosquitto'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return int(s.getsockname()[1])


class Broker:
    """Mosquitto on 127.0.0.1:port with on-disk persistence, restartable."""

    def __init__(self, folder: Path) -> None:
        self.port = _free_port()
        self.config = folder / 'mosquitto.conf'
        self.config.write_text(
            f'listener {self.port} 127.0.0.1\nallow_anonymous true\n'
            f'persistence true\npersistence_location {folder}/\n'
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [MOSQUITTO, '-c', str(self.config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(('127.0.0.1', self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError('mosquitto did not start')

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()  # mosquitto saves its persistence file on SIGTERM
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    running = Broker(tmp_path)
    running.start()
    yield running
    running.stop()


def publish(port: int, topic: str, payload: bytes, qos: int = 1) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect('127.0.0.1', port)
    client.loop_start()
    client.publish(topic, payload, qos=qos).wait_for_publish(timeout=5)
    client.loop_stop()
    client.disconnect()


class Received:
    """Readings from the bridge's thread, waited for here."""

    def __init__(self) -> None:
        self.readings: list[Reading] = []
        self.changed = threading.Condition()

    def __call__(self, reading: Reading) -> None:
        with self.changed:
            self.readings.append(reading)
            self.changed.notify_all()

    def wait(self, condition, timeout: float = 10.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: condition(self.readings), timeout)


def _until(condition, timeout: float = 10.0) -> bool:
    """Poll ``condition`` until it holds (bounded)."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return bool(condition())


ROUTE = MqttRoute(
    'factory/line3/+/temperature', 'oven_{2}', 'temperature', 'degF', 'degC',
    PayloadSpec('json', 't', 'ts', 'ms', 'q', ('GOOD',)),
)  # fmt: skip


def test_readings_arrive_converted_and_survive_a_broker_restart(broker: Broker) -> None:
    received = Received()
    client = MqttBridgeClient(
        IotBridge([ROUTE]), '127.0.0.1', broker.port, received, client_id='bridge-under-test'
    )
    client.start()
    try:
        assert _until(lambda: client.connected)
        time.sleep(0.2)  # the subscription is in place
        payload = json.dumps({'t': 212.0, 'ts': 1_700_000_000_000, 'q': 'GOOD'}).encode()
        publish(broker.port, 'factory/line3/o7/temperature', payload)
        publish(broker.port, 'factory/line3/o7/temperature', b'garbage')
        assert received.wait(lambda r: len(r) >= 1)
        first = received.readings[0]
        assert (first.sensor_id, first.unit, first.status) == ('oven_o7', 'degC', STATUS_OK)
        assert first.value == pytest.approx(100.0)
        assert first.stamp_ns == 1_700_000_000_000 * 1_000_000
        assert client.bridge.status.rejected['bad payload'] == 1
        # the broker restarts: the last value turns stale, the client reconnects by itself
        broker.stop()
        assert received.wait(lambda r: any(x.status == STATUS_STALE for x in r))
        broker.start()
        assert _until(lambda: client.connected, 15.0)
        time.sleep(0.3)
        later = json.dumps({'t': 32.0, 'ts': 1_700_000_001_000, 'q': 'GOOD'}).encode()
        publish(broker.port, 'factory/line3/o7/temperature', later)
        assert received.wait(lambda r: any(abs(x.value) < 1e-9 for x in r), timeout=10.0)
    finally:
        client.stop()


def test_qos1_messages_published_while_the_bridge_is_away_arrive(broker: Broker) -> None:
    received = Received()
    bridge = IotBridge([ROUTE])
    first = MqttBridgeClient(bridge, '127.0.0.1', broker.port, received, client_id='persist')
    first.start()
    assert _until(lambda: first.connected)
    time.sleep(0.2)
    first.stop()  # away; its persistent session stays on the broker
    for k in range(5):
        body = json.dumps({'t': 50.0 + k, 'ts': 1_700_000_000_000 + k, 'q': 'GOOD'}).encode()
        publish(broker.port, 'factory/line3/o1/temperature', body)
    again = MqttBridgeClient(bridge, '127.0.0.1', broker.port, received, client_id='persist')
    again.start()
    try:
        assert received.wait(lambda r: sum(x.status == STATUS_OK for x in r) >= 5)
        values = sorted(round(x.value, 6) for x in received.readings if x.status == STATUS_OK)
        assert values == sorted(round((50.0 + k - 32.0) * 5 / 9, 6) for k in range(5))
    finally:
        again.stop()


def test_the_robot_state_is_retained_and_offline_is_its_last_will(broker: Broker) -> None:
    from physical_ai_ros.core.messages.payloads import OFFLINE_PAYLOAD, robot_state_payload

    state = robot_state_payload(
        5, gate='stopping: stale input', stopping=True, stops={'stale_input': 3},
        backend='local', iot_out_of_range=['oven_o7'],
    )  # fmt: skip
    assert json.loads(state) == {
        'state': 'online', 'stamp_ns': 5, 'policy_backend': 'local',
        'gate': {'stopping': True, 'message': 'stopping: stale input',
                 'stops': {'stale_input': 3}},
        'iot_out_of_range': ['oven_o7'],
    }  # fmt: skip
    robot = MqttBridgeClient(
        IotBridge([ROUTE]), '127.0.0.1', broker.port, lambda r: None,
        client_id='robot-7', state_topic='robots/7/state',
    )  # fmt: skip
    robot.start()
    assert _until(lambda: robot.connected)
    robot.publish_state(state)
    time.sleep(0.3)
    seen: list[bytes] = []
    watcher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    watcher.on_message = lambda c, u, m: seen.append(bytes(m.payload))
    watcher.connect('127.0.0.1', broker.port)
    watcher.subscribe('robots/7/state', qos=1)
    watcher.loop_start()
    try:
        assert _until(lambda: state in seen)  # retained: a late subscriber gets it at once
        robot.client.socket().close()  # the robot's link drops without a goodbye
        assert _until(lambda: OFFLINE_PAYLOAD in seen)  # the broker sends its last will
    finally:
        watcher.loop_stop()
        watcher.disconnect()
        robot.client.loop_stop()


def test_iot_record_writes_the_bridged_readings_into_a_bag_replay_reads(
    broker: Broker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from physical_ai_ros.cli import main
    from physical_ai_ros.replay.baginfo import summarize_bag

    mapping = tmp_path / 'bridge.yaml'
    mapping.write_text(
        "mqtt:\n  - {topic: factory/+/t, sensor_id: 't_{1}', quantity: temperature,"
        ' unit: degF, to_unit: degC, payload: {format: number}}\n'
    )
    out = tmp_path / 'iot_bag'
    done: list[int] = []
    recorder = threading.Thread(target=lambda: done.append(main([
        'iot', 'record', '--mapping', str(mapping), '--broker', f'127.0.0.1:{broker.port}',
        '--out', str(out), '--seconds', '4',
    ])))  # fmt: skip
    recorder.start()
    time.sleep(1.0)  # connected and subscribed
    sender = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    sender.connect('127.0.0.1', broker.port)
    sender.loop_start()
    for k in range(5):
        sender.publish(f'factory/m{k}/t', f'{32 + 9 * k}'.encode(), qos=1).wait_for_publish(5)
    sender.publish('factory/m9/t', b'not a number', qos=1).wait_for_publish(5)
    sender.loop_stop()
    sender.disconnect()
    recorder.join(timeout=30)
    assert done == [0]
    printed = capsys.readouterr().out
    assert 'wrote' in printed and '5 readings on /iot/readings; refused: bad value 1' in printed
    summary = summarize_bag(out)
    (topic,) = summary.topics
    assert topic.name == '/iot/readings' and topic.count == 5
    assert topic.msgtype == 'physical_ai_ros_interfaces/msg/IotReading'
