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

"""A TCP proxy on loopback that spoils the link between a robot and its inference server.

Modes: ``pass`` forwards, ``delay`` holds every packet for ``delay_s`` each way, ``drop``
closes every new connection at once (and cuts the open ones), ``garbage`` answers the
client with random bytes in place of the server's. Only the tests use it; it listens on
127.0.0.1 and its threads end with :meth:`close`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time


class FaultProxy:
    """Forwards 127.0.0.1:``port`` to 127.0.0.1:``target``, spoiled as ``mode`` says."""

    def __init__(self, target: int, mode: str = 'pass', delay_s: float = 0.1) -> None:
        self.target, self.mode, self.delay_s = target, mode, delay_s
        self._listener = socket.create_server(('127.0.0.1', 0))
        self._listener.settimeout(0.1)
        self.port = int(self._listener.getsockname()[1])
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def set_mode(self, mode: str) -> None:
        """Change how the link behaves; ``drop`` also cuts the open connections."""
        self.mode = mode
        if mode == 'drop':
            self._cut()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.mode == 'drop':
                client.close()
                continue
            try:
                server = socket.create_connection(('127.0.0.1', self.target), timeout=1.0)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
            for source, sink, upstream in ((client, server, True), (server, client, False)):
                threading.Thread(
                    target=self._pump, args=(source, sink, upstream), daemon=True
                ).start()

    def _pump(self, source: socket.socket, sink: socket.socket, upstream: bool) -> None:
        try:
            while not self._closed.is_set():
                data = source.recv(65536)
                if not data:
                    break
                if self.mode == 'drop':
                    break
                if self.mode == 'delay':
                    time.sleep(self.delay_s)
                if self.mode == 'garbage' and not upstream:
                    data = os.urandom(len(data))
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def _cut(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
                s.close()

    def close(self) -> None:
        """Stop listening and cut every connection."""
        self._closed.set()
        self._listener.close()
        self._cut()
        self._thread.join(timeout=2.0)
