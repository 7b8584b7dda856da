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

"""The simulator's IoT sensors as factory devices on an MQTT broker.

``physical-ai sim record --mqtt HOST:PORT`` hands every IotReading the simulated sensors
produce to :class:`MqttDevices`, which publishes it as a device would: JSON on
``PREFIX/SENSOR_ID/QUANTITY`` with the value in the sensor's unit, the measurement time in
ns and a quality. ``config/iot/sim_mapping.yaml`` maps those topics back to sensors, so the
whole path runs: simulator -> broker -> IoT bridge -> perception -> policy.
"""

from __future__ import annotations

import json
from typing import Any

from physical_ai_ros.core.messages.stamps import stamp_to_ns

#: IotReading status -> the quality a device sends.
QUALITY = {0: 'GOOD', 1: 'UNCERTAIN', 2: 'BAD', 3: 'STALE'}


def device_payload(msg: Any) -> tuple[str, bytes]:
    """The (topic tail, JSON payload) a device sends for an IotReading message."""
    body = {
        'value': float(msg.value),
        'unit': msg.unit,
        'ts': stamp_to_ns(msg.header.stamp),
        'quality': QUALITY.get(int(msg.status), 'BAD'),
    }
    return f'{msg.sensor_id}/{msg.quantity}', json.dumps(body, sort_keys=True).encode()


class MqttDevices:
    """Publishes simulated IoT readings to a broker (QoS 1: none lost on the way)."""

    def __init__(self, host: str, port: int, prefix: str = 'sim') -> None:
        """Connect to ``host:port``; topics start with ``prefix``."""
        import paho.mqtt.client as mqtt

        self.prefix = prefix.rstrip('/')
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id='physical_ai_ros_sim_devices',
            protocol=mqtt.MQTTv5,
        )  # fmt: skip
        self.client.connect(host, port)
        self.client.loop_start()
        self.sent = 0
        self._last: Any = None

    def __call__(self, msg: Any) -> None:
        """Publish one IotReading message."""
        tail, payload = device_payload(msg)
        self._last = self.client.publish(f'{self.prefix}/{tail}', payload, qos=1)
        self.sent += 1

    def close(self, timeout_s: float = 30.0) -> None:
        """Wait until the broker has everything, then disconnect."""
        if self._last is not None:
            self._last.wait_for_publish(timeout=timeout_s)
        self.client.loop_stop()
        self.client.disconnect()


__all__ = ['QUALITY', 'MqttDevices', 'device_payload']
