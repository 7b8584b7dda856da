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

"""The custom messages: one source of truth for ROS (rosidl) and offline (rosbags)."""

from __future__ import annotations

from pathlib import Path
import re
from typing import Any

import numpy as np

from physical_ai_ros.core.messages.stamps import make_header
from physical_ai_ros.interfaces_path import msg_files

INTERFACES = Path(__file__).resolve().parents[2] / 'physical_ai_ros_interfaces'


def test_every_msg_file_is_generated_by_cmake_and_registered_offline(types: Any) -> None:
    on_disk = sorted(p.name for p in (INTERFACES / 'msg').glob('*.msg'))
    cmake = (INTERFACES / 'CMakeLists.txt').read_text()
    assert sorted(re.findall(r'"msg/(\w+\.msg)"', cmake)) == on_disk
    assert sorted(Path(p).name for p in msg_files().values()) == on_disk
    for name in msg_files():
        assert types.get(name).__msgtype__ == name


def test_iot_reading_constants_and_cdr_roundtrip(types: Any) -> None:
    cls = types.get('physical_ai_ros_interfaces/msg/IotReading')
    assert (cls.STATUS_OK, cls.STATUS_WARN, cls.STATUS_ERROR, cls.STATUS_STALE) == (0, 1, 2, 3)
    msg = cls(
        header=make_header(42, 'oven', types), sensor_id='t7', quantity='temperature',
        value=81.5, unit='degC', variance=0.25, status=cls.STATUS_WARN,
    )  # fmt: skip
    back = types.deserialize(types.serialize(msg), 'physical_ai_ros_interfaces/msg/IotReading')
    assert (back.sensor_id, back.value, back.unit, back.status) == ('t7', 81.5, 'degC', 1)


def test_spatial_grid_cdr_roundtrip(types: Any) -> None:
    t = types.get
    data = np.arange(2 * 3 * 4, dtype=np.float32)
    msg = t('physical_ai_ros_interfaces/msg/SpatialGrid')(
        header=make_header(7, 'base_link', types),
        resolution=0.1,
        width=4,
        height=3,
        origin=t('geometry_msgs/msg/Pose')(
            position=t('geometry_msgs/msg/Point')(x=-0.2, y=-0.15, z=0.0),
            orientation=t('geometry_msgs/msg/Quaternion')(x=0.0, y=0.0, z=0.0, w=1.0),
        ),
        layers=['occupancy', 'height_max'],
        units=['1', 'm'],
        data=data,
    )
    back = types.deserialize(types.serialize(msg), 'physical_ai_ros_interfaces/msg/SpatialGrid')
    np.testing.assert_array_equal(back.data, data)
    assert back.layers == ['occupancy', 'height_max'] and back.width == 4
