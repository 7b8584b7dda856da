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

"""Camera fusion samples the pixel that contains a point's projection, as OpenCV projects it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import cv2
import numpy as np
import pytest

from physical_ai_ros.core.messages.camera import PinholeCamera
from physical_ai_ros.core.perception.fusion import CameraView, colour_points


def index_image(width: int, height: int) -> np.ndarray[Any, Any]:
    """An rgb8 image whose pixel (u, v) encodes u in red+green's low bits and v in blue+green."""
    v, u = np.mgrid[0:height, 0:width]
    rgb = np.stack([u % 256, (u // 256) * 16 + v // 256, v % 256], axis=-1)
    return rgb.astype(np.uint8)


def decode(rgb: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """(u, v) back from colours in 0..1 of :func:`index_image`."""
    c = np.rint(rgb * 255.0).astype(int)
    return np.stack([c[:, 0] + (c[:, 1] // 16) * 256, c[:, 2] + (c[:, 1] % 16) * 256], axis=-1)


def sampled_pixels(camera: PinholeCamera, points: np.ndarray[Any, Any]) -> Any:
    view = CameraView(camera, np.eye(4), index_image(camera.width, camera.height), 0)
    rgb, coloured = colour_points(points.astype(np.float32), [view])
    return decode(rgb), coloured


def ideal_camera(width: int = 64, height: int = 48) -> PinholeCamera:
    k = [50.0, 0, 31.5, 0, 50.0, 23.5, 0, 0, 1]
    return PinholeCamera.from_camera_info(SimpleNamespace(
        header=SimpleNamespace(frame_id='cam'), width=width, height=height,
        distortion_model='plumb_bob', d=[0.0] * 5, k=k, r=[1, 0, 0, 0, 1, 0, 0, 0, 1],
        p=[50.0, 0, 31.5, 0, 0, 50.0, 23.5, 0, 0, 0, 1, 0], binning_x=0, binning_y=0,
        roi=SimpleNamespace(x_offset=0, y_offset=0, width=0, height=0, do_rectify=False),
    ))  # fmt: skip


def test_a_point_takes_the_pixel_whose_centre_is_nearest() -> None:
    camera = ideal_camera()
    # u = 50 x / z + 31.5: x = 0.01 gives u = 32.0 (a centre), 0.019 gives 32.45, 0.021 32.55
    points = np.array([[0.01, 0.0, 1.0], [0.019, 0.0, 1.0], [0.021, 0.0, 1.0]])
    pixels, coloured = sampled_pixels(camera, points)
    assert coloured.all()
    np.testing.assert_array_equal(pixels[:, 0], [32, 32, 33])  # floor(u) gave 32, 32, 32


def test_the_image_border_is_half_a_pixel_outside_the_outer_centres() -> None:
    camera = ideal_camera()
    # u = -0.45 still lies in pixel 0, u = -0.55 outside; u = 63.45 in pixel 63, 63.55 outside
    points = np.array(
        [[-0.639, 0.0, 1.0], [-0.641, 0.0, 1.0], [0.639, 0.0, 1.0], [0.641, 0.0, 1.0]]
    )
    pixels, coloured = sampled_pixels(camera, points)
    np.testing.assert_array_equal(coloured, [True, False, True, False])
    assert pixels[0, 0] == 0 and pixels[2, 0] == 63


@pytest.mark.real_data
def test_sampling_agrees_with_cv2_project_points_on_a_real_calibration(
    types: Any, real_data: Any
) -> None:
    from rosbags.rosbag2 import Reader

    with Reader(real_data / 'raspicam_aruco') as reader:
        info = next(
            types.deserialize(data, c.msgtype)
            for c, _, data in reader.messages()
            if c.msgtype == 'sensor_msgs/msg/CameraInfo'
        )
    camera = PinholeCamera.from_camera_info(info)
    assert camera.d.any()  # a real lens: the distorted path, through OpenCV
    rng = np.random.default_rng(7)
    points = np.column_stack([rng.uniform(-0.5, 0.5, (2000, 2)), rng.uniform(1.0, 3.0, 2000)])
    uv, _ = cv2.projectPoints(points, np.zeros(3), np.zeros(3), camera.k, camera.d)
    uv = uv.reshape(-1, 2)
    expected = np.rint(uv).astype(int)  # the pixel whose centre is nearest
    inside = (
        (expected[:, 0] >= 0) & (expected[:, 0] < camera.width)
        & (expected[:, 1] >= 0) & (expected[:, 1] < camera.height)
    )  # fmt: skip
    pixels, coloured = sampled_pixels(camera, points)
    assert coloured.sum() > 1500
    # colour sampled where OpenCV projects, for every point both call inside the image
    both = coloured & inside
    np.testing.assert_array_equal(pixels[both], expected[both])
    assert (coloured == inside).mean() > 0.99  # edge cases: distortion bounds at the border
