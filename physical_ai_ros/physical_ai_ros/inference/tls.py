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

"""TLS material for the inference client and server, read from PEM files with bounded work."""

from __future__ import annotations

from dataclasses import dataclass
import ipaddress
import os
from pathlib import Path

from physical_ai_ros.core.errors import PhysicalAiError
from physical_ai_ros.core.files import read_limited

MAX_PEM_BYTES = 1 << 20


class RemoteError(PhysicalAiError, RuntimeError):
    """The remote backend cannot be set up: files, endpoint or server refused."""


def read_pem(path: str | Path, what: str) -> bytes:
    """The bytes of a PEM file (at most 1 MiB)."""
    return read_limited(
        Path(path), MAX_PEM_BYTES, lambda reason: RemoteError(f'{what} {path}: {reason}')
    )


@dataclass(frozen=True)
class TlsFiles:
    """PEM files: the CA the peer must chain to, and our own certificate and key (optional)."""

    ca: str = ''
    cert: str = ''
    key: str = ''

    @property
    def enabled(self) -> bool:
        """Whether TLS is on (a CA is given)."""
        return bool(self.ca)

    def load(self) -> tuple[bytes | None, bytes | None, bytes | None]:
        """(ca, cert, key) bytes, None where not given."""
        ca = read_pem(self.ca, 'CA bundle') if self.ca else None
        cert = read_pem(self.cert, 'certificate') if self.cert else None
        key = read_pem(self.key, 'private key') if self.key else None
        return ca, cert, key


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (localhost, 127.0.0.0/8, ::1)."""
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host.strip('[]')).is_loopback
    except ValueError:
        return False


def split_endpoint(endpoint: str) -> tuple[str, int]:
    """(host, port) of ``host:port``.

    Raises:
        RemoteError: no port, or not a number.
    """
    host, sep, port = endpoint.rpartition(':')
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise RemoteError(f'remote.endpoint={endpoint!r}: expected host:port')
    return host, int(port)


def read_token(env: str, file: str) -> str:
    """The bearer token from an environment variable or a file ('' when neither is set)."""
    if env:
        token = os.environ.get(env, '')
        if not token:
            raise RemoteError(f'remote.token_env={env!r}: the variable is not set')
        return token.strip()
    if file:
        return read_pem(file, 'token file').decode('utf-8', errors='strict').strip()
    return ''
