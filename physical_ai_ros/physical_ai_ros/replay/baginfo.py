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

"""Summaries of rosbag2 recordings: what ``physical-ai info BAG`` prints."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rosbags.rosbag2.errors import ReaderError
import yaml

from physical_ai_ros.core.files import load_yaml_limited, read_text_limited, yaml_problem
from physical_ai_ros.core.messages.stamps import NS_PER_S
from physical_ai_ros.replay.bagreader import open_bag
from physical_ai_ros.replay.errors import BagError


@dataclass(frozen=True)
class TopicSummary:
    """One topic of a bag."""

    name: str
    msgtype: str
    count: int
    first_ns: int
    last_ns: int

    @property
    def rate_hz(self) -> float:
        """Mean message rate between the first and the last message; 0 for fewer than two."""
        span = self.last_ns - self.first_ns
        return (self.count - 1) * NS_PER_S / span if self.count > 1 and span > 0 else 0.0


@dataclass(frozen=True)
class BagSummary:
    """What a bag holds."""

    path: Path
    storage: str
    ros_distro: str | None
    start_ns: int
    end_ns: int
    message_count: int
    topics: tuple[TopicSummary, ...]
    recovered: str = ''  # what was read from a bag cut short by a hard kill

    @property
    def duration_s(self) -> float:
        """Seconds from the first to the last message (the messages, not metadata.yaml, say)."""
        return max(self.end_ns - self.start_ns, 0) / NS_PER_S


def storage_of(path: Path) -> str:
    """Return the storage identifier (``mcap`` or ``sqlite3``) of a bag directory or file."""
    if path.is_dir():
        metadata = path / 'metadata.yaml'

        def refused(reason: str) -> BagError:
            return BagError(path, f'no readable metadata.yaml (it {reason})')

        try:  # bounded: a metadata.yaml linked to /dev/zero is refused, not read for ever
            info = load_yaml_limited(read_text_limited(metadata, refused), refused)
            return str(info['rosbag2_bagfile_information']['storage_identifier'])
        except yaml.YAMLError as exc:
            line, problem = yaml_problem(exc)
            raise BagError(path, f'no readable metadata.yaml (line {line}: {problem})') from None
        except (KeyError, TypeError) as exc:
            raise BagError(path, f'no readable metadata.yaml (no {exc})') from None
    return {'.mcap': 'mcap', '.db3': 'sqlite3'}.get(path.suffix, path.suffix)


def summarize_bag(path: Path | str) -> BagSummary:
    """Read a rosbag2 directory, ``.mcap`` or ``.db3`` file and summarise it per topic.

    Raises:
        BagError: the path is missing or not a readable rosbag2.
    """
    path = Path(path)
    reader, recovery = open_bag(path)
    storage = 'mcap' if recovery is not None else storage_of(path)
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    counts: dict[int, int] = {}
    try:
        connections = list(reader.connections)
        for connection, stamp, _ in reader.messages():
            first.setdefault(connection.id, stamp)
            last[connection.id] = stamp
            counts[connection.id] = counts.get(connection.id, 0) + 1
        distro = reader.ros_distro
    except (ReaderError, OSError, ValueError, KeyError) as exc:
        raise BagError(path, f'not a readable rosbag2 ({exc})') from exc
    finally:
        reader.close()
    topics = []
    for connection in sorted(connections, key=lambda c: c.topic):
        count = counts.get(connection.id, 0)
        topics.append(
            TopicSummary(
                name=connection.topic,
                msgtype=connection.msgtype,
                count=count,
                first_ns=first.get(connection.id, 0),
                last_ns=last.get(connection.id, 0),
            )
        )
    return BagSummary(
        path=path,
        storage=storage,
        ros_distro=distro,
        start_ns=min(first.values(), default=0),
        end_ns=max(last.values(), default=0),
        message_count=sum(counts.values()),
        topics=tuple(topics),
        recovered=str(recovery) if recovery is not None else '',
    )


def format_ns(ns: int) -> str:
    """Render integer nanoseconds as exact decimal seconds."""
    sign = '-' if ns < 0 else ''
    sec, nanosec = divmod(abs(ns), NS_PER_S)
    return f'{sign}{sec}.{nanosec:09d}'


def format_summary(summary: BagSummary) -> str:
    """Render a summary as the aligned table ``physical-ai info`` prints."""
    lines = [
        f'path:      {summary.path}',
        f'storage:   {summary.storage}'
        + (f' (ros_distro: {summary.ros_distro})' if summary.ros_distro else ''),
        f'duration:  {summary.duration_s:.3f} s',
        f'start:     {format_ns(summary.start_ns)} s',
        f'end:       {format_ns(summary.end_ns)} s',
        f'messages:  {summary.message_count}',
        f'topics:    {len(summary.topics)}',
    ]
    if summary.recovered:
        lines.insert(2, f'recovered: {summary.recovered}')
        lines.insert(3, f'           (physical-ai bag recover {summary.path} OUT writes it as a '
                        'complete bag that rosbags, ros2 bag and Foxglove open)')  # fmt: skip
    if summary.topics:
        width_name = max(len(t.name) for t in summary.topics)
        width_type = max(len(t.msgtype) for t in summary.topics)
        for topic in summary.topics:
            lines.append(
                f'  {topic.name:<{width_name}}  {topic.msgtype:<{width_type}}  '
                f'{topic.count:>8} msgs  {topic.rate_hz:>9.2f} Hz'
            )
    return '\n'.join(lines)
