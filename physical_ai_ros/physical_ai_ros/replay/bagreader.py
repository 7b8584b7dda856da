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

"""Opening a rosbag2 for reading, including an MCAP bag cut short by a hard kill.

A recorder killed with SIGKILL (or a power cut) leaves an MCAP without its summary and
footer, and no metadata.yaml: rosbags refuses it. :func:`open_bag` then reads it as
``ros2 bag reindex`` would let rosbag2 do: with the ``mcap`` library's stream reader, every
record up to the last complete (CRC-checked) chunk, and says what it recovered. Everything
the pipeline needs (topics, types, their definitions, raw CDR in log-time order) is in
those records.

Time ranges come from the messages, never from metadata.yaml: a bag whose metadata claims a
day-long duration must not make replay tick timers for a day.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from rosbags.rosbag2 import Reader
from rosbags.rosbag2.errors import ReaderError

from physical_ai_ros.replay.errors import BagError


@dataclass(frozen=True)
class MessageDefinition:
    """The ``.msg`` text of a recovered connection (rosbags' ``connection.msgdef`` shape)."""

    data: str


@dataclass(frozen=True)
class RecoveredConnection:
    """A topic of a recovered bag: the fields of rosbags' ``Connection`` the tools read."""

    id: int
    topic: str
    msgtype: str
    msgdef: MessageDefinition


class BagReader(Protocol):
    """What replay, info and golden read from a bag (rosbags' ``Reader`` has it too)."""

    @property
    def connections(self) -> list[Any]:
        """The bag's topics (``.id``, ``.topic``, ``.msgtype``, ``.msgdef.data``)."""

    @property
    def ros_distro(self) -> str | None:
        """The distribution the bag was recorded with, when it says."""

    def messages(self) -> Iterator[tuple[Any, int, bytes]]:
        """(connection, log time [ns], raw CDR) in log-time order."""

    def close(self) -> None:
        """Release the files."""


@dataclass(frozen=True)
class Recovery:
    """What was read from a cut-short MCAP."""

    file: Path
    messages: int
    seconds: float  # from the first to the last recovered message
    reason: str

    def __str__(self) -> str:
        return (
            f'{self.file.name} was cut short ({self.reason}): recovered {self.messages} '
            f'messages, {self.seconds:.3f} s, up to its last complete chunk'
        )


class RecoveredMcap:
    """The complete records of an MCAP without footer, read once with ``mcap``'s StreamReader."""

    def __init__(self, file: Path) -> None:
        """Read ``file`` up to its last complete record; raises :class:`BagError` if none."""
        try:
            from mcap.exceptions import McapError
            from mcap.records import Channel, Message, Schema
            from mcap.stream_reader import StreamReader
        except ImportError as exc:
            raise BagError(file, 'is cut short; reading it needs `pip install mcap`') from exc
        self.ros_distro: str | None = None
        self._schemas: dict[int, Any] = {}
        self._channels: dict[int, RecoveredConnection] = {}
        self._messages: list[tuple[int, int, int, bytes]] = []  # (log, order, channel, data)
        total = file.stat().st_size
        reason = 'no footer'
        with file.open('rb') as stream:
            reader = StreamReader(stream, validate_crcs=True, record_size_limit=total)
            try:
                for record in reader.records:
                    if isinstance(record, Schema):
                        self._schemas[record.id] = record
                    elif isinstance(record, Channel):
                        self._add_channel(file, record)
                    elif isinstance(record, Message) and record.channel_id in self._channels:
                        order = len(self._messages)
                        self._messages.append(
                            (record.log_time, order, record.channel_id, bytes(record.data))
                        )
            except McapError as exc:
                reason = f'{type(exc).__name__} after the last complete record'
            except (ValueError, EOFError) as exc:
                reason = f'unreadable record after the last complete one ({exc})'
        if not self._channels:
            detail = f'no complete MCAP topic record; {reason}'
            raise BagError(file, f'not a readable rosbag2 ({detail})')
        self._messages.sort()
        span = self._messages[-1][0] - self._messages[0][0] if self._messages else 0
        self.recovery = Recovery(file, len(self._messages), span / 1e9, reason)

    def _add_channel(self, file: Path, channel: Any) -> None:
        schema = self._schemas.get(channel.schema_id)
        if schema is None or channel.message_encoding != 'cdr':
            return
        text = bytes(schema.data).decode('utf-8', errors='replace')
        self._channels[channel.id] = RecoveredConnection(
            channel.id, channel.topic, schema.name, MessageDefinition(text)
        )

    @property
    def connections(self) -> list[RecoveredConnection]:
        """The recovered topics."""
        return list(self._channels.values())

    def messages(self) -> Iterator[tuple[RecoveredConnection, int, bytes]]:
        """(connection, log time [ns], raw CDR) in log-time order."""
        for log_ns, _, channel, data in self._messages:
            yield self._channels[channel], log_ns, data

    def close(self) -> None:
        """Nothing to release: the records were read at open."""

    def __enter__(self) -> RecoveredMcap:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _cut_short_mcap(path: Path) -> Path | None:
    """The MCAP file of ``path`` when it lacks metadata.yaml or its footer, else None."""
    if path.is_file():
        return path if path.suffix == '.mcap' and not _has_footer(path) else None
    files = sorted(path.glob('*.mcap'))
    if len(files) != 1:
        return None
    if not (path / 'metadata.yaml').exists() or not _has_footer(files[0]):
        return files[0]
    return None


def _has_footer(file: Path) -> bool:
    magic = b'\x89MCAP0\r\n'
    size = file.stat().st_size
    if size < 2 * len(magic):
        return False
    with file.open('rb') as stream:
        stream.seek(size - len(magic))
        return stream.read() == magic


def open_bag(path: Path | str) -> tuple[BagReader, Recovery | None]:
    """Open a rosbag2 directory or file for reading; a cut-short MCAP is recovered.

    Returns:
        The open reader (close it, or use it as a context manager) and, for a cut-short MCAP,
        what was recovered (None for a complete bag).

    Raises:
        BagError: the path is missing, or not a readable rosbag2 and not a recoverable MCAP.
    """
    path = Path(path)
    if not path.exists():
        raise BagError(path, 'does not exist')
    if path.is_dir() and not (path / 'metadata.yaml').exists() and not any(path.glob('*.mcap')):
        raise BagError(path, 'not a rosbag2: no metadata.yaml, and no .mcap file to recover')
    cut = _cut_short_mcap(path)
    if cut is not None:
        recovered = RecoveredMcap(cut)
        return recovered, recovered.recovery
    try:
        reader = Reader(path)
        reader.open()
    except (ReaderError, OSError, ValueError, KeyError) as exc:
        raise BagError(path, f'not a readable rosbag2 ({exc})') from exc
    return reader, None


__all__ = ['BagReader', 'RecoveredMcap', 'Recovery', 'open_bag']
