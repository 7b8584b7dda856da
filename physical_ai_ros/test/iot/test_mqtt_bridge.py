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
session) still arrive. Sparkplug B births, data and deaths; TLS with a client certificate,
and a broker the configured CA did not sign refused; 10,000 distinct topics with bounded
state.
"""

from __future__ import annotations

import json
from pathlib import Path
import shutil
import sys
import threading
import time

import pytest

mqtt = pytest.importorskip('paho.mqtt.client', reason='paho-mqtt is not installed')
if shutil.which('mosquitto') is None and not Path('/usr/sbin/mosquitto').exists():
    pytest.skip('the mosquitto broker is not installed', allow_module_level=True)

from mosquitto import Broker, publish, Received, until  # noqa: E402, I100

from physical_ai_ros.core.messages.payloads import PayloadSpec  # noqa: E402
from physical_ai_ros.core.perception.bridge import IotBridge, MqttRoute  # noqa: E402
from physical_ai_ros.core.perception.iot import STATUS_OK, STATUS_STALE  # noqa: E402
from physical_ai_ros.iot.mqtt import MqttBridgeClient  # noqa: E402

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
        assert until(lambda: client.connected)
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
        assert until(lambda: client.connected, 15.0)
        time.sleep(0.3)
        later = json.dumps({'t': 32.0, 'ts': 1_700_000_001_000, 'q': 'GOOD'}).encode()
        publish(broker.port, 'factory/line3/o7/temperature', later)
        assert received.wait(lambda r: any(abs(x.value) < 1e-9 for x in r), timeout=10.0)
    finally:
        client.stop()


@pytest.mark.parametrize('policy', ['judge', 'drop'])
def test_a_retained_message_is_judged_by_its_stamp_or_dropped(broker: Broker, policy: str) -> None:
    """What the broker kept from before the bridge subscribed is not a fresh reading."""
    unstamped = MqttRoute('factory/line4/+/temperature', 'oven_{2}', 'temperature', 'degF',
                          'degC', PayloadSpec('json', 't'))  # fmt: skip
    stamped = json.dumps({'t': 212.0, 'ts': 1_600_000_000_000, 'q': 'GOOD'}).encode()
    publish(broker.port, 'factory/line3/o1/temperature', stamped, retain=True)
    publish(broker.port, 'factory/line4/o2/temperature', b'{"t": 32.0}', retain=True)
    received = Received()
    bridge = IotBridge([ROUTE, unstamped], retained=policy)  # type: ignore[arg-type]
    client = MqttBridgeClient(bridge, '127.0.0.1', broker.port, received, persistent=False)
    client.start()
    try:
        assert until(lambda: client.connected)
        if policy == 'drop':
            assert until(lambda: bridge.status.rejected['retained'] == 2)
            assert received.readings == []
        else:
            assert received.wait(lambda r: len(r) == 2), bridge.status
            by_id = {r.sensor_id: r for r in received.readings}
            # its own stamp (2020): perception judges its age; no stamp: stale, never fresh
            assert by_id['oven_o1'].stamp_ns == 1_600_000_000_000 * 1_000_000
            assert by_id['oven_o1'].status == STATUS_OK
            assert by_id['oven_o2'].status == STATUS_STALE
            assert bridge.status.stamped == {'device': 1, 'retained': 1}
        # published now, not from the store: a good reading stamped on receipt
        publish(broker.port, 'factory/line4/o2/temperature', b'{"t": 50.0}')
        assert received.wait(lambda r: any(x.value == pytest.approx(10.0) for x in r))
        assert received.readings[-1].status == STATUS_OK
    finally:
        client.stop()


def test_payloads_that_once_killed_the_network_thread_leave_it_receiving(broker: Broker) -> None:
    """A 400-digit number, JSON nested 30,000 deep (60 kB): refused, and the next one arrives."""
    received = Received()
    client = MqttBridgeClient(IotBridge([ROUTE]), '127.0.0.1', broker.port, received)
    client.start()
    try:
        assert until(lambda: client.connected)
        time.sleep(0.2)
        topic = 'factory/line3/o7/temperature'
        publish(broker.port, topic, b'{"t": ' + b'9' * 400 + b'}')
        publish(broker.port, topic, b'[' * 30_000 + b']' * 30_000)
        good = json.dumps({'t': 212.0, 'ts': 1_700_000_000_000, 'q': 'GOOD'}).encode()
        publish(broker.port, topic, good)
        assert received.wait(lambda r: len(r) >= 1), client.bridge.status
        assert received.readings[0].value == pytest.approx(100.0)
        assert client.bridge.status.rejected == {'bad value': 1, 'bad payload': 1}
        assert client.last_error == ''
    finally:
        client.stop()


def test_qos1_messages_published_while_the_bridge_is_away_survive_a_broker_restart(
    broker: Broker,
) -> None:
    received = Received()
    bridge = IotBridge([ROUTE])
    first = MqttBridgeClient(bridge, '127.0.0.1', broker.port, received, client_id='persist')
    first.start()
    assert until(lambda: first.connected)
    time.sleep(0.2)
    first.stop()  # away; its persistent session stays on the broker
    for k in range(5):
        body = json.dumps({'t': 50.0 + k, 'ts': 1_700_000_000_000 + k, 'q': 'GOOD'}).encode()
        publish(broker.port, 'factory/line3/o1/temperature', body)
    broker.stop()  # the broker restarts meanwhile: its persistence file keeps them
    broker.start()
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
    assert until(lambda: robot.connected)
    robot.publish_state(state)
    time.sleep(0.3)
    seen: list[bytes] = []
    watcher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    watcher.on_message = lambda c, u, m: seen.append(bytes(m.payload))
    watcher.connect('127.0.0.1', broker.port)
    watcher.subscribe('robots/7/state', qos=1)
    watcher.loop_start()
    try:
        assert until(lambda: state in seen)  # retained: a late subscriber gets it at once
        robot.client.socket().close()  # the robot's link drops without a goodbye
        assert until(lambda: OFFLINE_PAYLOAD in seen)  # the broker sends its last will
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


def test_sparkplug_births_data_and_deaths_through_the_broker(broker: Broker) -> None:
    from physical_ai_ros.core.messages.payloads import PayloadSpec as Spec

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'core' / 'messages'))
    from test_sparkplug import DBIRTH, DDATA, DEVICE, NDEATH

    oil = MqttRoute(DEVICE.format('DDATA'), 'oil', 'temperature', 'degF', 'degC',
                    Spec('sparkplug', metric='Oil/Temperature'))  # fmt: skip
    received = Received()
    client = MqttBridgeClient(
        IotBridge([oil]), '127.0.0.1', broker.port, received, qos=1, protocol=311
    )  # fmt: skip  (MQTT 3.1.1, as many edge nodes)
    client.start()
    commands: list[tuple[str, bytes]] = []  # what the edge node would receive
    node = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    node.on_message = lambda c, u, m: commands.append((m.topic, bytes(m.payload)))
    node.connect('127.0.0.1', broker.port)
    node.subscribe('spBv1.0/plant1/NCMD/edge7')
    node.loop_start()
    try:
        assert until(lambda: client.connected)
        time.sleep(0.2)
        publish(broker.port, DEVICE.format('DDATA'), DDATA)  # before its birth: counted
        publish(broker.port, DEVICE.format('DBIRTH'), DBIRTH)
        publish(broker.port, DEVICE.format('DDATA'), DDATA)
        publish(broker.port, 'spBv1.0/plant1/NDEATH/edge7', NDEATH)  # the node's last will
        assert received.wait(lambda r: len(r) >= 3)
        assert [(round(r.value, 6), r.status) for r in received.readings] == [
            (100.0, STATUS_OK), (110.0, STATUS_OK), (110.0, STATUS_STALE),
        ]  # fmt: skip
        assert client.bridge.status.rejected == {'no birth': 1}
        # data it could not name: the host asked the edge node for its births (NCMD)
        assert until(lambda: len(commands) == 1)
        from physical_ai_ros.core.messages import sparkplug

        request = sparkplug._payload_class()()
        request.ParseFromString(commands[0][1])
        assert commands[0][0] == 'spBv1.0/plant1/NCMD/edge7'
        assert [(m.name, m.boolean_value) for m in request.metrics] == [
            ('Node Control/Rebirth', True)
        ]
    finally:
        node.loop_stop()
        node.disconnect()
        client.stop()


def test_tls_with_a_client_certificate_and_a_wrong_ca_refused(tmp_path: Path) -> None:
    from certificates import make_certificates

    from physical_ai_ros.inference.tls import TlsFiles

    certs = make_certificates(tmp_path)
    broker = Broker(tmp_path, tls={'ca': certs['ca.pem'], 'cert': certs['server.pem'],
                                   'key': certs['server.key']})  # fmt: skip
    broker.start()
    good = TlsFiles(str(certs['ca.pem']), str(certs['client.pem']), str(certs['client.key']))
    wrong = TlsFiles(str(certs['other.pem']), str(certs['client.pem']), str(certs['client.key']))
    received, refused = Received(), Received()
    trusted = MqttBridgeClient(IotBridge([ROUTE]), '127.0.0.1', broker.port, received,
                               client_id='tls-good', tls=good)  # fmt: skip
    stranger = MqttBridgeClient(IotBridge([ROUTE]), '127.0.0.1', broker.port, refused,
                                client_id='tls-wrong-ca', tls=wrong)  # fmt: skip
    trusted.start()
    stranger.start()
    try:
        assert until(lambda: trusted.connected)
        time.sleep(0.2)
        sender = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        sender.tls_set(ca_certs=str(certs['ca.pem']), certfile=str(certs['client.pem']),
                       keyfile=str(certs['client.key']))  # fmt: skip
        sender.connect('127.0.0.1', broker.port)
        sender.loop_start()
        body = json.dumps({'t': 212.0, 'ts': 1_700_000_000_000, 'q': 'GOOD'}).encode()
        sender.publish('factory/line3/o7/temperature', body, qos=1).wait_for_publish(5)
        sender.loop_stop()
        sender.disconnect()
        assert received.wait(lambda r: len(r) == 1)
        # a broker whose certificate the configured CA did not sign is never trusted
        assert not stranger.connected and refused.readings == []
        assert 'certificate verify failed' in stranger.last_error
    finally:
        trusted.stop()
        stranger.stop()
        broker.stop()


def test_iot_record_takes_the_nodes_tls_and_credentials_from_params(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A secured plant: TLS with a client certificate and a password from the environment."""
    from certificates import make_certificates
    import yaml

    from physical_ai_ros.cli import main

    certs = make_certificates(tmp_path)
    broker = Broker(tmp_path, tls={'ca': certs['ca.pem'], 'cert': certs['server.pem'],
                                   'key': certs['server.key']})  # fmt: skip
    broker.start()
    mapping = tmp_path / 'bridge.yaml'
    mapping.write_text(
        "mqtt:\n  - {topic: factory/+/t, sensor_id: 't_{1}', quantity: temperature,"
        ' unit: degF, to_unit: degC, payload: {format: number}}\n'
    )
    monkeypatch.setenv('PLANT_MQTT_PASSWORD', 'secret')  # read, never put in the file
    params = tmp_path / 'params.yaml'
    node = {'mapping_file': str(mapping), 'mqtt.host': '127.0.0.1', 'mqtt.port': broker.port,
            'mqtt.tls.ca': str(certs['ca.pem']), 'mqtt.tls.cert': str(certs['client.pem']),
            'mqtt.tls.key': str(certs['client.key']), 'mqtt.username': 'recorder',
            'mqtt.password_env': 'PLANT_MQTT_PASSWORD'}  # fmt: skip
    params.write_text(yaml.safe_dump({'iot_bridge_node': {'ros__parameters': node}}))
    out = tmp_path / 'bag'
    done: list[int] = []
    recorder = threading.Thread(target=lambda: done.append(main([
        'iot', 'record', '--params', str(params), '--out', str(out), '--seconds', '4',
        '--max-readings', '1',
    ])))  # fmt: skip
    recorder.start()
    try:
        time.sleep(1.5)  # connected and subscribed, through TLS
        sender = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        sender.tls_set(ca_certs=str(certs['ca.pem']), certfile=str(certs['client.pem']),
                       keyfile=str(certs['client.key']))  # fmt: skip
        sender.connect('127.0.0.1', broker.port)
        sender.loop_start()
        sender.publish('factory/m1/t', b'212', qos=1).wait_for_publish(5)
        sender.loop_stop()
        sender.disconnect()
        recorder.join(timeout=30)
    finally:
        broker.stop()
    assert done == [0], capsys.readouterr()
    assert '1 readings on /iot/readings' in capsys.readouterr().out
    # without the variable the password would be missing: refused by name, before connecting
    monkeypatch.delenv('PLANT_MQTT_PASSWORD')
    code = main(['iot', 'record', '--params', str(params), '--out', str(tmp_path / 'b2'),
                 '--seconds', '1'])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "password_env='PLANT_MQTT_PASSWORD'" in err and err.count('\n') == 1


