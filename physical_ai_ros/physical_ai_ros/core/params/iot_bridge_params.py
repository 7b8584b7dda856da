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

"""iot_bridge_node's parameters: the mapping file, the MQTT broker and the OPC UA server."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from physical_ai_ros.core.params.spec import CrossCheck, ParamError, ParamSet, ParamSpec

P = ParamSpec


def check_iot_bridge(values: Mapping[str, Any]) -> list[ParamError]:
    """Cross-parameter checks of resolved iot_bridge_node values; [] when fine."""
    check = CrossCheck('iot_bridge_node', values)
    check.need('mapping_file', bool(values['mapping_file']),
               'the mapping YAML (mqtt: and opcua: routes)')  # fmt: skip
    tls = [values['mqtt.tls.cert'], values['mqtt.tls.key']]
    check.need('mqtt.tls.cert', all(tls) or not any(tls), 'set together with mqtt.tls.key')
    check.need('mqtt.tls.cert', not any(tls) or bool(values['mqtt.tls.ca']),
               'a client certificate needs mqtt.tls.ca')  # fmt: skip
    host = values['mqtt.sparkplug_host_id']
    check.need('mqtt.sparkplug_host_id', not any(c in host for c in '/+#'),
               'one topic level: no /, + or #')  # fmt: skip
    shared = values['mqtt.shared_group']
    check.need('mqtt.shared_group', not any(c in shared for c in '/+#'),
               'one topic level: no /, + or #')  # fmt: skip
    check.need('mqtt.shared_group', not shared or values['mqtt.protocol'] == 5,
               '"" with mqtt.protocol 311 (shared subscriptions are MQTT 5)')  # fmt: skip
    group, node = values['mqtt.sparkplug_group'], values['mqtt.sparkplug_node']
    for name, value in (('mqtt.sparkplug_group', group), ('mqtt.sparkplug_node', node)):
        check.need(name, not any(c in value for c in '/+#'), 'one topic level: no /, + or #')
    check.need('mqtt.sparkplug_group', bool(group) == bool(node),
               'set together with mqtt.sparkplug_node (the edge node has both ids)')  # fmt: skip
    wills = [n for n in ('mqtt.state_topic', 'mqtt.sparkplug_host_id', 'mqtt.sparkplug_node')
             if values[n]]  # fmt: skip
    check.need(wills[-1] if wills else 'mqtt.state_topic', len(wills) <= 1,
               f'only one of {", ".join(wills)}: a connection has one last will')  # fmt: skip
    secure = values['opcua.security_policy'] != 'None'
    check.need(
        'opcua.security_mode',
        secure == (values['opcua.security_mode'] != 'None'),
        'None with security_policy None; Sign or SignAndEncrypt with Basic256Sha256',
    )
    check.need(
        'opcua.certificate',
        not secure or bool(values['opcua.certificate']),
        "the client's application certificate, for Basic256Sha256",
    )
    check.need(
        'opcua.private_key',
        not secure or bool(values['opcua.private_key']),
        "the application certificate's private key, for Basic256Sha256",
    )
    endpoint = values['opcua.endpoint']
    check.need('opcua.endpoint', not endpoint or opcua_endpoint_ok(endpoint),
               'opc.tcp://HOST:PORT[/PATH], or "" for no OPC UA server')  # fmt: skip
    return check.errors


def opcua_endpoint_ok(endpoint: str) -> bool:
    """Whether ``endpoint`` is ``opc.tcp://HOST:PORT[/PATH]`` with a host and a valid port.

    ``opc.tcp://:::garbage:::`` passed a prefix check, and ``iot record`` then retried it for
    its whole duration.
    """
    try:
        url = urlsplit(endpoint)
        port = url.port
    except ValueError:  # a port that is no number, or out of range
        return False
    return url.scheme == 'opc.tcp' and bool(url.hostname) and port is not None


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
        P('mqtt.retained', 'string', 'judge', "Retained messages (the broker's old copies): "
          'judge (by their device stamp; without one, a stale reading) or drop.',
          choices=('judge', 'drop'), read_only=True),
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
        P('mqtt.sparkplug_host_id', 'string', '', 'Sparkplug 3.0 host application id: '
          'publishes spBv1.0/STATE/<id> online (retained) with an offline last will, for edge '
          'nodes that wait for their host; "" = none. Not with state_topic (one last will).',
          read_only=True),
        P('mqtt.shared_group', 'string', '', 'MQTT 5 shared subscription group: bridges with the '
          "same group share the devices' messages ($share/<group>/...), each message to one of "
          'them; "" = none. Not with Sparkplug routes.', read_only=True),
        P('mqtt.sparkplug_group', 'string', '', "Sparkplug B group id of the robot's own edge "
          'node ("" with sparkplug_node "").', read_only=True),
        P('mqtt.sparkplug_node', 'string', '', "Northbound as Sparkplug B: the robot's state as "
          'edge node NBIRTH/NDATA under this id, NDEATH as its last will (Ignition discovers '
          'it); "" = none.', read_only=True),
        P('opcua.endpoint', 'string', '', 'OPC UA server (opc.tcp://HOST:PORT/PATH) of the '
          'mapping\'s opcua: routes; "" = none.', read_only=True),
        P('opcua.security_policy', 'string', 'None', 'Security policy.',
          choices=('None', 'Basic256Sha256'), read_only=True),
        P('opcua.security_mode', 'string', 'None', 'Message security mode.',
          choices=('None', 'Sign', 'SignAndEncrypt'), read_only=True),
        P('opcua.certificate', 'string', '', "The bridge's application certificate (DER or "
          'PEM), its SubjectAltName URI = opcua.application_uri.', read_only=True),
        P('opcua.private_key', 'string', '', "The application certificate's private key (PEM).",
          read_only=True),
        P('opcua.server_certificate', 'string', '', "The server's certificate, pinned; \"\" = "
          'take the one its endpoints offer.', read_only=True),
        P('opcua.application_uri', 'string', 'urn:physical_ai_ros:iot_bridge',
          'ApplicationUri the bridge presents.', read_only=True),
        P('opcua.username', 'string', '', 'Username ("" = anonymous).', read_only=True),
        P('opcua.password_env', 'string', '', 'Environment variable holding the password.',
          read_only=True),
        P('opcua.publishing_interval_ms', 'double', 100.0, 'Subscription publishing interval '
          "(each node is sampled at its mapping entry's sampling_interval_ms).", 'ms', 10.0,
          10000.0, read_only=True),
    ),
    check_iot_bridge,
)
# fmt: on
