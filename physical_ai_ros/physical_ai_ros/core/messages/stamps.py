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

"""Conversions between ROS time stamps and integer nanoseconds.

Core keeps every time as an ``int`` of nanoseconds: exact, comparable and cheap. These are the
only places where ``builtin_interfaces/Time`` is read or built.
"""

from __future__ import annotations

from typing import Any, Protocol

from physical_ai_ros.core.errors import message_boundary, StampError
from physical_ai_ros.core.messages.msgtypes import MessageTypes

NS_PER_S = 1_000_000_000
_INT32_MIN = -(2**31)
_INT32_MAX = 2**31 - 1


class StampLike(Protocol):
    """Anything with the fields of ``builtin_interfaces/Time``."""

    sec: int
    nanosec: int


@message_boundary(StampError)
def stamp_to_ns(stamp: StampLike) -> int:
    """Return a ``builtin_interfaces/Time`` as integer nanoseconds.

    Raises:
        StampError: ``nanosec`` is not in ``[0, 1e9)`` or a field is not an integer.
    """
    sec, nanosec = stamp.sec, stamp.nanosec
    try:
        sec, nanosec = int(sec), int(nanosec)
    except (TypeError, ValueError) as exc:
        raise StampError('sec/nanosec', (sec, nanosec), 'must be integers') from exc
    if not 0 <= nanosec < NS_PER_S:
        raise StampError('nanosec', nanosec, 'must be in [0, 999999999]')
    return sec * NS_PER_S + nanosec


def ns_to_sec_nanosec(ns: int) -> tuple[int, int]:
    """Split integer nanoseconds into ``(sec, nanosec)`` with ``0 <= nanosec < 1e9``.

    Raises:
        StampError: the time does not fit the int32 seconds of ``builtin_interfaces/Time``.
    """
    sec, nanosec = divmod(int(ns), NS_PER_S)
    if not _INT32_MIN <= sec <= _INT32_MAX:
        raise StampError('sec', sec, 'does not fit in int32')
    return sec, nanosec


def ns_to_stamp(ns: int, types: MessageTypes) -> Any:
    """Build a ``builtin_interfaces/Time`` for integer nanoseconds."""
    sec, nanosec = ns_to_sec_nanosec(ns)
    return types.get('builtin_interfaces/msg/Time')(sec=sec, nanosec=nanosec)


def make_header(stamp_ns: int, frame_id: str, types: MessageTypes) -> Any:
    """Build a ``std_msgs/Header`` stamped ``stamp_ns`` in ``frame_id``."""
    return types.get('std_msgs/msg/Header')(stamp=ns_to_stamp(stamp_ns, types), frame_id=frame_id)