def test_iot_record_refuses_a_bad_params_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml

    from physical_ai_ros.cli import main

    params = tmp_path / 'params.yaml'
    node = {'opcua.endpoint': 'opc.tcp://:::garbage:::', 'mqtt.tls.cert': 'client.pem'}
    params.write_text(yaml.safe_dump({'iot_bridge_node': {'ros__parameters': node}}))
    code = main(['iot', 'record', '--params', str(params), '--mapping', 'x.yaml',
                 '--out', str(tmp_path / 'bag'), '--seconds', '1'])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.count('\n') == 1, err
    assert 'iot_bridge_node' in err and not (tmp_path / 'bag').exists()


def test_ten_thousand_distinct_topics_leave_memory_bounded(broker: Broker) -> None:
    from physical_ai_ros.core.perception.bridge import MAX_SENSORS

    flood = MqttRoute('factory/+/+/temperature', 'm_{1}_{2}', 'temperature', 'degC', 'degC',
                      PayloadSpec('number'))  # fmt: skip
    bridge = IotBridge([flood])
    client = MqttBridgeClient(bridge, '127.0.0.1', broker.port, lambda r: None, qos=0)
    client.start()
    sender = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    try:
        assert until(lambda: client.connected)
        time.sleep(0.2)
        sender.connect('127.0.0.1', broker.port)
        sender.loop_start()
        for k in range(10_000):  # every message a new topic, a new sensor id
            sender.publish(f'factory/line{k // 100}/m{k % 100}/temperature', b'21.5', qos=0)
        sender.publish('elsewhere/end', b'1', qos=1).wait_for_publish(10)
        counts = bridge.status
        assert until(lambda: counts.accepted == 10_000, 30)  # every message became a reading
        assert len(bridge.last) == MAX_SENSORS  # the oldest made-up ids forgotten
        assert counts.rejected == {'evicted': 10_000 - MAX_SENSORS}  # one key, whatever the flood
    finally:
        sender.loop_stop()
        sender.disconnect()
        client.stop()


