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


"""The monitor's obstacle returns, grouped into 2 cm cells: every test exact, and cheap.

A lidar near a wall or a pallet leaves tens of thousands of returns within the field's reach;
testing each against a footprint swept over dozens of poses, at every gate tick, costs tens
of milliseconds (``bench/monitor.py``). Distances to a shape (and the least of them over many
poses) change by at most the distance moved, so a cell's centre tells about all its returns
within half the cell's diagonal: a cell whose centre is well inside a region counts whole, one
well outside counts nothing, and only the returns of the few cells on the boundary are tested
one by one. The counts and the nearest distance are those of the returns themselves, as if
each were tested: the cells only decide which tests can be skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import math
from typing import Any

import numpy as np

from physical_ai_ros.core.safety.shapes import Points

#: Cell size [m].
CELL = 0.02
#: Half a cell's diagonal: how far a return lies from its cell's centre at most [m].
HALF_DIAGONAL = CELL * math.sqrt(2.0) / 2.0 + 1e-9

#: ``(x_min, y_min, x_max, y_max)`` [m].
Box = tuple[float, float, float, float]

#: The largest grid counted with ``bincount`` (8 MB of counts); beyond, keys are sorted.
MAX_GRID_CELLS = 1 << 20

#: A Lipschitz distance of many points ((N, 2) in, (N,) out): a signed distance to a shape,
#: or the least of several (1-Lipschitz), or one that grows with time along a path.
Distance = Callable[[Points], np.ndarray[Any, np.dtype[np.float64]]]


@dataclass(frozen=True)
class Returns:
    """Obstacle returns and their cells.

    Attributes:
        points: ``(N, 2)`` x, y in the base frame [m].
        cell: ``(N,)`` each return's cell (an index into ``centres``).
        centres: ``(M, 2)`` their centres [m].
        counts: ``(M,)`` returns in each.
    """

    points: Points
    cell: np.ndarray[Any, np.dtype[np.intp]]
    centres: Points
    counts: np.ndarray[Any, np.dtype[np.int64]]

    @classmethod
    def of(cls, points: Points, box: Box | None = None) -> Returns:
        """Group ``points`` into cells of a grid anchored at the origin, in O(N).

        Cells are counted with ``bincount`` over the grid spanning ``box`` (the monitor's: a
        few metres; points outside it are left out), else the points' extent; a grid too
        large for that (points spread over kilometres) falls back to sorting the cell keys.
        """
        if not points.shape[0]:
            return cls(points, np.zeros(0, np.intp), np.zeros((0, 2)), np.zeros(0, np.int64))
        # row and column apart, in place where possible: each temporary is a pass over N
        i = np.floor(points[:, 0] * (1.0 / CELL)).astype(np.intp)
        j = np.floor(points[:, 1] * (1.0 / CELL)).astype(np.intp)
        if box is not None:
            low = np.floor(np.array(box[:2]) / CELL).astype(np.intp)
            high = np.floor(np.array(box[2:]) / CELL).astype(np.intp)
        else:
            low = np.array([i.min(), j.min()])
            high = np.array([i.max(), j.max()])
        i -= low[0]
        j -= low[1]
        rows, cols = (int(v) + 1 for v in high - low)
        # points kept from before a smaller box (parameters changed): rare, so tested by
        # four reductions first rather than four masks
        if i.min() < 0 or i.max() >= rows or j.min() < 0 or j.max() >= cols:
            inside = (i >= 0) & (i < rows) & (j >= 0) & (j < cols)
            points, i, j = points[inside], i[inside], j[inside]
        key = i * cols
        key += j
        if rows * cols <= MAX_GRID_CELLS:
            per_key = np.bincount(key, minlength=rows * cols)
            cells = np.flatnonzero(per_key)
            index = np.cumsum(per_key > 0) - 1  # key -> index among the occupied cells
            cell, counts = index[key], per_key[cells]
        else:
            cells, cell, counts = np.unique(key, return_inverse=True, return_counts=True)
        centres = np.stack([cells // cols + low[0] + 0.5, cells % cols + low[1] + 0.5], axis=1)
        return cls(points, cell.reshape(-1), centres * CELL, counts)

    def subset(self, cells: np.ndarray[Any, np.dtype[np.bool_]]) -> Returns:
        """The returns of the cells selected by ``cells`` (a mask over :attr:`centres`)."""
        keep = cells[self.cell]
        index = np.cumsum(cells) - 1  # old cell -> its index among the kept ones
        return Returns(
            self.points[keep], index[self.cell[keep]], self.centres[cells], self.counts[cells]
        )

    @property
    def size(self) -> int:
        """Number of returns."""
        return int(self.points.shape[0])

    def _members(self, which: np.ndarray[Any, np.dtype[np.bool_]]) -> Points:
        """The returns of the cells selected by ``which``."""
        chosen: Points = self.points[which[self.cell]]
        return chosen

    def count_within(
        self,
        distance: Distance,
        threshold: float,
        *,
        enough: int | None = None,
        lipschitz: float = 1.0,
    ) -> int:
        """How many returns have ``distance(return) <= threshold``.

        Exact, unless ``enough`` is given and the cells wholly within already hold that many:
        then the count of those cells (a lower bound, at least ``enough``), and the returns of
        the cells on the boundary, which cannot change a verdict taken at ``enough``, are not
        tested one by one (near a wall they are thousands: ``bench/monitor.py``).
        ``lipschitz``: how much ``distance`` changes at most per metre moved (1 for a signed
        distance): it sets how far from the boundary a cell must lie to count whole.
        """
        if not self.size:
            return 0
        reach = HALF_DIAGONAL * lipschitz
        d = distance(self.centres)
        whole = d <= threshold - reach
        inside = int(self.counts[whole].sum())
        if enough is not None and inside >= enough:
            return inside
        edge = ~whole & (d <= threshold + reach)
        if edge.any():
            inside += int(np.count_nonzero(distance(self._members(edge)) <= threshold))
        return inside

    def min_distance(self, distance: Distance) -> float:
        """The least ``distance`` over the returns (exactly; inf without returns)."""
        if not self.size:
            return math.inf
        d = distance(self.centres)
        candidates = d <= d.min() + 2.0 * HALF_DIAGONAL
        return float(distance(self._members(candidates)).min())


NO_RETURNS = Returns.of(np.zeros((0, 2)))
