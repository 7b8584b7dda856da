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


"""What a replay records for its report: timeline events and the kinds of fault in a bag.

Kinds are enums and events carry their source and time; the report and the summary render
them, and code (tests, the simulator's episode metrics) decides by kind, never by text.
"""

from __future__ import annotations

from dataclasses import dataclass
import enum


class EventKind(enum.Enum):
    """What happened at an event on the report's timeline."""

    FAULT = 'fault'  # something wrong with an input (see FaultKind)
    STALE = 'stale'  # a source left out of perception's updates
    FRESH = 'fresh'  # a stale source is back
    STOP = 'stop'  # the gate started stopping (or changed its reason)
    RESUME = 'resume'  # the gate passes policy commands again


class FaultKind(enum.Enum):
    """What was wrong with an input message (its text is the report's column)."""

    UNKNOWN_TYPE = 'unknown type'
    CORRUPT = 'corrupt message'
    GAP = 'gap'
    REJECTED_READING = 'rejected reading'
    OUT_OF_ORDER = 'out-of-order stamp'
    DUPLICATE = 'duplicate stamp'
    CLOCK_JUMP = 'clock jumped backwards'
    STALE_ON_ARRIVAL = 'stale on arrival'
    FUTURE_STAMP = 'stamped in the future'
    MALFORMED = 'malformed message'


@dataclass
class Event:
    """Something the report shows on its timeline.

    Attributes:
        time_ns: log time of the event [ns].
        kind: what happened.
        source: the topic, sensor or stage concerned.
        detail: the cause in words (rendered once, when the event is recorded).
        consequence: what the gate did right after it (faults only).
        fault: the kind of fault (``kind`` FAULT only).
    """

    time_ns: int
    kind: EventKind
    source: str
    detail: str
    consequence: str = ''
    fault: FaultKind | None = None
