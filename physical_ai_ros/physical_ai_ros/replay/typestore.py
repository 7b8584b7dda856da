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

"""A rosbags type store with the ROS 2 standard types and this stack's own messages.

Offline code (replay, simulation, tests) builds and reads messages with it; its classes have
the same field names and CDR bytes as rclpy's, so core serves both.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from rosbags.typesys import get_types_from_msg, get_typestore, Stores
from rosbags.typesys.store import Typestore

from physical_ai_ros.core.errors import MessageTypeError
from physical_ai_ros.core.messages.msgtypes import split_type_name
from physical_ai_ros.interfaces_path import msg_files

Distro = Literal['humble', 'jazzy']
_STORES: dict[str, Stores] = {'humble': Stores.ROS2_HUMBLE, 'jazzy': Stores.ROS2_JAZZY}


def make_typestore(distro: Distro = 'jazzy') -> Typestore:
    """Return the standard type store of ``distro`` with the custom messages registered."""
    store = get_typestore(_STORES[distro])
    custom: dict[str, Any] = {}
    for name, path in msg_files().items():
        custom.update(get_types_from_msg(path.read_text(encoding='utf-8'), name))
    store.register(custom)
    return store


class TypestoreTypes:
    """:class:`~physical_ai_ros.core.messages.msgtypes.MessageTypes` over a rosbags type store."""

    def __init__(self, store: Typestore | None = None) -> None:
        self.store = store if store is not None else make_typestore()

    def get(self, name: str) -> Any:
        """Return the type store's dataclass for ``pkg/msg/Name``."""
        package, class_name = split_type_name(name)
        full = f'{package}/msg/{class_name}'
        try:
            return self.store.types[full]
        except KeyError:
            raise MessageTypeError(full, 'not in the type store') from None

    def array(self, values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Return a flat copy of ``values``, the type rosbags uses for numeric array fields."""
        return np.array(values, order='C').reshape(-1)

    def serialize(self, msg: Any) -> bytes:
        """Serialize a message to CDR bytes, as rclpy would publish it."""
        return bytes(self.store.serialize_cdr(msg, msg.__msgtype__))

    def deserialize(self, data: bytes, name: str) -> Any:
        """Deserialize CDR bytes of type ``name``."""
        return self.store.deserialize_cdr(data, name)
