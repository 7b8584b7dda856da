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

"""An analytic world of boxes on a floor, ray-cast in numpy.

Fast and dependency-free: it gives tests, benchmarks and the demo realistic sensor geometry
(ranges, occlusion, colours) without a physics engine. MuJoCo scenes (see ``sim/``) are the
full simulator; this is the small one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True)
class Box:
    """An axis-aligned box, world frame, with a colour (RGB 0..255) and an IoT temperature."""

    lo: tuple[float, float, float]
    hi: tuple[float, float, float]
    rgb: tuple[int, int, int] = (150, 150, 150)
    name: str = ''


@dataclass
class World:
    """Boxes on a floor at z = 0; rays that hit nothing return no return (inf)."""

    boxes: list[Box] = field(default_factory=list)
    floor_rgb: tuple[int, int, int] = (90, 90, 95)

    def cast(
        self, origins: FloatArray, directions: FloatArray
    ) -> tuple[FloatArray, np.ndarray[Any, Any]]:
        """Cast rays; return the distance to the first hit (inf if none) and the hit index.

        Index ``-1`` is the floor, ``-2`` no hit, ``k >= 0`` is ``boxes[k]``.
        """
        n = directions.shape[0]
        best = np.full(n, np.inf)
        index = np.full(n, -2, dtype=np.int32)
        with np.errstate(divide='ignore', invalid='ignore'):
            t_floor = -origins[..., 2] / directions[:, 2]
        floor_hit = np.isfinite(t_floor) & (t_floor > 1e-6)
        best = np.where(floor_hit, t_floor, best)
        index[floor_hit] = -1
        inv = np.divide(
            1.0, directions, out=np.full_like(directions, np.inf), where=directions != 0
        )
        for k, box in enumerate(self.boxes):
            t1 = (np.asarray(box.lo) - origins) * inv
            t2 = (np.asarray(box.hi) - origins) * inv
            with np.errstate(invalid='ignore'):
                t_near = np.nanmax(np.minimum(t1, t2), axis=1)
                t_far = np.nanmin(np.maximum(t1, t2), axis=1)
            hit = (t_near <= t_far) & (t_far > 1e-6)
            t_hit = np.where(t_near > 1e-6, t_near, t_far)
            closer = hit & (t_hit < best)
            best = np.where(closer, t_hit, best)
            index[closer] = k
        return best, index

    def colours(self, index: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """RGB colour of each hit index (sky grey for no hit)."""
        palette = np.array(
            [(200, 210, 220), self.floor_rgb, *[b.rgb for b in self.boxes]], np.uint8
        )
        return palette[index + 2]
