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


"""Message classes without ROS: array fields are built in one copy, in each source's form."""

from __future__ import annotations

import array
from typing import Any

import numpy as np
import pytest

from physical_ai_ros.core.errors import MessageTypeError
from physical_ai_ros.core.messages.msgtypes import ImportedMessageTypes, split_type_name


@pytest.mark.parametrize(
    ('dtype', 'code'),
    [('<f4', 'f'), ('>f4', 'f'), ('<f8', 'd'), ('i1', 'b'), ('u1', 'B'), ('>i2', 'h')],
)
def test_rclpy_arrays_are_array_array_of_the_values_type(dtype: str, code: str) -> None:
    values = (
        np.array([1.0, -2.0, 3.0], dtype=dtype)
        if 'f' in dtype
        else np.array([1, 2, 3], dtype=dtype)
    )
    out = ImportedMessageTypes().array(values)
    assert isinstance(out, array.array) and out.typecode == code
    assert list(out) == values.tolist()  # byte order converted, values kept


def test_rclpy_array_is_a_copy_the_message_owns() -> None:
    values = np.zeros(4, np.float32)
    out = ImportedMessageTypes().array(values)
    values[:] = 7.0
    assert list(out) == [0.0] * 4


def test_typestore_array_is_a_flat_copy(types: Any) -> None:
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = types.array(values)
    values[:] = -1.0
    assert out.shape == (6,) and out.dtype == np.float32 and out.tolist() == list(range(6))


def test_a_type_without_an_array_code_is_refused() -> None:
    with pytest.raises(MessageTypeError, match='complex64'):
        ImportedMessageTypes().array(np.zeros(2, np.complex64))


def test_type_names_split_or_are_refused() -> None:
    assert split_type_name('sensor_msgs/msg/Image') == ('sensor_msgs', 'Image')
    with pytest.raises(MessageTypeError, match='package/msg/Name'):
        split_type_name('Image')
