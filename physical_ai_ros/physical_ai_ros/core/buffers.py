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
