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

"""``physical-ai bag recover``: a bag cut short by a crash, rewritten as a complete one.

A recorder killed hard leaves an MCAP without summary, footer or metadata.yaml: this package
reads it (:func:`~physical_ai_ros.replay.bagreader.open_bag`), but rosbags, ``ros2 bag`` and
Foxglove refuse it. :func:`recover_bag` writes what is readable of it (every message up to
the last complete chunk, with its topic, type and definition) into a new rosbag2 with its
index, footer and metadata.yaml, which all of them open. The messages' bytes and log times
are kept as they were.
"""

from __future__ import annotations

from pathlib import Path

from rosbags.typesys import get_types_from_msg

from physical_ai_ros.replay.bagreader import open_bag, Recovery
from physical_ai_ros.replay.bagwriter import BagWriter
from physical_ai_ros.replay.errors import BagError
from physical_ai_ros.replay.typestore import TypestoreTypes


def recover_bag(path: Path | str, out: Path | str) -> Recovery:
    """Rewrite the cut-short bag at ``path`` as a complete rosbag2 (MCAP) at ``out``.

    Returns:
        What was recovered (messages, seconds, why the original ended where it did).

    Raises:
        BagError: ``path`` is not a rosbag2, is complete already (nothing to recover), or
            ``out`` exists.
    """
    path, out = Path(path), Path(out)
    if out.exists():
        raise BagError(out, 'exists; choose another output folder')
    reader, recovery = open_bag(path)
    try:
        if recovery is None:
            raise BagError(path, 'is complete: rosbags and ros2 bag read it as it is')
        types = TypestoreTypes()
        for connection in reader.connections:  # the bag's own definitions for custom types
            if connection.msgtype not in types.store.types and connection.msgdef.data:
                types.store.register(
                    get_types_from_msg(connection.msgdef.data, connection.msgtype)
                )
        with BagWriter(out, types) as writer:
            for connection, log_ns, data in reader.messages():
                writer.write_raw(connection.topic, connection.msgtype, bytes(data), log_ns)
    finally:
        reader.close()
    return recovery


__all__ = ['recover_bag']
