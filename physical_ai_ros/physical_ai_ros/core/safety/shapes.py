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


"""Shapes of the collision monitor in the base frame: polygons and circles.

Each shape answers the signed distance of many points at once (negative inside), so a zone
test is ``distance <= 0`` and a footprint inflated by a margin is ``distance <= margin``,
without a Python loop per point. :func:`polygon_problem` says in words what makes a polygon
unusable (open, self-intersecting, without area), for check-config.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any, Protocol

import numpy as np

Points = np.ndarray[Any, np.dtype[np.float64]]  # (N, 2) x, y [m]


class Shape(Protocol):
    """A region of the plane."""

    def signed_distance(self, points: Points) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Distance of each point to the boundary [m]; negative inside."""

    def bounds(self) -> tuple[float, float, float, float]:
        """``(x_min, y_min, x_max, y_max)`` [m]."""

    def outline(self) -> list[tuple[float, float]]:
        """The boundary as vertices, for display (a circle as a 32-gon)."""


@dataclass(frozen=True)
class Circle:
    """A disc of ``radius`` around ``(x, y)``."""

    x: float
    y: float
    radius: float

    def signed_distance(self, points: Points) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Distance to the circle; negative inside."""
        out: np.ndarray[Any, np.dtype[np.float64]] = (
            np.hypot(points[:, 0] - self.x, points[:, 1] - self.y) - self.radius
        )
        return out

    def bounds(self) -> tuple[float, float, float, float]:
        """The bounding box."""
        r = self.radius
        return self.x - r, self.y - r, self.x + r, self.y + r

    def outline(self) -> list[tuple[float, float]]:
        """32 points on the circle."""
        angles = np.linspace(0.0, 2.0 * math.pi, 32, endpoint=False)
        return [
            (self.x + self.radius * math.cos(a), self.y + self.radius * math.sin(a))
            for a in angles
        ]


@dataclass(frozen=True)
class Polygon:
    """A simple polygon; ``vertices`` in order (either winding), not repeating the first."""

    vertices: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        problem = polygon_problem(self.vertices)
        if problem:
            raise ValueError(f'polygon {list(self.vertices)}: {problem}')

    def signed_distance(self, points: Points) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Distance to the nearest edge; negative inside (even-odd rule)."""
        v = np.asarray(self.vertices, dtype=np.float64)
        a, b = v, np.roll(v, -1, axis=0)  # edges a[k] -> b[k]
        px, py = points[:, 0:1], points[:, 1:2]  # (N, 1) against (E,) edges
        ex, ey = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
        t = ((px - a[:, 0]) * ex + (py - a[:, 1]) * ey) / (ex * ex + ey * ey)
        t = np.clip(t, 0.0, 1.0)
        dx, dy = px - (a[:, 0] + t * ex), py - (a[:, 1] + t * ey)
        distance = np.sqrt((dx * dx + dy * dy).min(axis=1))
        # a ray towards +x crosses the edges that straddle the point's y to its right
        straddles = (a[:, 1] > py) != (b[:, 1] > py)
        with np.errstate(divide='ignore', invalid='ignore'):
            x_cross = a[:, 0] + (py - a[:, 1]) * ex / ey
        inside = (np.count_nonzero(straddles & (px < x_cross), axis=1) % 2) == 1
        out: np.ndarray[Any, np.dtype[np.float64]] = np.where(inside, -distance, distance)
        return out

    def bounds(self) -> tuple[float, float, float, float]:
        """The bounding box."""
        v = np.asarray(self.vertices)
        return (
            float(v[:, 0].min()),
            float(v[:, 1].min()),
            float(v[:, 0].max()),
            float(v[:, 1].max()),
        )

    def outline(self) -> list[tuple[float, float]]:
        """The vertices."""
        return list(self.vertices)


def polygon_problem(vertices: Any) -> str:
    """What makes ``vertices`` an unusable polygon, in words; '' when it is a good one."""
    try:
        v = np.asarray(vertices, dtype=np.float64)
    except (TypeError, ValueError):
        return 'expected a list of [x, y] points'
    if v.ndim != 2 or v.shape[1] != 2:
        return 'expected a list of [x, y] points'
    if not np.isfinite(v).all():
        return 'points must be finite'
    if len(v) >= 2 and np.array_equal(v[0], v[-1]):
        v = v[:-1]  # closed by repeating the first point: the same polygon
    if len(v) < 3:
        return 'a polygon needs at least 3 distinct points (it is open)'
    n = len(v)
    for i in range(n):  # a dozen vertices at most: a pairwise test is fine at load time
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue  # neighbouring edges share a vertex
            if _segments_cross(v[i], v[(i + 1) % n], v[j], v[(j + 1) % n]):
                return f'edges {i} and {j} cross (self-intersecting)'
    area = 0.5 * float(np.sum(v[:, 0] * np.roll(v[:, 1], -1) - np.roll(v[:, 0], -1) * v[:, 1]))
    if abs(area) < 1e-6:
        return 'the polygon has no area'
    return ''


def _segments_cross(p1: Any, p2: Any, q1: Any, q2: Any) -> bool:
    """Whether two segments intersect (touching counts)."""

    def orient(a: Any, b: Any, c: Any) -> float:
        return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))

    d1, d2 = orient(q1, q2, p1), orient(q1, q2, p2)
    d3, d4 = orient(p1, p2, q1), orient(p1, p2, q2)
    if ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and d1 and d2 and d3 and d4:
        return True

    def on(a: Any, b: Any, c: Any, d: float) -> bool:
        return (
            d == 0
            and min(a[0], b[0]) <= c[0] <= max(a[0], b[0])
            and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])
        )

    return on(q1, q2, p1, d1) or on(q1, q2, p2, d2) or on(p1, p2, q1, d3) or on(p1, p2, q2, d4)
