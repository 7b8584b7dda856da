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

"""diagnostic_msgs/DiagnosticArray built from the stages' states (for /diagnostics)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from physical_ai_ros.core.messages.msgtypes import MessageTypes
from physical_ai_ros.core.messages.stamps import make_header

OK, WARN, ERROR, STALE = 0, 1, 2, 3  # diagnostic_msgs/DiagnosticStatus levels
_LEVEL_NAMES = ('OK', 'WARN', 'ERROR', 'STALE')


def status(
    types: MessageTypes, name: str, level: int, message: str, values: Mapping[str, Any]
) -> Any:
    """One DiagnosticStatus; values become KeyValue strings (floats to 3 decimals)."""
    key_value = types.get('diagnostic_msgs/msg/KeyValue')
    cls = types.get('diagnostic_msgs/msg/DiagnosticStatus')
    return cls(
        # the class constant has the right Python type: bytes in rclpy, int in rosbags
        level=getattr(cls, _LEVEL_NAMES[level]),
        name=name,
        message=message,
        hardware_id='physical_ai_ros',
        values=[key_value(key=k, value=_text(v)) for k, v in values.items()],
    )


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f'{value:.3f}'
    return str(value)


def diagnostic_array(types: MessageTypes, stamp_ns: int, statuses: list[Any]) -> Any:
    """A DiagnosticArray stamped ``stamp_ns``."""
    return types.get('diagnostic_msgs/msg/DiagnosticArray')(
        header=make_header(stamp_ns, '', types), status=statuses
    )
