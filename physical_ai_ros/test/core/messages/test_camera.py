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

"""PinholeCamera from CameraInfo: projection, undistortion, binning/ROI, bad calibrations."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from physical_ai_ros.core.errors import CameraInfoError, ImageError
from physical_ai_ros.core.messages.camera import PinholeCamera

FX, FY, CX, CY = 500.0, 480.0, 320.0, 240.0


def camera_info(**overrides: Any) -> SimpleNamespace:
    base: dict[str, Any] = {
        'header': SimpleNamespace(frame_id='cam_optical'),
        'width': 640,
        'height': 480,
        'distortion_model': 'plumb_bob',
        'd': [-0.2, 0.05, 0.001, -0.001, 0.0],
        'k': [FX, 0, CX, 0, FY, CY, 0, 0, 1],
        'r': [1, 0, 0, 0, 1, 0, 0, 0, 1],
        'p': [FX, 0, CX, 0, 0, FY, CY, 0, 0, 0, 1, 0],
        'binning_x': 0,
        'binning_y': 0,
        'roi': SimpleNamespace(x_offset=0, y_offset=0, width=0, height=0, do_rectify=False),
    }
    base.update(overrides)
    return SimpleNamespace(**base)


def test_optical_axis_projects_to_principal_point() -> None:
    camera = PinholeCamera.from_camera_info(camera_info())
    uv, visible = camera.project(np.array([[0.0, 0.0, 2.0], [0.1, -0.05, 1.0]]))
    np.testing.assert_allclose(uv[0], (CX, CY))
    assert visible.all()
    assert camera.frame_id == 'cam_optical'


def test_points_behind_or_beside_the_camera_are_not_visible() -> None:
    camera = PinholeCamera.from_camera_info(camera_info())
    points = np.array(
        [
            [0.0, 0.0, -2.0],  # behind
            [0.1, 0.1, -0.5],  # behind, would land in the image if z were ignored
            [10.0, 0.0, 1.0],  # far outside the field of view (distortion folds it back)
            [0.0, 0.0, 0.0],  # at the centre
            [np.nan, 0.0, 1.0],
            [0.2, 0.1, 1.0],  # visible
        ]
    )
    _, visible = camera.project(points)
    np.testing.assert_array_equal(visible, [False, False, False, False, False, True])


def test_distortion_roundtrips_through_undistort_points() -> None:
    camera = PinholeCamera.from_camera_info(camera_info())
    rng = np.random.default_rng(0)
    points = np.column_stack([rng.uniform(-0.5, 0.5, (200, 2)), np.ones(200)])
    uv, visible = camera.project(points)
    assert visible.all()
    np.testing.assert_allclose(camera.undistort_points(uv), points[:, :2], atol=1e-6)
    # barrel distortion (k1 < 0) pulls off-axis points towards the centre
    ideal = points[:, :2] * (FX, FY) + (CX, CY)
    assert (np.linalg.norm(uv - (CX, CY), axis=1) < np.linalg.norm(ideal - (CX, CY), axis=1)).all()


@pytest.mark.parametrize(
    ('model', 'd'),
    [
        ('rational_polynomial', [-0.3, 0.1, 0.001, 0.0, 0.0, 0.01, 0.02, 0.0]),
        ('equidistant', [0.05, -0.01, 0.002, 0.0]),
    ],
)
def test_other_distortion_models_roundtrip(model: str, d: list[float]) -> None:
    camera = PinholeCamera.from_camera_info(camera_info(distortion_model=model, d=d))
    points = np.array([[0.2, -0.1, 1.0], [-0.3, 0.25, 1.0], [0.0, 0.0, 1.0]])
    uv, visible = camera.project(points)
    assert visible.all()
    np.testing.assert_allclose(camera.undistort_points(uv), points[:, :2], atol=1e-5)


def test_rectified_projection_uses_p_and_r() -> None:
    p = [400.0, 0, 300, 0, 0, 400.0, 200, 0, 0, 0, 1, 0]
    camera = PinholeCamera.from_camera_info(camera_info(p=p))
    uv, visible = camera.project(np.array([[0.5, 0.25, 2.0]]), rectified=True)
    np.testing.assert_allclose(uv[0], (300 + 400 * 0.25, 200 + 400 * 0.125))
    assert visible[0]


def test_binning_and_roi_adjust_the_intrinsics() -> None:
    roi = SimpleNamespace(x_offset=100, y_offset=40, width=400, height=300, do_rectify=True)
    camera = PinholeCamera.from_camera_info(
        camera_info(binning_x=2, binning_y=2, roi=roi, d=[0.0] * 5)
    )
    assert (camera.width, camera.height) == (200, 150)
    np.testing.assert_allclose(camera.k[0], (FX / 2, 0, (CX - 100) / 2))
    np.testing.assert_allclose(camera.k[1], (0, FY / 2, (CY - 40) / 2))
    uv, visible = camera.project(np.array([[0.0, 0.0, 1.0]]))
    np.testing.assert_allclose(uv[0], ((CX - 100) / 2, (CY - 40) / 2))
    assert visible[0]


def test_zero_r_and_p_fall_back_to_identity_and_k() -> None:
    camera = PinholeCamera.from_camera_info(camera_info(r=[0.0] * 9, p=[0.0] * 12))
    np.testing.assert_array_equal(camera.r, np.eye(3))
    np.testing.assert_array_equal(camera.p[:, :3], camera.k)


def test_rectify_image_moves_a_mark_to_its_rectified_pixel() -> None:
    camera = PinholeCamera.from_camera_info(camera_info())
    point = np.array([[0.35, 0.25, 1.0]])
    raw_uv, _ = camera.project(point)
    rect_uv, _ = camera.project(point, rectified=True)
    image = np.zeros((480, 640), np.uint8)
    u, v = np.round(raw_uv[0]).astype(int)
    image[v - 3 : v + 4, u - 3 : u + 4] = 255
    rectified = camera.rectify_image(image)
    rows, cols = np.nonzero(rectified > 128)
    np.testing.assert_allclose((cols.mean(), rows.mean()), rect_uv[0], atol=1.0)
    assert np.linalg.norm(raw_uv[0] - rect_uv[0]) > 5  # the distortion was real
    with pytest.raises(ImageError, match='camera model is 480x640'):
        camera.rectify_image(np.zeros((10, 10), np.uint8))


@pytest.mark.parametrize(
    ('overrides', 'match'),
    [
        ({'k': [np.nan, 0, CX, 0, FY, CY, 0, 0, 1]}, r'k=\[nan.*must be finite'),
        ({'k': [0.0] * 9}, r'k=.*needs fx > 0'),
        ({'k': [1.0, 2.0]}, r'k=.*must have 9 values'),
        ({'d': [0.1, np.inf, 0, 0, 0]}, r'd=.*must be finite'),
        ({'d': [0.1, 0.2, 0.3]}, r"d=.*'plumb_bob' takes"),
        ({'distortion_model': 'kannala'}, r"distortion_model='kannala': expected one of"),
        ({'width': 0}, r'width/height=\(0, 480\): must be > 0'),
        ({'p': [np.inf] + [0.0] * 11}, r'p=.*must be finite'),
        ({'r': [1.0] * 8}, r'r=.*must have 9 values'),
        (
            {
                'roi': SimpleNamespace(
                    x_offset=600, y_offset=0, width=100, height=10, do_rectify=True
                )
            },
            r'roi=.*exceeds the 640x480 image',
        ),
    ],
)
def test_bad_calibration_raises_typed_error(overrides: dict[str, Any], match: str) -> None:
    with pytest.raises(CameraInfoError, match=match):
        PinholeCamera.from_camera_info(camera_info(**overrides))


@pytest.mark.real_data
def test_real_raspicam_camera_info(types: Any, real_data: Any) -> None:
    from rosbags.rosbag2 import Reader

    with Reader(real_data / 'raspicam_aruco') as reader:
        infos = [
            types.deserialize(data, c.msgtype)
            for c, _, data in reader.messages()
            if c.msgtype == 'sensor_msgs/msg/CameraInfo'
        ]
    camera = PinholeCamera.from_camera_info(infos[0])
    assert (camera.width, camera.height) == (1280, 960)
    assert camera.distortion_model == 'plumb_bob'
    np.testing.assert_allclose(camera.k[0, 0], 1014.3, atol=0.1)
    uv, visible = camera.project(np.array([[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]]))
    np.testing.assert_allclose(uv[0], (camera.k[0, 2], camera.k[1, 2]), atol=1e-6)
    np.testing.assert_array_equal(visible, [True, False])


def test_scaled_model_matches_a_reduced_decode() -> None:
    camera = PinholeCamera.from_camera_info(camera_info(d=[0.0] * 5))
    half = camera.scaled(2)
    assert (half.width, half.height) == (320, 240)
    point = np.array([[0.3, -0.2, 2.0]])
    full_uv, _ = camera.project(point)
    half_uv, visible = half.project(point)
    # a pixel of the half-size image averages 2x2 full pixels: centres at 2i + 0.5
    np.testing.assert_allclose(half_uv[0], (full_uv[0] - 0.5) / 2.0, atol=1e-9)
    assert visible[0] and camera.scaled(1) is camera
