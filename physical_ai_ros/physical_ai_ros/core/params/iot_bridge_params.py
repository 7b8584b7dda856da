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

"""iot_bridge_node's parameters: the mapping file and the MQTT broker connection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from physical_ai_ros.core.params.spec import CrossCheck, ParamError, ParamSet, ParamSpec

P = ParamSpec


def check_iot_bridge(values: Mapping[str, Any]) -> list[ParamError]:
    """Cross-parameter checks of resolved iot_bridge_node values; [] when fine."""
    check = CrossCheck('iot_bridge_node', values)
    check.need('mapping_file', bool(values['mapping_file']), 'the mapping YAML (mqtt: routes)')
    tls = [values['mqtt.tls.cert'], values['mqtt.tls.key']]
    check.need('mqtt.tls.cert', all(tls) or not any(tls), 'set together with mqtt.tls.key')
    check.need('mqtt.tls.cert', not any(tls) or bool(values['mqtt.tls.ca']),
               'a client certificate needs mqtt.tls.ca')  # fmt: skip
    return check.errors


# fmt: off
IOT_BRIDGE = ParamSet(
    'iot_bridge_node',
    (
        P('mapping_file', 'string', '', 'Mapping YAML: MQTT topics to sensors (physical-ai iot '
          'check validates it).', read_only=True),
        P('mqtt.host', 'string', '127.0.0.1', 'Broker host.', read_only=True),
        P('mqtt.port', 'int', 1883, 'Broker port.', '', 1, 65535, read_only=True),
        P('mqtt.protocol', 'int', 5, 'MQTT version: 5, or 311 for 3.1.1.', choices=(5, 311),
          read_only=True),
        P('mqtt.client_id', 'string', 'physical_ai_ros_iot_bridge', 'Client id (the persistent '
          'session is kept under it).', read_only=True),
        P('mqtt.qos', 'int', 1, 'Subscription QoS.', choices=(0, 1), read_only=True),
        P('mqtt.persistent', 'bool', True, 'Keep the session (QoS 1 messages) while away.',
          read_only=True),
        P('mqtt.tls.ca', 'string', '', 'CA bundle (PEM) of the broker; "" = plaintext.',
          read_only=True),
        P('mqtt.tls.cert', 'string', '', 'Client certificate (PEM).', read_only=True),
        P('mqtt.tls.key', 'string', '', 'Private key of the client certificate (PEM).',
          read_only=True),
        P('mqtt.username', 'string', '', 'Username ("" = none).', read_only=True),
        P('mqtt.password_env', 'string', '', 'Environment variable holding the password.',
          read_only=True),
        P('mqtt.state_topic', 'string', '', "Northbound: the robot's state as retained JSON "
          '(safety stops and reasons, policy backend, IoT out of range), "offline" as the '
          'last will; "" = none.', read_only=True),
    ),
    check_iot_bridge,
)
# fmt: on
