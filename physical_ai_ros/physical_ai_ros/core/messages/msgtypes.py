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

"""Where message classes come from, so core can build messages without importing ROS.

Core reads messages by their ROS field names, which rclpy's generated classes and rosbags'
type-store dataclasses share. To *build* a message, core asks a :class:`MessageTypes` for the
class by its full ROS name (``sensor_msgs/msg/PointCloud2``). A node passes
:class:`ImportedMessageTypes` (rclpy's generated modules); offline code passes the rosbags
type store wrapper from :mod:`physical_ai_ros.replay.typestore`.
"""

from __future__ import annotations

import array
import importlib
from typing import Any, Protocol

import numpy as np

from physical_ai_ros.core.errors import MessageTypeError


class MessageTypes(Protocol):
    """A source of message classes addressed by full ROS type name."""

    def get(self, name: str) -> Any:
        """Return the message class for ``name`` (e.g. ``std_msgs/msg/Header``).

        Raises:
            MessageTypeError: the type is unknown to this source.
        """

    def array(self, values: np.ndarray) -> Any:
        """Return a copy of ``values`` in the form the message classes take for an array field.

        The message owns the copy (the caller may reuse ``values``). One copy, never element
        by element: a multi-MB ``uint8[]`` or ``float32[]`` field must not cost a Python loop
        per value.
        """


def split_type_name(name: str) -> tuple[str, str]:
    """Split ``pkg/msg/Name`` (or ``pkg/Name``) into package and class name.

    Raises:
        MessageTypeError: the name is not of that form.
    """
    parts = name.split('/')
    if len(parts) == 3 and parts[1] == 'msg' and all(parts):
        return parts[0], parts[2]
    if len(parts) == 2 and all(parts):
        return parts[0], parts[1]
    raise MessageTypeError(name, "expected 'package/msg/Name'")


class ImportedMessageTypes:
    """Message classes from the Python modules that rosidl generates (rclpy's messages).

    Used by the nodes; importing ``sensor_msgs.msg`` needs a sourced ROS 2 workspace.
    """

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        """Return the generated class ``<pkg>.msg.<Name>``."""
        cls = self._cache.get(name)
        if cls is None:
            package, class_name = split_type_name(name)
            try:
                module = importlib.import_module(f'{package}.msg')
                cls = getattr(module, class_name)
            except (ImportError, AttributeError) as exc:
                raise MessageTypeError(name, f'cannot import it: {exc}') from exc
            self._cache[name] = cls
        return cls

    def array(self, values: np.ndarray) -> Any:
        """Return an ``array.array`` of the values' type, which rclpy's setters take as is.

        rclpy checks any other sequence value by value in Python (seconds for a 4 MB cloud).
        """
        code = _TYPECODES.get(values.dtype.newbyteorder('=').str[1:])
        if code is None:
            raise MessageTypeError(str(values.dtype), 'no array.array type code for it')
        native = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder('='))
        out = array.array(code)
        out.frombytes(native.view(np.uint8).reshape(-1).data)  # one memcpy
        return out


#: array.array type codes of numpy's fixed-size numeric types, as rosidl's Python uses them.
_TYPECODES = {
    'u1': 'B', 'i1': 'b', 'u2': 'H', 'i2': 'h', 'u4': 'I', 'i4': 'i', 'u8': 'Q', 'i8': 'q',
    'f4': 'f', 'f8': 'd',
}  # fmt: skip
