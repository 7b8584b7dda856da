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

"""launch_testing of the IoT bridge: a real Mosquitto broker and OPC UA server into perception.

The test starts Mosquitto on a free loopback port and an asyncua server playing a press
(test/iot/opcua_machine.py), and launches bringup with ``iot_mapping`` (perception, policy,
safety and iot_bridge_node). It publishes device messages over MQTT and checks the readings on
``iot/readings`` (converted, stamped by the device, a bad quality marked as an error, garbage
counted on /diagnostics), the press's OPC UA values among them, that perception_node took them
in, and the robot's state northbound. Runs where ROS 2, paho-mqtt, asyncua and mosquitto are
installed.
"""

from __future__ import annotations

import json
from pathlib import Path
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

import pytest

pytest.importorskip('launch_testing', reason='launch_testing is not installed (no ROS 2 here)')
rclpy = pytest.importorskip('rclpy', reason='rclpy is not installed (no ROS 2 here)')
mqtt = pytest.importorskip('paho.mqtt.client', reason='paho-mqtt is not installed')
pytest.importorskip('asyncua', reason='asyncua is not installed')
MOSQUITTO = shutil.which('mosquitto') or '/usr/sbin/mosquitto'
if not Path(MOSQUITTO).exists():
    pytest.skip('the mosquitto broker is not installed', allow_module_level=True)

import launch  # noqa: E402, I100 (after the skips above)

sys.path.insert(0, str(Path(__file__).resolve().parent))  # launch_helpers
from launch_helpers import bringup_test_description, spin_until  # noqa: E402, I100


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return int(s.getsockname()[1])


PORT, OPCUA_PORT = _free_port(), _free_port()
MACHINE = Path(__file__).resolve().parents[1] / 'iot' / 'opcua_machine.py'
FOLDER = Path(tempfile.mkdtemp())
MAPPING = FOLDER / 'bridge.yaml'
MAPPING.write_text(
    'mqtt:\n'
    '  - topic: factory/line3/+/temperature\n'
    "    sensor_id: 'oven_{2}'\n"
    '    quantity: temperature\n'
    '    unit: degF\n'
    '    to_unit: degC\n'
    '    payload: {format: json, value: t, timestamp: ts, timestamp_unit: ms, quality: q,'
    ' good: [GOOD]}\n'
    'opcua:\n'
    "  - {node_id: 'ns=2;s=Press3.Pressure', sensor_id: press3_pressure, quantity: pressure,"
    ' unit: bar, to_unit: Pa, sampling_interval_ms: 50,'
    ' publish_as: sensor_msgs/msg/FluidPressure}\n'
)


@pytest.mark.launch_test
def generate_test_description() -> tuple[launch.LaunchDescription, dict]:
    import ament_index_python
    import yaml

    share = Path(ament_index_python.get_package_share_directory('physical_ai_ros'))
    data = yaml.safe_load((share / 'config' / 'mobile_base.yaml').read_text())
    mqtt_params = {'port': PORT, 'state_topic': 'robots/test/state'}
    opcua_params = {'endpoint': f'opc.tcp://127.0.0.1:{OPCUA_PORT}/machine'}
    data['iot_bridge_node'] = {'ros__parameters': {'mqtt': mqtt_params, 'opcua': opcua_params}}
    params = FOLDER / 'params.yaml'
    params.write_text(yaml.safe_dump(data))
    return bringup_test_description(
        params_file=str(params),
        iot_mapping=str(MAPPING),
        enable_camera='false',
        enable_lidar='false',
    )


