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

"""The pinhole camera model of ``sensor_msgs/CameraInfo``, as image_geometry defines it.

Projection and undistortion are OpenCV's (plumb_bob and rational_polynomial through the
standard model, equidistant through ``cv2.fisheye``). Binning and region of interest are folded
into the intrinsics, so pixel coordinates always refer to the image that was published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from physical_ai_ros.core.errors import CameraInfoError, ImageError, message_boundary

#: Distortion models and the coefficient counts OpenCV accepts for them.
DISTORTION_MODELS: dict[str, tuple[int, ...]] = {
    'plumb_bob': (0, 4, 5, 8, 12, 14),
    'rational_polynomial': (0, 8, 12, 14),
    'equidistant': (0, 4),
    'fisheye': (0, 4),
    '': (0,),
}

_UNDISTORT_CRITERIA = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 50, 1e-12)


def _matrix(msg: Any, name: str, shape: tuple[int, int]) -> np.ndarray[Any, Any]:
    try:
        values = np.asarray(getattr(msg, name), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CameraInfoError(name, getattr(msg, name, None), 'must be numbers') from exc
    if values.size != shape[0] * shape[1]:
        raise CameraInfoError(name, values.tolist(), f'must have {shape[0] * shape[1]} values')
    if not np.isfinite(values).all():
        raise CameraInfoError(name, values.tolist(), 'must be finite (found NaN or Inf)')
    return values.reshape(shape)


@dataclass
class PinholeCamera:
    """A calibrated camera, with intrinsics for the published (binned, cropped) image.

    Attributes:
        width: image width in pixels, after binning and ROI.
        height: image height in pixels, after binning and ROI.
        k: 3x3 intrinsic matrix of the raw (distorted) image.
        d: distortion coefficients.
        distortion_model: ``plumb_bob``, ``rational_polynomial`` or ``equidistant``.
        r: 3x3 rectification rotation.
        p: 3x4 projection matrix of the rectified image.
        frame_id: the optical frame the model lives in.
    """

    width: int
    height: int
    k: np.ndarray[Any, Any]
    d: np.ndarray[Any, Any]
    distortion_model: str
    r: np.ndarray[Any, Any]
    p: np.ndarray[Any, Any]
    frame_id: str = ''
    _maps: tuple[Any, Any] | None = field(default=None, repr=False, compare=False)
    _bounds: np.ndarray[Any, Any] | None = field(default=None, repr=False, compare=False)

    @classmethod
    @message_boundary(CameraInfoError)
    def from_camera_info(cls, msg: Any) -> PinholeCamera:
        """Build the model from a CameraInfo message (rclpy or rosbags).

        Raises:
            CameraInfoError: non-finite or singular K, P or R, an unknown distortion model,
                a coefficient count the model does not have, or an empty image size.
        """
        width, height = int(msg.width), int(msg.height)
        if width <= 0 or height <= 0:
            raise CameraInfoError('width/height', (width, height), 'must be > 0 (uncalibrated?)')
        k = _matrix(msg, 'k', (3, 3))
        if k[0, 0] <= 0 or k[1, 1] <= 0 or k[2, 2] != 1.0:
            raise CameraInfoError('k', k.ravel().tolist(), 'needs fx > 0, fy > 0 and k[8] = 1')
        model = str(msg.distortion_model)
        if model not in DISTORTION_MODELS:
            raise CameraInfoError(
                'distortion_model',
                model,
                f'expected one of {sorted(m for m in DISTORTION_MODELS if m)}',
            )
        d = np.asarray(msg.d, dtype=np.float64).ravel()
        if d.size not in DISTORTION_MODELS[model]:
            raise CameraInfoError(
                'd', d.tolist(), f'{model!r} takes {DISTORTION_MODELS[model]} coefficients'
            )
        if not np.isfinite(d).all():
            raise CameraInfoError('d', d.tolist(), 'must be finite (found NaN or Inf)')
        r = _matrix(msg, 'r', (3, 3))
        if not r.any():  # some drivers leave R zero: no rectification
            r = np.eye(3)
        p = _matrix(msg, 'p', (3, 4))
        if not p.any():  # uncalibrated rectification: the rectified camera is K
            p = np.hstack([k, np.zeros((3, 1))])
        if p[0, 0] <= 0 or p[1, 1] <= 0:
            raise CameraInfoError('p', p.ravel().tolist(), 'needs P[0,0] > 0 and P[1,1] > 0')
        binning_x, binning_y = max(int(msg.binning_x), 1), max(int(msg.binning_y), 1)
        roi = msg.roi
        x_off, y_off = int(roi.x_offset), int(roi.y_offset)
        roi_w, roi_h = int(roi.width), int(roi.height)
        if roi_w == 0 or roi_h == 0:
            x_off, y_off, roi_w, roi_h = 0, 0, width, height
        if x_off + roi_w > width or y_off + roi_h > height:
            raise CameraInfoError(
                'roi', (x_off, y_off, roi_w, roi_h), f'exceeds the {width}x{height} image'
            )
        k, p = k.copy(), p.copy()
        for matrix in (k, p):
            matrix[0, 2] -= x_off
            matrix[1, 2] -= y_off
            matrix[0] /= binning_x
            matrix[1] /= binning_y
        model = 'equidistant' if model == 'fisheye' else model
        return cls(
            width=roi_w // binning_x,
            height=roi_h // binning_y,
            k=k,
            d=d,
            distortion_model=model or 'plumb_bob',
            r=r,
            p=p,
            frame_id=str(msg.header.frame_id),
        )

    def scaled(self, factor: int) -> PinholeCamera:
        """The model of the image shrunk by ``factor`` (like binning), e.g. by a reduced decode."""
        if factor == 1:
            return self
        k, p = self.k.copy(), self.p.copy()
        for matrix in (k, p):
            matrix[:2] /= factor
            # pixel centres: coordinate c in the full image is (c + 0.5) / f - 0.5 in the small one
            matrix[0, 2] += 0.5 / factor - 0.5
            matrix[1, 2] += 0.5 / factor - 0.5
        # libjpeg's reduced decode rounds the size up
        width, height = -(-self.width // factor), -(-self.height // factor)
        return PinholeCamera(
            width, height, k, self.d, self.distortion_model, self.r, p, self.frame_id
        )

    @property
    def is_fisheye(self) -> bool:
        """Whether the equidistant (fisheye) model applies."""
        return self.distortion_model == 'equidistant'

    def project(
        self, points: np.ndarray[Any, Any], *, rectified: bool = False
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Project 3-D points of the optical frame (z forward) to pixels.

        Args:
            points: ``(N, 3)`` points in the camera's optical frame.
            rectified: give pixels of the rectified image (through P) instead of the raw one.

        Returns:
            ``(uv, visible)``: ``(N, 2)`` float64 pixel coordinates and a mask of the points
            in front of the camera, inside its field of view and inside the image. ``uv`` of a
            point that is not visible is meaningless.
        """
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        z = pts[:, 2]
        with np.errstate(divide='ignore', invalid='ignore'):
            in_front = np.isfinite(pts).all(axis=1) & (z > 1e-6)
            normalized = pts[:, :2] / z[:, None]
        if rectified:
            # einsum, not `@`: independent of BLAS threading on large point sets
            rect = np.einsum('nj,ij->ni', pts, self.r)
            with np.errstate(divide='ignore', invalid='ignore'):
                homog = np.einsum('nj,ij->ni', rect, self.p[:, :3]) + self.p[:, 3]
                uv = homog[:, :2] / homog[:, 2:3]
            in_front &= rect[:, 2] > 1e-6
        else:
            uv = np.zeros((pts.shape[0], 2))
            if in_front.any():
                uv[in_front] = self._distort(normalized[in_front])
            # Distortion polynomials fold back outside their calibrated range, which would put
            # points far outside the field of view into the image: keep only points whose
            # undistorted direction lies within the image's own undistorted border.
            lo, hi = self._normalized_bounds()
            in_front &= (normalized >= lo).all(axis=1) & (normalized <= hi).all(axis=1)
        # pixel (i, j) covers [i - 0.5, i + 0.5) x [j - 0.5, j + 0.5): see pixel_of
        inside = (
            (uv[:, 0] >= -0.5)
            & (uv[:, 0] < self.width - 0.5)
            & (uv[:, 1] >= -0.5)
            & (uv[:, 1] < self.height - 0.5)
        )
        return uv, in_front & inside

    @staticmethod
    def pixel_of(uv: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.intp]]:
        """The (column, row) of the pixel that contains each projected point.

        The convention of OpenCV and of CameraInfo's K: integer coordinates are pixel
        centres, so pixel (i, j) covers [i - 0.5, i + 0.5) x [j - 0.5, j + 0.5) and the
        point at ``uv`` lies in pixel ``floor(uv + 0.5)`` (not ``floor(uv)``, which is half a
        pixel off). :meth:`project` calls a point visible exactly when this pixel exists.
        """
        return np.floor(np.asarray(uv, dtype=np.float64) + 0.5).astype(np.intp)

    def _distort(self, normalized: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Map normalized image coordinates to raw pixels with K and D."""
        if not self.d.any():  # an ideal lens: K alone, no OpenCV round trip
            k = self.k
            out = np.empty_like(normalized)
            out[:, 0] = k[0, 0] * normalized[:, 0] + k[0, 1] * normalized[:, 1] + k[0, 2]
            out[:, 1] = k[1, 1] * normalized[:, 1] + k[1, 2]
            return out
        objects = np.hstack([normalized, np.ones((normalized.shape[0], 1))]).reshape(-1, 1, 3)
        zero = np.zeros(3)
        if self.is_fisheye:
            pixels, _ = cv2.fisheye.projectPoints(objects, zero, zero, self.k, self._d4())
        else:
            pixels, _ = cv2.projectPoints(
                objects, zero, zero, self.k, self.d if self.d.size else None
            )
        return np.asarray(pixels, dtype=np.float64).reshape(-1, 2)

    def _d4(self) -> np.ndarray[Any, Any]:
        return self.d[:4] if self.d.size else np.zeros(4)

    def _normalized_bounds(self) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Box of normalized coordinates that the raw image's border undistorts to."""
        if self._bounds is None:
            n = 64
            u = np.linspace(0, self.width - 1, n)
            v = np.linspace(0, self.height - 1, n)
            border = np.vstack(
                [
                    np.column_stack([u, np.zeros(n)]),
                    np.column_stack([u, np.full(n, self.height - 1.0)]),
                    np.column_stack([np.zeros(n), v]),
                    np.column_stack([np.full(n, self.width - 1.0), v]),
                ]
            ).reshape(-1, 1, 2)
            normalized = self.undistort_points(border.reshape(-1, 2))
            margin = 0.02 * (normalized.max(axis=0) - normalized.min(axis=0))
            self._bounds = np.stack(
                [normalized.min(axis=0) - margin, normalized.max(axis=0) + margin]
            )
        return self._bounds[0], self._bounds[1]

    def undistort_points(self, pixels: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Map raw pixels ``(N, 2)`` to normalized coordinates (x/z, y/z) of the optical frame."""
        src = np.asarray(pixels, dtype=np.float64).reshape(-1, 1, 2)
        if self.is_fisheye:
            out = cv2.fisheye.undistortPoints(src, self.k, self._d4())
        else:
            # more iterations than OpenCV's default 5, which leaves 1e-5 errors at the border
            d = self.d if self.d.size else None
            if hasattr(cv2, 'undistortPointsIter'):  # OpenCV 4
                out = cv2.undistortPointsIter(src, self.k, d, None, None, _UNDISTORT_CRITERIA)
            else:  # OpenCV 5 folded the criteria into undistortPoints
                out = cv2.undistortPoints(src, self.k, d, criteria=_UNDISTORT_CRITERIA)
        return np.asarray(out, dtype=np.float64).reshape(-1, 2)

    def rectify_image(
        self, image: np.ndarray[Any, Any], interpolation: int = cv2.INTER_LINEAR
    ) -> np.ndarray[Any, Any]:
        """Undistort (and rectify by R) a raw image into the rectified camera of P.

        The remap tables are computed once and reused.

        Raises:
            ImageError: the image does not have the camera's size.
        """
        if image.shape[:2] != (self.height, self.width):
            raise ImageError(
                'height/width', image.shape[:2], f'camera model is {self.height}x{self.width}'
            )
        if self._maps is None:
            size = (self.width, self.height)
            new_k = self.p[:, :3]
            if self.is_fisheye:
                self._maps = cv2.fisheye.initUndistortRectifyMap(
                    self.k, self._d4(), self.r, new_k, size, cv2.CV_16SC2
                )
            else:
                self._maps = cv2.initUndistortRectifyMap(
                    self.k, self.d if self.d.size else None, self.r, new_k, size, cv2.CV_16SC2
                )
        return cv2.remap(image, self._maps[0], self._maps[1], interpolation)
