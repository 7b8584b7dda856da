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

"""Ground plane estimation: RANSAC on a subsample, refined by least squares.

Sloped and cluttered floors are handled by fitting the dominant plane among low points, then
classifying every point by its height above that plane (a band), rather than by a fixed z.
Randomness comes from a generator seeded per call, so the same cloud gives the same plane.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any

import numpy as np


@dataclass(frozen=True)
class GroundConfig:
    """Ground fitting parameters.

    Attributes:
        max_slope_deg: steepest floor accepted as ground [deg].
        candidate_max_z: only points below this base-frame height may be ground [m].
        inlier_distance: RANSAC inlier threshold [m].
        band: points within this height of the plane are ground [m].
        sample_size: points drawn for RANSAC.
        iterations: plane hypotheses tried.
        seed: RNG seed (fixed: same cloud, same plane).
    """

    max_slope_deg: float = 15.0
    candidate_max_z: float = 0.5
    inlier_distance: float = 0.05
    band: float = 0.08
    sample_size: int = 1024
    iterations: int = 64
    seed: int = 0


@dataclass(frozen=True)
class Plane:
    """``normal . p + offset = 0`` with a unit normal pointing up."""

    normal: np.ndarray[Any, np.dtype[np.float64]]
    offset: float
    inliers: int

    def height(self, points: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Signed height of ``(N, 3)`` points above the plane [m]."""
        # three multiply-adds over columns, not `@`: independent of BLAS threading, and
        # faster than einsum for a 3-vector (see transforms.apply)
        nx, ny, nz = (np.float32(v) for v in self.normal)
        out: np.ndarray[Any, np.dtype[np.float32]] = points[:, 0] * nx
        out += points[:, 1] * ny
        out += points[:, 2] * nz
        out += np.float32(self.offset)
        return out


FLAT = Plane(normal=np.array([0.0, 0.0, 1.0]), offset=0.0, inliers=0)


def fit_ground(points: np.ndarray[Any, Any], config: GroundConfig) -> Plane:
    """Fit the floor plane to base-frame ``(N, 3)`` points; the z = 0 plane if none is found."""
    candidates = points[points[:, 2] < config.candidate_max_z]
    if candidates.shape[0] < 3:
        return FLAT
    rng = np.random.default_rng(config.seed)
    if candidates.shape[0] > config.sample_size:
        candidates = candidates[rng.choice(candidates.shape[0], config.sample_size, replace=False)]
    sample = candidates.astype(np.float64)
    triples = sample[rng.integers(0, sample.shape[0], (config.iterations, 3))]
    normals = np.cross(triples[:, 1] - triples[:, 0], triples[:, 2] - triples[:, 0])
    norms = np.linalg.norm(normals, axis=1)
    valid = norms > 1e-9
    normals[valid] /= norms[valid, None]
    normals[normals[:, 2] < 0] *= -1.0
    min_cos = math.cos(math.radians(config.max_slope_deg))
    valid &= normals[:, 2] >= min_cos
    if not valid.any():
        return FLAT
    normals = normals[valid]
    offsets = -np.einsum('ij,ij->i', normals, triples[valid, 0])
    # (points, hypotheses) by column broadcasting, not `@`: independent of BLAS threading
    distances = sample[:, 0:1] * normals[:, 0] + sample[:, 1:2] * normals[:, 1]
    distances += sample[:, 2:3] * normals[:, 2]
    distances = np.abs(distances + offsets)
    counts = (distances < config.inlier_distance).sum(axis=0)
    best = int(np.argmax(counts))
    inliers = sample[distances[:, best] < config.inlier_distance]
    if inliers.shape[0] < 3:
        return FLAT
    return _refine(inliers, normals[best], min_cos)


def _refine(
    inliers: np.ndarray[Any, Any], fallback: np.ndarray[Any, Any], min_cos: float
) -> Plane:
    """Least-squares plane through the inliers (the scatter matrix's smallest eigenvector)."""
    centroid = inliers.mean(axis=0)
    centred = inliers - centroid
    # the 3x3 scatter by einsum and its eigenvectors, rather than an SVD of the (N, 3) points:
    # the same plane, and no BLAS call whose cost grows with N
    _, vectors = np.linalg.eigh(np.einsum('ni,nj->ij', centred, centred))
    normal = vectors[:, 0]
    if normal[2] < 0:
        normal = -normal
    if normal[2] < min_cos:
        normal = fallback
    return Plane(normal=normal, offset=float(-normal @ centroid), inliers=int(inliers.shape[0]))
