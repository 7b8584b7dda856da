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

"""Writing rosbag2 files (MCAP or sqlite3) from type-store messages.

Bags are written in rosbag2 metadata version 8: Jazzy reads it, and so does Humble, whose
rosbag2 reads a topic's ``offered_qos_profiles`` as a YAML string (version 9 makes it a
list, which Humble's reader refuses). Latched topics (``/tf_static``) are offered
transient-local, as their publishers offer them, so ``ros2 bag play`` delivers them to
subscribers that join late.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from rosbags.interfaces import (
    Qos,
    QosDurability,
    QosHistory,
    QosLiveliness,
    QosReliability,
    QosTime,
)
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.rosbag2.errors import WriterError

from physical_ai_ros.replay.errors import BagError
from physical_ai_ros.replay.typestore import TypestoreTypes

Storage = Literal['mcap', 'sqlite3']
_PLUGINS: dict[str, StoragePlugin] = {'mcap': StoragePlugin.MCAP, 'sqlite3': StoragePlugin.SQLITE3}

#: rosbag2 metadata version written: the newest that Humble's rosbag2 reads too.
METADATA_VERSION: Literal[8] = 8

_UNSET = QosTime(0, 0)  # rmw's "unspecified": the default, infinite
#: What tf2's static broadcaster offers: the last message, kept for late subscribers.
LATCHED_QOS = Qos(
    QosHistory.KEEP_LAST, 1, QosReliability.RELIABLE, QosDurability.TRANSIENT_LOCAL,
    _UNSET, _UNSET, QosLiveliness.AUTOMATIC, _UNSET, False,
)  # fmt: skip


def offered_qos(topic: str) -> tuple[Qos, ...]:
    """The QoS recorded as offered on ``topic``: transient-local for latched topics."""
    return (LATCHED_QOS,) if topic.rsplit('/', 1)[-1] == 'tf_static' else ()


class BagWriter:
    """Write messages to a new rosbag2, adding a connection the first time a topic is seen.

    Use as a context manager; the bag is complete (metadata.yaml written) on exit. Messages
    must be written in non-decreasing log time for players that expect it.
    """

    def __init__(
        self, path: Path | str, types: TypestoreTypes, *, storage: Storage = 'mcap'
    ) -> None:
        """Prepare a writer for a bag directory that must not exist yet."""
        if storage not in _PLUGINS:
            raise BagError(path, f'unknown storage {storage!r}; expected mcap or sqlite3')
        self.path = Path(path)
        self.types = types
        try:
            self._writer = Writer(
                self.path, version=METADATA_VERSION, storage_plugin=_PLUGINS[storage]
            )
        except WriterError as exc:
            raise BagError(path, str(exc)) from exc
        self._connections: dict[str, Any] = {}
        self.count = 0

    def __enter__(self) -> BagWriter:
        self._writer.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._writer.close()

    def write(self, topic: str, msg: Any, log_time_ns: int) -> None:
        """Serialize ``msg`` and write it on ``topic`` at ``log_time_ns``."""
        self.write_raw(topic, msg.__msgtype__, self.types.serialize(msg), log_time_ns)

    def write_raw(self, topic: str, msgtype: str, data: bytes, log_time_ns: int) -> None:
        """Write already serialized CDR bytes of type ``msgtype`` on ``topic``."""
        connection = self._connections.get(topic)
        if connection is None:
            connection = self._writer.add_connection(
                topic, msgtype, typestore=self.types.store, offered_qos_profiles=offered_qos(topic)
            )
            self._connections[topic] = connection
        elif connection.msgtype != msgtype:
            raise BagError(
                self.path, f'topic {topic} has type {connection.msgtype}, cannot write {msgtype}'
            )
        self._writer.write(connection, log_time_ns, data)
        self.count += 1
