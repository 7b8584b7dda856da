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

"""Views of the ``uint8[]`` fields of messages, whatever container they arrive in."""

from __future__ import annotations

from typing import Any

import numpy as np


def byte_view(data: Any) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """Return a 1-D uint8 view of ``data`` (bytes, array.array, ndarray), or a copy of a list.

    rclpy gives ``array.array('B')``, rosbags gives ndarrays; both are viewed without a copy.

    Raises:
        TypeError: ``data`` is not bytes-like nor a sequence of integers.
        ValueError: a list holds values outside 0..255, or the buffer is not one-dimensional.
    """
    try:
        buf = np.frombuffer(data, dtype=np.uint8)
    except (TypeError, ValueError, BufferError):
        values = np.asarray(data)
        if values.dtype.kind not in 'iu' or values.ndim != 1:
            raise TypeError(f'{type(data).__name__} is not a byte buffer') from None
        if values.size and (values.min() < 0 or values.max() > 255):
            raise ValueError('byte values must be in 0..255') from None
        buf = values.astype(np.uint8)
    return buf
