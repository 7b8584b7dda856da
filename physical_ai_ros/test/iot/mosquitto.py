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

"""A real Mosquitto broker for the IoT tests, started on a free loopback port, and helpers."""

from __future__ import annotations

import getpass
from pathlib import Path
import shutil
import socket
import subprocess
import threading
import time

import paho.mqtt.client as mqtt

from physical_ai_ros.core.perception.iot import Reading

MOSQUITTO = shutil.which('mosquitto') or '/usr/sbin/mosquitto'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return int(s.getsockname()[1])


class Broker:
    """Mosquitto on 127.0.0.1:port with on-disk persistence, restartable.

    With ``tls`` (``ca``, ``cert``, ``key`` PEM paths) the listener speaks TLS only and
    requires a client certificate signed by that CA.
    """

    def __init__(self, folder: Path, tls: dict[str, Path] | None = None) -> None:
        self.port = free_port()
        self.config = folder / 'mosquitto.conf'
        secure = ''
        if tls is not None:
            secure = (
                f'cafile {tls["ca"]}\ncertfile {tls["cert"]}\nkeyfile {tls["key"]}\n'
                'require_certificate true\n'
            )
        # run as root (CI containers), mosquitto would drop to the user `mosquitto`, who cannot
        # read this test's private folder; as anyone else the option has no effect
        self.config.write_text(
            f'user {getpass.getuser()}\nlistener {self.port} 127.0.0.1\n{secure}'
            'allow_anonymous true\n'
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


def publish(port: int, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect('127.0.0.1', port)
    client.loop_start()
    client.publish(topic, payload, qos=qos, retain=retain).wait_for_publish(timeout=5)
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


def until(condition, timeout: float = 10.0) -> bool:
    """Poll ``condition`` until it holds (bounded)."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return bool(condition())
