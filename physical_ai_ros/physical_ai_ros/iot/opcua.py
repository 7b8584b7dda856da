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

"""The OPC UA side of the IoT bridge: asyncua 2.x monitored items, secure, reconnecting.

:class:`OpcUaBridgeClient` runs asyncua's client on its own event loop thread. It subscribes
to every mapped node id with the route's sampling interval and hands each data change (value,
StatusCode, SourceTimestamp) with its receipt time to
:class:`~physical_ai_ros.core.perception.bridge.IotBridge`. Security policy Basic256Sha256
with Sign or SignAndEncrypt, the client's application certificate and key, the server's
certificate pinned when given, and a username whose password comes from an environment
variable. Once connected, asyncua's own supervisor watches the connection and reconnects with
backoff, re-creating the subscriptions; a first connection that fails is retried here with the
same backoff. While the server is away, every OPC UA sensor's last value is handed on stale.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
from datetime import datetime, timezone
import logging
import os
import threading
import time
from typing import Any

from physical_ai_ros.core.perception.bridge import IotBridge
from physical_ai_ros.core.perception.iot import Reading
from physical_ai_ros.inference.tls import RemoteError

SECURITY_POLICIES = ('None', 'Basic256Sha256')
SECURITY_MODES = ('None', 'Sign', 'SignAndEncrypt')
RECONNECT_MIN_S, RECONNECT_MAX_S = 0.5, 5.0


@dataclass(frozen=True)
class OpcUaSecurity:
    """How to secure the session; ``policy`` None means no security (and no certificates)."""

    policy: str = 'None'
    mode: str = 'None'
    certificate: str = ''
    private_key: str = ''
    server_certificate: str = ''
    application_uri: str = 'urn:physical_ai_ros:iot_bridge'

    def check(self) -> None:
        """Refuse combinations that cannot work, naming the setting.

        Raises:
            RemoteError: an unknown policy or mode, security without certificates, or a
                secure policy with mode None (and the reverse).
        """
        if self.policy not in SECURITY_POLICIES:
            raise RemoteError(f'opcua.security_policy={self.policy!r}: one of {SECURITY_POLICIES}')
        if self.mode not in SECURITY_MODES:
            raise RemoteError(f'opcua.security_mode={self.mode!r}: one of {SECURITY_MODES}')
        if (self.policy == 'None') != (self.mode == 'None'):
            raise RemoteError(
                f'opcua.security_mode={self.mode!r}: None goes with security_policy None, '
                'Sign or SignAndEncrypt with Basic256Sha256'
            )
        if self.policy != 'None':
            for name in ('certificate', 'private_key'):
                path = getattr(self, name)
                if not path or not os.path.isfile(path):
                    raise RemoteError(f'opcua.{name}={path!r}: a readable file is required '
                                      f'for {self.policy}')  # fmt: skip


class OpcUaBridgeClient:
    """One OPC UA server feeding an :class:`IotBridge` (see the module docstring)."""

    def __init__(
        self,
        bridge: IotBridge,
        endpoint: str,
        on_reading: Callable[[Reading], None],
        *,
        security: OpcUaSecurity | None = None,
        username: str = '',
        password_env: str = '',
        publishing_interval_ms: float = 100.0,
        timeout_s: float = 4.0,
        clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        """Prepare the client; :meth:`start` connects.

        Raises:
            RemoteError: the security settings cannot work, or ``password_env`` is not set.
        """
        self.bridge, self.endpoint, self.on_reading, self.clock_ns = (
            bridge, endpoint, on_reading, clock_ns,
        )  # fmt: skip
        self.security = security or OpcUaSecurity()
        self.security.check()
        self.username = username
        self.password: str | None = None
        if username and password_env:
            self.password = os.environ.get(password_env)
            if self.password is None:
                raise RemoteError(f'opcua.password_env={password_env!r}: the variable is not set')
        self.publishing_interval_ms = publishing_interval_ms
        self.timeout_s = timeout_s
        self.connected = False
        self.last_error = ''
        self.bad_nodes: dict[str, str] = {}  # node id -> why the server refused it
        self._mapped: dict[str, str] = {}  # asyncua's string of a node id -> the mapping's
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None

    def start(self) -> None:
        """Connect in a background thread and keep reconnecting until :meth:`stop`."""
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._stop = asyncio.Event()
            ready.set()
            try:
                self._loop.run_until_complete(self._run())
            finally:
                self._loop.close()

        self._thread = threading.Thread(target=run, name='opcua-bridge', daemon=True)
        self._thread.start()
        ready.wait()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Disconnect and end the thread."""
        if self._loop is None or self._thread is None or self._stop is None:
            return
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout_s)

    async def _run(self) -> None:
        assert self._stop is not None
        delay = RECONNECT_MIN_S
        while not self._stop.is_set():
            try:
                await self._session()
                delay = RECONNECT_MIN_S
            except Exception as exc:  # a refused, unreachable or failing server: retry
                self.last_error = f'{type(exc).__name__}: {exc}'[:200] or type(exc).__name__
                logging.getLogger(__name__).warning('OPC UA %s: %s', self.endpoint, exc)
            self._lost()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)
            delay = min(delay * 2, RECONNECT_MAX_S)

    async def _session(self) -> None:
        from asyncua import Client, ua
        from asyncua.client.ua_client import UaClientState
        from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256

        assert self._stop is not None
        client = Client(self.endpoint, timeout=self.timeout_s, watchdog_intervall=1.0,
                        auto_reconnect=True, reconnect_max_delay=RECONNECT_MAX_S)  # fmt: skip
        client.application_uri = self.security.application_uri
        if self.security.policy == 'Basic256Sha256':
            await client.set_security(
                SecurityPolicyBasic256Sha256, self.security.certificate, self.security.private_key,
                server_certificate=self.security.server_certificate or None,
                mode=getattr(ua.MessageSecurityMode, self.security.mode),
            )  # fmt: skip
        if self.username:
            client.set_user(self.username)
            if self.password is not None:
                client.set_password(self.password)

        async def lost(exc: Exception) -> None:
            self.last_error = f'connection lost: {exc}'[:200]
            self._lost()

        client.connection_lost_callback = lost
        await client.connect()
        try:
            await self._subscribe(client, ua)
            self.last_error = ''
            while not self._stop.is_set():  # asyncua's supervisor reconnects meanwhile
                self.connected = client.state is UaClientState.CONNECTED
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 0.1)
        finally:
            self.connected = False
            with contextlib.suppress(Exception):  # already gone: nothing to say goodbye to
                await asyncio.wait_for(client.disconnect(), self.timeout_s)

    async def _subscribe(self, client: Any, ua: Any) -> None:
        """One subscription; monitored items grouped by their sampling interval."""
        handler = _Handler(self)
        subscription = await client.create_subscription(self.publishing_interval_ms, handler)
        by_interval: dict[float, list[str]] = {}
        for route in self.bridge.opcua_routes.values():
            by_interval.setdefault(route.sampling_interval_ms, []).append(route.node_id)
        for interval, mapped in by_interval.items():
            resolved = {node_id: await _resolve(client, node_id) for node_id in mapped}
            for node_id, found in resolved.items():
                if found is None:  # a namespace URI the server does not have
                    self._bad(node_id, 'BadNamespaceUnknown')
            node_ids = [node_id for node_id in mapped if resolved[node_id] is not None]
            nodes = [client.get_node(resolved[node_id]) for node_id in node_ids]
            for node_id, node in zip(node_ids, nodes, strict=True):  # as asyncua writes them
                self._mapped[node.nodeid.to_string()] = node_id
            if not nodes:
                continue
            results = await subscription.subscribe_data_change(nodes, sampling_interval=interval)
            for node_id, result in zip(node_ids, results, strict=True):
                if isinstance(result, ua.StatusCode):  # e.g. BadNodeIdUnknown
                    self._bad(node_id, result.name)

    def _bad(self, node_id: str, why: str) -> None:
        self.bad_nodes[node_id] = why
        self.bridge.status.rejected['unknown node'] += 1
        self.bridge.status.last_rejection = f'unknown node: {node_id} {why}'

    def _lost(self) -> None:
        was = self.connected
        self.connected = False
        if was or self.bridge.last:
            for reading in self.bridge.on_disconnect(self.clock_ns(), 'opcua'):
                self.on_reading(reading)

    def _data_change(self, node_id: str, data_value: Any) -> None:
        variant = data_value.Value
        value = variant.Value if variant is not None else None
        code = data_value.StatusCode.value if data_value.StatusCode is not None else 0
        reading = self.bridge.on_opcua(
            self._mapped.get(node_id, node_id),
            value,
            code,
            _ns(data_value.SourceTimestamp),
            self.clock_ns(),
        )
        if reading is not None:
            self.on_reading(reading)


