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

"""The MQTT side of the IoT bridge: paho-mqtt 2.x, reconnecting, a persistent session.

:class:`MqttBridgeClient` subscribes to every route's topic filter (a Sparkplug B route's
births and deaths too), hands each message with
its receipt time to :class:`~physical_ai_ros.core.perception.bridge.IotBridge`, and gives the
readings to a callback (the node publishes them as IotReading). When the broker goes away,
every sensor's last value is handed on as stale, and paho reconnects with backoff (1 s
doubling to 5 s); with QoS 1 and a persistent session (``clean_start`` off) the broker keeps
what was published meanwhile. MQTT 5 or 3.1.1, TLS with a CA, client certificates, and a
username whose password comes from an environment variable. Northbound, the robot's state
(retained) and a last will saying it went offline.

With ``sparkplug_host_id`` it is a Sparkplug 3.0 host application: once subscribed it
publishes ``spBv1.0/STATE/<id>`` ``{"online":true,"timestamp":T}`` (retained, QoS 1), its last
will is the same with ``false`` and the same T, a clean stop says offline first, and should the
STATE topic ever say offline while it is connected (another client, a stale will), it says
online again. Edge nodes that wait for their primary host publish their births once it is.

With ``sparkplug_edge`` (group id, edge node id) the robot is a Sparkplug edge node
(:mod:`~physical_ai_ros.core.messages.sparkplug_edge`): its will is the NDEATH with the
session's ``bdSeq`` (counted up for each reconnect), each connect publishes an NBIRTH of the
last state, :meth:`publish_metrics` sends NDATA (or a new NBIRTH), and an NCMD ``Node
Control/Rebirth`` from a host gets a new NBIRTH.

With ``shared_group`` the device subscriptions are MQTT 5 shared subscriptions
(``$share/<group>/<filter>``): the broker hands each message to one of the group's clients,
so several bridge processes share a plant's load. Not for Sparkplug routes, whose sequence
checks need every message of a node.
"""

from __future__ import annotations

from collections.abc import Callable
import os
import sys
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt

from physical_ai_ros.core.messages.payloads import OFFLINE_PAYLOAD
from physical_ai_ros.core.perception.bridge import IotBridge
from physical_ai_ros.core.perception.iot import Reading
from physical_ai_ros.inference.tls import RemoteError, TlsFiles