def test_sim_devices_to_the_broker_to_the_bridge_give_the_sims_readings(
    broker: Broker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sim record --mqtt -> Mosquitto -> iot record: the readings the simulator recorded."""
    import physical_ai_ros.sim  # noqa: F401 (before mujoco: it picks the headless renderer)

    pytest.importorskip('mujoco', reason='the simulator needs mujoco')
    from rosbags.highlevel import AnyReader

    from physical_ai_ros.cli import main
    from physical_ai_ros.core.messages.stamps import stamp_to_ns

    mapping = Path(__file__).resolve().parents[2] / 'config' / 'iot' / 'sim_mapping.yaml'
    sim_bag, bridged_bag = tmp_path / 'sim', tmp_path / 'bridged'
    expected = 2 * 17  # 1 s of 16 temperatures and one vibration sensor at 2 Hz
    done: list[int] = []
    recorder = threading.Thread(target=lambda: done.append(main([
        'iot', 'record', '--mapping', str(mapping), '--broker', f'127.0.0.1:{broker.port}',
        '--out', str(bridged_bag), '--seconds', '60', '--max-readings', str(expected),
    ])))  # fmt: skip
    recorder.start()
    time.sleep(1.0)  # connected and subscribed
    assert main([
        'sim', 'record', '--scenario', 'aisle', '--seconds', '1', '--seed', '3',
        '--out', str(sim_bag), '--mqtt', f'mqtt://127.0.0.1:{broker.port}',
    ]) == 0  # fmt: skip
    recorder.join(timeout=60)
    assert done == [0]
    assert f'published {expected} IoT readings' in capsys.readouterr().out

    def readings(bag: Path) -> list[tuple[str, str, float, str, int]]:
        with AnyReader([bag]) as reader:
            found = [
                (m.sensor_id, m.quantity, m.value, m.unit, stamp_to_ns(m.header.stamp))
                for c, _, raw in reader.messages([x for x in reader.connections
                                                  if x.topic == '/iot/readings'])
                for m in [reader.deserialize(raw, c.msgtype)]
            ]  # fmt: skip
        return sorted(found)

    assert readings(bridged_bag) == readings(sim_bag)  # every reading, value and stamp


def test_a_sparkplug_host_says_online_once_subscribed_and_its_will_says_offline(
    broker: Broker,
) -> None:
    """Sparkplug 3.0 host application STATE: retained, QoS 1, birth and will share a stamp."""
    from physical_ai_ros.core.messages.sparkplug import host_state_payload

    seen: list[tuple[bytes, bool]] = []
    watcher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    watcher.on_message = lambda c, u, m: seen.append((bytes(m.payload), bool(m.retain)))
    watcher.connect('127.0.0.1', broker.port)
    watcher.subscribe('spBv1.0/STATE/robot7', qos=1)
    watcher.loop_start()
    host = MqttBridgeClient(
        IotBridge([ROUTE]), '127.0.0.1', broker.port, lambda r: None, client_id='host-7',
        sparkplug_host_id='robot7', clock_ns=lambda: 1_700_000_000_123_000_000,
    )  # fmt: skip
    online = host_state_payload(True, 1_700_000_000_123)
    offline = host_state_payload(False, 1_700_000_000_123)
    assert json.loads(online) == {'online': True, 'timestamp': 1_700_000_000_123}
    host.start()
    try:
        assert until(lambda: (online, False) in seen)
        # another client (or an old will) says the host is offline: it says online again
        publish(broker.port, 'spBv1.0/STATE/robot7', offline, retain=True)
        assert until(lambda: [p for p, _ in seen].count(online) >= 2)
        assert host.bridge.status.rejected == {}  # its own STATE is not a device's message
        host.client.socket().close()  # the link drops without a goodbye: the will
        assert until(lambda: seen[-1][0] == offline)
        late: list[tuple[bytes, bool]] = []  # a late subscriber: the retained offline
        reader = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        reader.on_message = lambda c, u, m: late.append((bytes(m.payload), bool(m.retain)))
        reader.connect('127.0.0.1', broker.port)
        reader.subscribe('spBv1.0/STATE/robot7', qos=1)
        reader.loop_start()
        assert until(lambda: late == [(offline, True)])
        reader.loop_stop()
        reader.disconnect()
    finally:
        watcher.loop_stop()
        watcher.disconnect()
        host.client.loop_stop()
    with pytest.raises(Exception, match='one last will'):
        MqttBridgeClient(IotBridge([ROUTE]), '127.0.0.1', broker.port, lambda r: None,
                         state_topic='robots/7/state', sparkplug_host_id='robot7')  # fmt: skip


def test_the_robot_is_a_sparkplug_edge_node_births_data_rebirth_and_death(
    broker: Broker,
) -> None:
    """NBIRTH (seq 0, bdSeq, Node Control/Rebirth), NDATA of what changed, NDEATH as the will."""
    from physical_ai_ros.core.messages.sparkplug import _payload_class, encode_rebirth
    from physical_ai_ros.core.messages.sparkplug_edge import robot_state_metrics

    seen: list[tuple[str, object]] = []

    def on_message(client: object, userdata: object, message: object) -> None:
        kind = message.topic.split('/')[2]  # type: ignore[attr-defined]
        if kind == 'NCMD':
            return  # the host's own command, back from its subscription
        payload = _payload_class()()
        payload.ParseFromString(message.payload)  # type: ignore[attr-defined]
        seen.append((kind, payload))

    host = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    host.on_message = on_message
    host.connect('127.0.0.1', broker.port)
    host.subscribe('spBv1.0/plant1/+/robot7', qos=1)
    host.loop_start()
    robot = MqttBridgeClient(IotBridge([]), '127.0.0.1', broker.port, lambda r: None,
                             client_id='robot-7', sparkplug_edge=('plant1', 'robot7'))  # fmt: skip
    state = {'gate': 'passing', 'stopping': False, 'stops': {'stale_input': 2},
             'backend': 'local', 'iot_out_of_range': []}  # fmt: skip
    robot.publish_metrics(robot_state_metrics(**state))  # before connecting: kept for birth
    robot.start()

    def values(payload: object) -> dict[str, object]:
        return {m.name: getattr(m, m.WhichOneof('value')) for m in payload.metrics}  # type: ignore[attr-defined]

    try:
        assert until(lambda: [k for k, _ in seen] == ['NBIRTH'])
        birth = seen[0][1]
        assert birth.seq == 0  # type: ignore[attr-defined]
        born = values(birth)
        assert born['bdSeq'] == 0 and born['Node Control/Rebirth'] is False
        assert born['Gate/Stopping'] is False and born['Gate/Stops/stale_input'] == 2
        types = {m.name: m.datatype for m in birth.metrics}  # type: ignore[attr-defined]
        assert types['Gate/Stopping'] == 11 and types['Gate/Message'] == 12
        # a change: NDATA with the changed metrics only, seq 1
        robot.publish_metrics(robot_state_metrics(**(state | {'stopping': True})))
        robot.publish_metrics(robot_state_metrics(**(state | {'stopping': True})))  # no change
        assert until(lambda: len(seen) == 2)
        time.sleep(0.3)
        assert len(seen) == 2 and seen[1][0] == 'NDATA'
        assert seen[1][1].seq == 1 and values(seen[1][1]) == {'Gate/Stopping': True}  # type: ignore[attr-defined]
        # a host asks for a rebirth: a new NBIRTH, seq 0 again, the same session's bdSeq
        host.publish('spBv1.0/plant1/NCMD/robot7', encode_rebirth(1), qos=1).wait_for_publish(5)
        assert until(lambda: len(seen) == 3 and seen[2][0] == 'NBIRTH')
        assert seen[2][1].seq == 0 and values(seen[2][1])['bdSeq'] == 0  # type: ignore[attr-defined]
        # a new stop reason is a metric the birth did not declare: a new birth with it
        robot.publish_metrics(robot_state_metrics(**(state | {'stops': {'estop': 1}})))
        assert until(lambda: len(seen) == 4 and seen[3][0] == 'NBIRTH')
        assert values(seen[3][1])['Gate/Stops/estop'] == 1
        # the link drops: the broker sends the NDEATH will with the session's bdSeq
        robot.client.socket().close()
        assert until(lambda: any(k == 'NDEATH' for k, _ in seen))
        death = next(p for k, p in seen if k == 'NDEATH')
        assert values(death) == {'bdSeq': 0}
        # paho reconnects: the next session's birth has the next bdSeq
        assert until(lambda: any(k == 'NBIRTH' and values(p)['bdSeq'] == 1 for k, p in seen),
                     15.0)  # fmt: skip
    finally:
        host.loop_stop()
        host.disconnect()
        robot.stop()


def test_bridges_in_a_shared_group_share_the_messages_each_to_one(broker: Broker) -> None:
    """MQTT 5 shared subscriptions: two bridge processes' worth of clients split the load."""
    readings: list[list[object]] = [[], []]
    clients = [
        MqttBridgeClient(
            IotBridge([ROUTE]),
            '127.0.0.1',
            broker.port,
            readings[k].append,
            client_id=f'bridge-{k}',
            shared_group='bridges',
            qos=1,
            persistent=False,
        )
        for k in range(2)
    ]
    for client in clients:
        client.start()
    try:
        assert until(lambda: all(c.connected for c in clients))
        time.sleep(0.3)
        sender = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        sender.connect('127.0.0.1', broker.port)
        sender.loop_start()
        for k in range(200):
            body = json.dumps({'t': 32.0 + k, 'ts': 1_700_000_000_000 + k, 'q': 'GOOD'})
            sender.publish(f'factory/line3/o{k % 4}/temperature', body.encode(), qos=1)
        sender.publish('factory/line3/end/temperature', b'{}', qos=1).wait_for_publish(10)
        sender.loop_stop()
        sender.disconnect()
        assert until(lambda: len(readings[0]) + len(readings[1]) == 200)
        stamps = sorted(r.stamp_ns for part in readings for r in part)  # type: ignore[attr-defined]
        assert len(set(stamps)) == 200  # every message once, none twice
        assert min(len(readings[0]), len(readings[1])) > 0  # both took a share
    finally:
        for client in clients:
            client.stop()
    sparkplug = MqttRoute('spBv1.0/plant1/DDATA/edge7/press3', 'press3', 'pressure', 'bar', 'Pa',
                          PayloadSpec('sparkplug', metric='P'))  # fmt: skip
    with pytest.raises(Exception, match='Sparkplug routes need every message'):
        MqttBridgeClient(IotBridge([sparkplug]), '127.0.0.1', broker.port, lambda r: None,
                         shared_group='bridges')  # fmt: skip