class _Handler:
    """asyncua's subscription handler: data changes to the bridge client."""

    def __init__(self, owner: OpcUaBridgeClient) -> None:
        self.owner = owner

    def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
        self.owner._data_change(node.nodeid.to_string(), data.monitored_item.Value)


async def _resolve(client: Any, node_id: str) -> str | None:
    """``nsu=URI;...`` as ``ns=INDEX;...`` from the server's namespace array (None: not there).

    Indexes are the server's to assign and may change with its configuration; URIs do not,
    which is why a mapping may name them. Other node ids are returned as they are.
    """
    if not node_id.startswith('nsu='):
        return node_id
    uri, _, rest = node_id[4:].partition(';')
    try:
        index = await client.get_namespace_index(uri)
    except ValueError:  # asyncua: the URI is not in the server's NamespaceArray
        return None
    return f'ns={index};{rest}'


def _ns(stamp: datetime | None) -> int | None:
    """A SourceTimestamp as ns since the epoch (asyncua gives UTC, naive or aware)."""
    if stamp is None or stamp.year < 1700:  # OPC UA's "no time" is 1601-01-01
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return int(stamp.timestamp()) * 1_000_000_000 + stamp.microsecond * 1000


__all__ = ['SECURITY_MODES', 'SECURITY_POLICIES', 'OpcUaBridgeClient', 'OpcUaSecurity']
