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

"""The bridge's connections, built from ``iot_bridge_node``'s parameters.

One place turns the ``mqtt.*`` and ``opcua.*`` values (TLS, client certificates, credentials
from environment variables, OPC UA security) into clients, so that ``iot_bridge_node`` and
``physical-ai iot record --params`` connect to a secured plant the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import time
from typing import Any

from physical_ai_ros.core.errors import PhysicalAiError
from physical_ai_ros.core.perception.bridge import IotBridge
from physical_ai_ros.core.perception.iot import Reading
from physical_ai_ros.inference.tls import TlsFiles
from physical_ai_ros.iot.mqtt import MqttBridgeClient


def mqtt_client(
    bridge: IotBridge,
    config: Mapping[str, Any],
    on_reading: Callable[[Reading], None],
    *,
    clock_ns: Callable[[], int] = time.time_ns,
    **overrides: Any,
) -> MqttBridgeClient:
    """The MQTT client of resolved ``iot_bridge_node`` values.

    ``overrides`` replace keyword arguments of :class:`MqttBridgeClient` (``host``, ``port``,
    ``client_id``, ...).
    """
    tls = TlsFiles(config['mqtt.tls.ca'], config['mqtt.tls.cert'], config['mqtt.tls.key'])
    kwargs: dict[str, Any] = {
        'host': config['mqtt.host'], 'port': config['mqtt.port'],
        'client_id': config['mqtt.client_id'], 'protocol': config['mqtt.protocol'],
        'qos': config['mqtt.qos'], 'persistent': config['mqtt.persistent'], 'tls': tls,
        'username': config['mqtt.username'], 'password_env': config['mqtt.password_env'],
        'state_topic': config['mqtt.state_topic'],
        'sparkplug_host_id': config['mqtt.sparkplug_host_id'], 'clock_ns': clock_ns,
        'shared_group': config['mqtt.shared_group'],
        'sparkplug_edge': (
            (config['mqtt.sparkplug_group'], config['mqtt.sparkplug_node'])
            if config['mqtt.sparkplug_node'] else None
        ),
    }  # fmt: skip
    kwargs.update(overrides)
    host, port = kwargs.pop('host'), kwargs.pop('port')
    return MqttBridgeClient(bridge, host, port, on_reading, **kwargs)


def opcua_client(
    bridge: IotBridge,
    config: Mapping[str, Any],
    on_reading: Callable[[Reading], None],
    *,
    clock_ns: Callable[[], int] = time.time_ns,
    endpoint: str = '',
    mapping_file: str = '',
) -> Any:
    """The OPC UA client of resolved ``iot_bridge_node`` values (``endpoint`` replaces theirs).

    Raises:
        PhysicalAiError: no endpoint for a mapping with ``opcua:`` routes.
        RemoteError: security settings that cannot work (named).
    """
    from physical_ai_ros.iot.opcua import OpcUaBridgeClient, OpcUaSecurity

    endpoint = endpoint or config['opcua.endpoint']
    if not endpoint:
        raise PhysicalAiError(
            f"opcua.endpoint='': the mapping {mapping_file or config['mapping_file']} has "
            'opcua: routes; set the server (opc.tcp://HOST:PORT/PATH)'
        )
    security = OpcUaSecurity(
        config['opcua.security_policy'], config['opcua.security_mode'],
        config['opcua.certificate'], config['opcua.private_key'],
        config['opcua.server_certificate'], config['opcua.application_uri'],
    )  # fmt: skip
    return OpcUaBridgeClient(
        bridge, endpoint, on_reading, security=security, username=config['opcua.username'],
        password_env=config['opcua.password_env'],
        publishing_interval_ms=config['opcua.publishing_interval_ms'], clock_ns=clock_ns,
    )  # fmt: skip
