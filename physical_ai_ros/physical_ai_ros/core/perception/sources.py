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

"""Freshness and ordering of input streams: what is stale, what arrived out of order."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from physical_ai_ros.core.messages.stamps import NS_PER_S
from physical_ai_ros.core.perception.reasons import Drop, DropKind, Stale, StaleKind


@dataclass
class SourceMonitor:
    """Tracks the newest stamp of each named source against its timeout.

    Attributes:
        timeouts_s: per source, the age after which it is stale [s].
        max_future_s: how far a stamp may lie ahead of the receiving clock (clocks of
            different computers disagree a little) [s]; one further ahead is dropped, never
            adopted as the newest, which would make every later message look out of order.
    """

    timeouts_s: dict[str, float]
    max_future_s: float = 0.2
    latest_ns: dict[str, int] = field(default_factory=dict)
    dropped: Counter[tuple[str, DropKind]] = field(default_factory=Counter)
    stale_counts: Counter[str] = field(default_factory=Counter)

    def accept(self, source: str, stamp_ns: int, received_ns: int | None = None) -> Drop | None:
        """Record a message's stamp; returns None, or why it must be dropped (and counts it).

        With ``received_ns`` (the receiving clock: ROS time live, log time in replay), a
        message stamped further ahead of it than ``max_future_s`` is dropped, and so is one
        already older than its source's timeout when it arrives: it could only be used stale,
        and working through such a backlog delays the fresh ones.
        """
        if received_ns is not None and stamp_ns - received_ns > self.max_future_s * NS_PER_S:
            ahead = stamp_ns - received_ns
            return self._count(Drop(source, DropKind.FUTURE_STAMP, ahead, self.max_future_s))
        latest = self.latest_ns.get(source)
        if latest is not None and stamp_ns <= latest:
            kind = DropKind.DUPLICATE if stamp_ns == latest else DropKind.OUT_OF_ORDER
            return self._count(Drop(source, kind, got=stamp_ns, expected=latest))
        timeout = self.timeouts_s.get(source)
        if received_ns is not None and timeout is not None:
            age = received_ns - stamp_ns
            if age / NS_PER_S > timeout:
                return self._count(Drop(source, DropKind.STALE_ON_ARRIVAL, age, timeout))
        self.latest_ns[source] = stamp_ns
        return None

    def _count(self, drop: Drop) -> Drop:
        self.dropped[(drop.source, drop.kind)] += 1
        return drop

    def age_s(self, source: str, now_ns: int) -> float | None:
        """Seconds since the newest message of ``source``; None if none arrived."""
        latest = self.latest_ns.get(source)
        return None if latest is None else (now_ns - latest) / NS_PER_S

    def stale(self, now_ns: int) -> dict[str, Stale]:
        """Stale sources with why (never received, or how old), counted once per call."""
        out = {}
        for source, timeout in self.timeouts_s.items():
            latest = self.latest_ns.get(source)
            if latest is None:
                out[source] = Stale(StaleKind.NEVER_RECEIVED)
            elif (now_ns - latest) / NS_PER_S > timeout:
                out[source] = Stale(StaleKind.TOO_OLD, age_ns=now_ns - latest, limit_s=timeout)
        for source in out:
            self.stale_counts[source] += 1
        return out