class MqttBridgeClient:
    """One broker connection feeding an :class:`IotBridge` (see the module docstring)."""

    def __init__(
        self,
        bridge: IotBridge,
        host: str,
        port: int,
        on_reading: Callable[[Reading], None],
        *,
        client_id: str = 'physical_ai_ros_iot_bridge',
        protocol: int = 5,
        qos: int = 1,
        persistent: bool = True,
        tls: TlsFiles | None = None,
        username: str = '',
        password_env: str = '',
        state_topic: str = '',
        sparkplug_host_id: str = '',
        sparkplug_edge: tuple[str, str] | None = None,
        shared_group: str = '',
        clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        """Prepare the client; :meth:`start` connects.

        With ``state_topic``, the broker holds the robot's state there (retained): what
        :meth:`publish_state` last sent, or ``{"state":"offline"}`` (the last will) once the
        connection is lost without a goodbye.
        """
        self.bridge, self.on_reading, self.clock_ns = bridge, on_reading, clock_ns
        self.host, self.port, self.qos = host, port, qos
        self.connected = False
        self.last_error = ''
        version = mqtt.MQTTv5 if protocol == 5 else mqtt.MQTTv311
        kwargs: dict[str, Any] = {'client_id': client_id, 'protocol': version}
        if version == mqtt.MQTTv311:
            kwargs['clean_session'] = not persistent
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, **kwargs)
        self._clean_start = not persistent
        self._properties = None
        if version == mqtt.MQTTv5 and persistent:
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties

            self._properties = Properties(PacketTypes.CONNECT)
            self._properties.SessionExpiryInterval = 3600  # the broker keeps QoS 1 messages
        if tls is not None and tls.enabled:
            self.client.tls_set(
                ca_certs=tls.ca, certfile=tls.cert or None, keyfile=tls.key or None
            )
        if username:
            password = os.environ.get(password_env) if password_env else None
            if password_env and password is None:
                raise RemoteError(f'password_env={password_env!r}: the variable is not set')
            self.client.username_pw_set(username, password)
        self.state_topic = state_topic
        wills = {'mqtt.state_topic': state_topic, 'mqtt.sparkplug_host_id': sparkplug_host_id,
                 'mqtt.sparkplug_node': sparkplug_edge[1] if sparkplug_edge else ''}  # fmt: skip
        given = [f'{name}={value!r}' for name, value in wills.items() if value]
        if len(given) > 1:
            raise RemoteError(
                f'{" and ".join(given)}: an MQTT connection has one last will; set one of them'
            )
        if state_topic:
            self.client.will_set(state_topic, OFFLINE_PAYLOAD, qos=1, retain=True)
        self.host_state_topic = ''
        if sparkplug_host_id:
            from physical_ai_ros.core.messages.sparkplug import host_state_topic

            self.host_state_topic = host_state_topic(sparkplug_host_id)
            self._host_stamp_ms = clock_ns() // 1_000_000  # birth and will share it
            self.client.will_set(self.host_state_topic, self._host_state(False), qos=1,
                                 retain=True)  # fmt: skip
        self.edge: Any = None
        self._edge_lock = threading.Lock()  # paho's thread births, the node's sends data
        if sparkplug_edge is not None:
            from physical_ai_ros.core.messages.sparkplug_edge import EdgeNode

            self.edge = EdgeNode(*sparkplug_edge)
            self._next_will()
        if shared_group and any(r.payload.format == 'sparkplug' for r in bridge.routes):
            raise RemoteError(
                f'mqtt.shared_group={shared_group!r}: Sparkplug routes need every message of a '
                'node (its seq, births and deaths): no shared subscription'
            )
        self.shared_group = shared_group
        self.client.reconnect_delay_set(min_delay=1, max_delay=5)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.client.on_connect_fail = self._on_connect_fail
        self.client.on_subscribe = self._on_subscribe
        self._version = version

    def start(self) -> None:
        """Connect in the background (paho's network thread) and keep reconnecting."""
        if self._version == mqtt.MQTTv5:
            self.client.connect_async(
                self.host, self.port, clean_start=self._clean_start, properties=self._properties
            )
        else:
            self.client.connect_async(self.host, self.port)
        self.client.loop_start()

    def stop(self) -> None:
        """Say offline (a clean goodbye sends no will), disconnect, end the network thread."""
        if self.state_topic and self.connected:
            self.client.publish(self.state_topic, OFFLINE_PAYLOAD, qos=1, retain=True)
        if self.host_state_topic and self.connected:
            self.client.publish(self.host_state_topic, self._host_state(False), qos=1,
                                retain=True).wait_for_publish(2.0)  # fmt: skip
        self.client.disconnect()
        self.client.loop_stop()

    def publish_state(self, payload: bytes) -> None:
        """Publish the robot's state (retained, QoS 1) when a state topic is set."""
        if self.state_topic:
            self.client.publish(self.state_topic, payload, qos=1, retain=True)

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if getattr(reason, 'is_failure', False):
            self.last_error = f'refused by the broker: {reason}'
            return
        self.last_error = ''
        filters = self.bridge.subscriptions()
        if self.host_state_topic:  # its own STATE: to answer a stray "offline"
            filters.append(self.host_state_topic)
        if self.edge is not None:  # a host's commands to the robot (rebirth)
            filters.append(self.edge.topic('NCMD'))
        if not filters:  # northbound only
            self.connected = True
            return
        # connected means subscribed: what devices publish from now on reaches the bridge
        routes = set(self.bridge.subscriptions())
        client.subscribe([(self._shared(f) if f in routes else f, self.qos) for f in filters])

    def _shared(self, topic_filter: str) -> str:
        """A device filter as a shared subscription (``$share/<group>/...``), with a group."""
        return f'$share/{self.shared_group}/{topic_filter}' if self.shared_group else topic_filter

    def _on_subscribe(
        self, client: Any, userdata: Any, mid: Any, reasons: Any, props: Any
    ) -> None:
        refused = [str(r) for r in reasons if getattr(r, 'is_failure', False)]
        if refused:
            self.last_error = f'subscription refused by the broker: {", ".join(refused)}'
        self.connected = True
        if self.host_state_topic:  # subscribed first, then online (Sparkplug 3.0)
            client.publish(self.host_state_topic, self._host_state(True), qos=1, retain=True)
        if self.edge is not None:  # a new session: its birth, with the will's bdSeq
            with self._edge_lock:
                topic, payload = self.edge.rebirth(self.clock_ns() // 1_000_000)
                client.publish(topic, payload, qos=0)

    def publish_metrics(self, metrics: dict[str, Any]) -> None:
        """Send the robot's state as the edge node's NDATA (or NBIRTH); nothing when unchanged.

        Kept while disconnected: the birth of the next session carries it.
        """
        if self.edge is None:
            return
        with self._edge_lock:
            if not self.connected:
                self.edge.birth(metrics, self.clock_ns() // 1_000_000)  # remembered, not sent
                return
            update = self.edge.update(metrics, self.clock_ns() // 1_000_000)
            if update is not None:
                self.client.publish(update[0], update[1], qos=0)

    def _next_will(self) -> None:
        """The NDEATH of the next session (its bdSeq one up), as the will it connects with."""
        with self._edge_lock:
            death = self.edge.new_session(self.clock_ns() // 1_000_000)
            self.client.will_set(self.edge.topic('NDEATH'), death, qos=1, retain=False)

    def _host_state(self, online: bool) -> bytes:
        from physical_ai_ros.core.messages.sparkplug import host_state_payload

        return host_state_payload(online, self._host_stamp_ms)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        # nothing may escape into paho's network thread: an exception there ends the thread
        # while ``connected`` stays true, and nothing more arrives (seen before the bounds)
        try:
            topic = message.topic
        except UnicodeDecodeError:  # a topic that is not UTF-8 (MQTT requires it)
            self.bridge.status.rejected['bad topic'] += 1
            return
        if topic == self.host_state_topic and self.host_state_topic:
            self._own_state(client, message.payload)
            return
        if self.edge is not None and topic == self.edge.topic('NCMD'):
            from physical_ai_ros.core.messages.sparkplug_edge import is_rebirth_command

            if is_rebirth_command(message.payload):
                with self._edge_lock:
                    topic, payload = self.edge.rebirth(self.clock_ns() // 1_000_000)
                    client.publish(topic, payload, qos=0)
            return
        try:
            readings = self.bridge.on_message(
                topic, message.payload, self.clock_ns(), retained=bool(message.retain)
            )
            for reading in readings:
                self.on_reading(reading)
        except Exception as exc:  # a defect, not a payload: counted, said, survived
            self.bridge.status.rejected['internal error'] += 1
            self.last_error = f'internal error on {topic[:80]}: {type(exc).__name__}: {exc}'[:300]
        self._send_rebirth_requests(client)

    def _own_state(self, client: Any, payload: bytes) -> None:
        """Our STATE topic said offline while connected: say online again (Sparkplug 3.0)."""
        from physical_ai_ros.core.messages.sparkplug import host_state_online

        if host_state_online(payload) is False and self.connected:
            client.publish(self.host_state_topic, self._host_state(True), qos=1, retain=True)

    def _send_rebirth_requests(self, client: Any) -> None:
        """Publish ``Node Control/Rebirth`` to each node the bridge asks (a seq gap, an alias)."""
        from physical_ai_ros.core.messages.sparkplug import encode_rebirth, NAMESPACE

        requests, self.bridge.rebirth_requests[:] = list(self.bridge.rebirth_requests), []
        for group, edge in requests:
            payload = encode_rebirth(self.clock_ns() // 1_000_000)
            client.publish(f'{NAMESPACE}/{group}/NCMD/{edge}', payload, qos=0)

    def _on_connect_fail(self, client: Any, userdata: Any) -> None:
        # paho hands the reason to its logger only; the exception is still being handled
        error = sys.exc_info()[1]
        self.last_error = f'cannot connect: {error}' if error else 'cannot connect'

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self.connected = False
        if self.edge is not None:  # the reconnect is a new session: a new will
            self._next_will()
        for reading in self.bridge.on_disconnect(self.clock_ns()):
            self.on_reading(reading)
