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

"""Which returns moved: a scan against an earlier one of the same sensor, ego-motion removed.

The mover field must not treat a rack beside the aisle as a person about to step out: a rack
is where it was a moment ago, a walking person is not. The earlier scan's occupied cells
(:class:`~.returns.Returns`, 2 cm) are moved into the base frame of now (the robot's own
motion over the interval, from the gate's velocity), drawn into a grid and grown by a
tolerance; a cell of now that the grown grid does not cover was empty before: its returns
moved, or came into view. Those count as possible movers; the rest is standing. Cells, not
returns: a dense cloud has tens of thousands of returns in a few hundred cells. No scan
before (start-up, a source back from silence) or one too old: every return counts as moving.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
import math
from typing import Any

import cv2
import numpy as np

from physical_ai_ros.core.safety.returns import Box, CELL, Returns

#: How far back the earlier scan lies, at least [s]: a person at 0.6 m/s moves 12 cm.
BASELINE_S = 0.2
#: An earlier scan older than this says nothing about now [s].
MAX_BASELINE_S = 0.6
#: A cell within this distance of one occupied before stood still [m]: range noise, the
#: cells' size and the robot's speed changing within the interval.
TOLERANCE_M = 0.05


@dataclass(frozen=True)
class Scan:
    """One message's obstacle returns, grouped, in the base frame of its stamp."""

    stamp_ns: int
    returns: Returns


class ScanHistory:
    """A source's recent scans, enough to reach :data:`BASELINE_S` back."""

    def __init__(self) -> None:
        self._scans: deque[Scan] = deque()

    def add(self, scan: Scan) -> None:
        """Keep ``scan``; forget what is older than needed."""
        self._scans.append(scan)
        while len(self._scans) > 2 and scan.stamp_ns - self._scans[1].stamp_ns >= BASELINE_S * 1e9:
            self._scans.popleft()

    def baseline(self) -> Scan | None:
        """The newest earlier scan at least :data:`BASELINE_S` older than the last one."""
        if len(self._scans) < 2:
            return None
        last = self._scans[-1].stamp_ns
        for scan in reversed(list(self._scans)[:-1]):
            if last - scan.stamp_ns >= BASELINE_S * 1e9:
                return scan if last - scan.stamp_ns <= MAX_BASELINE_S * 1e9 else None
        return None


def moved(
    now: Scan, before: Scan | None, velocity: tuple[float, float], box: Box
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Which cells of ``now`` (a mask over its centres) were empty in ``before``.

    All of them without ``before``. ``velocity`` (linear, angular) is the robot's over the
    interval: a standing return seen from the robot moves by the opposite of its motion.
    """
    cells = now.returns.centres
    if before is None or not cells.shape[0]:
        return np.ones(cells.shape[0], dtype=bool)
    dt = (now.stamp_ns - before.stamp_ns) / 1e9
    v, w = velocity
    turn = w * dt
    # the robot's pose now in the base frame of ``before`` (constant v, w: an arc)
    dx, dy = v * dt * math.cos(turn / 2.0), v * dt * math.sin(turn / 2.0)
    c, s = math.cos(turn), math.sin(turn)
    old = before.returns.centres
    px, py = old[:, 0] - dx, old[:, 1] - dy
    x, y = c * px + s * py, -s * px + c * py  # rotated by -turn: into the frame of now
    x0, y0, x1, y1 = box
    cols, rows = int((x1 - x0) / CELL) + 1, int((y1 - y0) / CELL) + 1
    seen = np.zeros((rows, cols), dtype=np.uint8)
    i, j, inside = _cells(x, y, x0, y0, cols, rows)
    seen[j[inside], i[inside]] = 1
    # a cell centre lies within half a diagonal of its returns: grow by that too
    reach = math.ceil((TOLERANCE_M + CELL) / CELL)
    grown: np.ndarray[Any, Any] = cv2.dilate(seen, np.ones((2 * reach + 1,) * 2, np.uint8))
    i, j, inside = _cells(cells[:, 0], cells[:, 1], x0, y0, cols, rows)
    out = np.ones(cells.shape[0], dtype=bool)
    out[inside] = grown[j[inside], i[inside]] == 0
    return out


def _cells(
    x: Any, y: Any, x0: float, y0: float, cols: int, rows: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Grid column and row of each point, and which lie on the grid."""
    i = np.floor((np.asarray(x) - x0) / CELL).astype(np.intp)
    j = np.floor((np.asarray(y) - y0) / CELL).astype(np.intp)
    return i, j, (i >= 0) & (i < cols) & (j >= 0) & (j < rows)