class TestIotBridge(unittest.TestCase):
    """Broker up, devices publish, readings arrive."""

    @classmethod
    def setUpClass(cls) -> None:
        from diagnostic_msgs.msg import DiagnosticArray

        from physical_ai_ros_interfaces.msg import IotReading

        config = FOLDER / 'mosquitto.conf'
        config.write_text(f'listener {PORT} 127.0.0.1\nallow_anonymous true\n')
        cls.broker = subprocess.Popen(
            [MOSQUITTO, '-c', str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        cls.machine = subprocess.Popen(
            [sys.executable, str(MACHINE), str(OPCUA_PORT)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        rclpy.init()
        cls.node = rclpy.create_node('iot_tester')
        cls.readings: list[IotReading] = []
        cls.diagnostics: list[dict[str, str]] = []
        cls.perception: list[dict[str, str]] = []
        # deep enough for the press's ~40 readings/s while a test publishes and does not spin
        cls.node.create_subscription(IotReading, 'iot/readings', cls.readings.append, 2000)

        def diagnostics(msg: DiagnosticArray) -> None:
            for item in msg.status:
                if item.name.endswith('iot bridge'):
                    cls.diagnostics.append({kv.key: kv.value for kv in item.values})
                elif item.name.endswith('perception'):
                    cls.perception.append({kv.key: kv.value for kv in item.values})

        cls.node.create_subscription(DiagnosticArray, '/diagnostics', diagnostics, 10)
        from sensor_msgs.msg import FluidPressure

        cls.pressures: list[FluidPressure] = []
        cls.node.create_subscription(
            FluidPressure, 'iot/press3_pressure', cls.pressures.append, 100
        )

    @classmethod
    def tearDownClass(cls) -> None:
        cls.broker.terminate()
        cls.broker.wait(timeout=10)
        cls.machine.kill()
        cls.machine.wait(timeout=10)
        cls.node.destroy_node()
        rclpy.shutdown()

    def spin_until(self, condition, timeout: float) -> bool:
        return spin_until(self.node, condition, timeout, 0.05)

    def publish(self, topic: str, payload: bytes) -> None:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        client.connect('127.0.0.1', PORT)
        client.loop_start()
        client.publish(topic, payload, qos=1).wait_for_publish(timeout=5)
        client.loop_stop()
        client.disconnect()

    def test_device_messages_become_readings(self) -> None:
        connected = self.spin_until(
            lambda: any(d.get('mqtt_connected') == 'True' for d in self.diagnostics), 30.0
        )
        self.assertTrue(connected, f'the bridge never connected: {self.diagnostics[-1:]}')
        good = {'t': 212.0, 'ts': 1_700_000_000_000, 'q': 'GOOD'}
        self.publish('factory/line3/o7/temperature', json.dumps(good).encode())
        self.publish('factory/line3/o8/temperature', json.dumps({**good, 'q': 'BAD'}).encode())
        self.publish('factory/line3/o9/temperature', b'garbage')
        self.assertTrue(self.spin_until(
            lambda: {'oven_o7', 'oven_o8'} <= {r.sensor_id for r in self.readings}, 10.0
        ), (self.diagnostics[-1:], {r.sensor_id for r in self.readings}))  # fmt: skip
        by_id = {r.sensor_id: r for r in self.readings}
        oven = by_id['oven_o7']
        self.assertAlmostEqual(oven.value, 100.0, places=9)
        self.assertEqual((oven.unit, oven.status), ('degC', oven.STATUS_OK))
        self.assertEqual(oven.header.stamp.sec, 1_700_000_000)
        self.assertEqual(by_id['oven_o8'].status, oven.STATUS_ERROR)
        counted = self.spin_until(
            lambda: any(d.get('rejected/bad payload') == '1' for d in self.diagnostics), 5.0
        )
        self.assertTrue(counted, self.diagnostics[-1:])
        # perception_node took the bridged readings in (oven_o7 is not a sensor the shipped
        # params configure, so it counts them as from an unknown sensor)
        heard = self.spin_until(
            lambda: any(k.startswith('iot_rejected/oven_o7') for d in self.perception for k in d),
            5.0,
        )
        self.assertTrue(heard, self.perception[-1:])
        # northbound: the robot's state, retained, from the stack's own /diagnostics
        states: list[dict] = []
        watcher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        watcher.on_message = lambda c, u, m: states.append(json.loads(m.payload))
        watcher.connect('127.0.0.1', PORT)
        watcher.subscribe('robots/test/state', qos=1)
        watcher.loop_start()
        try:
            got = self.spin_until(lambda: any(s.get('state') == 'online' for s in states), 10.0)
        finally:
            watcher.loop_stop()
            watcher.disconnect()
        self.assertTrue(got, states[-1:])
        online = next(s for s in states if s.get('state') == 'online')
        # no lidar in this launch: the gate holds the robot, and says why
        self.assertTrue(online['gate']['stopping'])
        self.assertEqual(online['policy_backend'], 'local')

    def test_the_press_on_opcua_reaches_iot_readings(self) -> None:
        press = self.spin_until(
            lambda: any(r.sensor_id == 'press3_pressure' for r in self.readings), 30.0
        )
        self.assertTrue(press, f'no OPC UA reading: {self.diagnostics[-1:]}')
        reading = next(r for r in self.readings if r.sensor_id == 'press3_pressure')
        self.assertEqual((reading.unit, reading.quantity), ('Pa', 'pressure'))
        self.assertGreater(reading.value, 1.0e5)  # 1.01 bar and up, in Pa
        # stamped by the press's clock (opcua_machine.EPOCH, 2026-11-30 12:00 UTC, + 20 ms a
        # value), not on receipt
        self.assertIn(reading.header.stamp.sec - 1_796_040_000, range(3600))
        self.assertTrue(self.spin_until(
            lambda: any(d.get('opcua_connected') == 'True' for d in self.diagnostics), 5.0
        ), self.diagnostics[-1:])  # fmt: skip
        # publish_as: the same values as sensor_msgs/FluidPressure on iot/press3_pressure
        self.assertTrue(self.spin_until(lambda: len(self.pressures) >= 3, 5.0))
        self.assertGreater(self.pressures[-1].fluid_pressure, 1.0e5)
