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

"""Messages of any shape, built by hand with wrong field types: only typed errors come out.

A seeded generator builds 100,000 message objects for the codecs' boundaries (PointCloud2,
Image, CompressedImage, CameraInfo, stamps, IoT readings): fields missing, of the wrong type
(strings for numbers, floats for ints, lists for bytes, None, huge or negative numbers), as
callers who build messages by hand get them wrong. Each decoder either returns or raises the
package's own :class:`~physical_ai_ros.core.errors.PhysicalAiError`; anything else (a
TypeError, AttributeError, OverflowError...) is a defect.
"""

from __future__ import annotations

import os
import random
from types import SimpleNamespace
from typing import Any

import numpy as np

from physical_ai_ros.core.errors import PhysicalAiError
from physical_ai_ros.core.messages.camera import PinholeCamera
from physical_ai_ros.core.messages.image import compressed_to_array, image_to_array
from physical_ai_ros.core.messages.pointcloud import cloud_to_xyz
from physical_ai_ros.core.messages.stamps import stamp_to_ns
from physical_ai_ros.core.perception.iot import reading_from_msg

#: messages per run; PHYSICAL_AI_FUZZ=1000000 for a longer one
MESSAGES = int(os.environ.get('PHYSICAL_AI_FUZZ', '100000'))


def anything(rng: random.Random) -> Any:
    """A value of a random, often wrong, type."""
    return rng.choice([
        None, -1, 0, 3, 2**40, -(2**70), 1.5, float('nan'), float('inf'), True, '', 'x', '12',
        b'', b'\x00' * rng.randrange(0, 64), [], [1, 2], [1.5, 'a'], {}, (1,),
        np.zeros(3, np.float32), np.array(['a']), SimpleNamespace(),
    ])  # fmt: skip


def stamp(rng: random.Random) -> Any:
    if rng.random() < 0.3:
        return anything(rng)
    return SimpleNamespace(sec=anything(rng) if rng.random() < 0.5 else 1,
                           nanosec=anything(rng) if rng.random() < 0.5 else 0)  # fmt: skip


def message(rng: random.Random, fields: dict[str, Any]) -> Any:
    """``fields`` with some replaced by anything and some left out."""
    out = {}
    for name, good in fields.items():
        roll = rng.random()
        if roll < 0.1:
            continue  # missing
        out[name] = anything(rng) if roll < 0.45 else good
    return SimpleNamespace(**out)


def cloud(rng: random.Random) -> Any:
    field = SimpleNamespace(name='x', offset=0, datatype=7, count=1)
    fields = [message(rng, vars(field)) for _ in range(rng.randrange(0, 4))]
    return message(rng, {'height': 1, 'width': 2, 'point_step': 12, 'row_step': 24,
                         'is_bigendian': False, 'fields': fields, 'data': bytes(24)})  # fmt: skip


def image(rng: random.Random) -> Any:
    return message(rng, {'height': 2, 'width': 2, 'encoding': 'rgb8', 'is_bigendian': 0,
                         'step': 6, 'data': bytes(12)})  # fmt: skip


def compressed(rng: random.Random) -> Any:
    return message(rng, {'format': 'jpeg', 'data': b'\xff\xd8\xff\xd9'})


def camera_info(rng: random.Random) -> Any:
    return message(rng, {'width': 4, 'height': 3, 'k': [1.0, 0, 2, 0, 1, 1.5, 0, 0, 1],
                         'd': [], 'distortion_model': 'plumb_bob', 'r': np.eye(3).ravel(),
                         'p': np.zeros(12), 'binning_x': 0, 'binning_y': 0,
                         'header': SimpleNamespace(frame_id='cam', stamp=stamp(rng)),
                         'roi': SimpleNamespace(x_offset=0, y_offset=0, width=0, height=0,
                                                do_rectify=False)})  # fmt: skip


def iot(rng: random.Random) -> Any:
    return message(rng, {'header': SimpleNamespace(stamp=stamp(rng), frame_id='f'),
                         'sensor_id': 's', 'quantity': 'temperature', 'value': 1.0,
                         'unit': 'degC', 'status': 0})  # fmt: skip


CASES = [
    (cloud, cloud_to_xyz),
    (image, image_to_array),
    (compressed, compressed_to_array),
    (camera_info, PinholeCamera.from_camera_info),
    (stamp, stamp_to_ns),
    (iot, reading_from_msg),
]


def test_messages_of_any_shape_raise_only_typed_errors() -> None:
    rng = random.Random(2026)
    untyped: dict[str, list[str]] = {}
    for k in range(MESSAGES):
        build, decode = CASES[k % len(CASES)]
        msg = build(rng)
        try:
            decode(msg)
        except PhysicalAiError:
            pass
        except Exception as exc:  # the defect this test exists for
            found = untyped.setdefault(decode.__name__, [])
            if len(found) < 3:
                fields = vars(msg) if isinstance(msg, SimpleNamespace) else msg
                found.append(f'{type(exc).__name__}: {exc} <- {fields!r}'[:300])
    assert untyped == {}, untyped
