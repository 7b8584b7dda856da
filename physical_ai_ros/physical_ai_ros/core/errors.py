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

"""Typed errors raised by core.

Every error carries what a person needs to fix the input: which message type and field, the
offending value, and what was expected. Nodes turn them into throttled log lines, diagnostics
and, where actuation is concerned, a stop.
"""

from __future__ import annotations

from collections.abc import Callable
import functools
from typing import Any, TypeVar


class PhysicalAiError(Exception):
    """Base class of every error raised by physical_ai_ros."""


def _short(value: Any) -> str:
    """Render a value for an error message, cut to a readable length."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + '...'


class MessageFormatError(PhysicalAiError, ValueError):
    """A message does not describe valid data.

    Attributes:
        msg_type: ROS type name of the message, e.g. ``sensor_msgs/msg/PointCloud2``.
        field: the offending field, dotted for nested ones (``fields[2].datatype``).
        value: the offending value.
        reason: what was expected instead.
    """

    def __init__(self, msg_type: str, field: str, value: Any, reason: str) -> None:
        self.msg_type = msg_type
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f'{msg_type}: {field}={_short(value)}: {reason}')


class PointCloudError(MessageFormatError):
    """A sensor_msgs/PointCloud2 is malformed."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        super().__init__('sensor_msgs/msg/PointCloud2', field, value, reason)


class ImageError(MessageFormatError):
    """A sensor_msgs/Image is malformed or has an unsupported encoding."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        super().__init__('sensor_msgs/msg/Image', field, value, reason)


class CompressedImageError(MessageFormatError):
    """A sensor_msgs/CompressedImage cannot be decoded."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        super().__init__('sensor_msgs/msg/CompressedImage', field, value, reason)


class CameraInfoError(MessageFormatError):
    """A sensor_msgs/CameraInfo does not describe a usable camera."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        super().__init__('sensor_msgs/msg/CameraInfo', field, value, reason)


class IotReadingError(MessageFormatError):
    """An IoT reading (IotReading, or a sensor_msgs scalar) cannot be read."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        super().__init__('physical_ai_ros_interfaces/msg/IotReading', field, value, reason)


class StampError(MessageFormatError):
    """A builtin_interfaces/Time is out of range."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        super().__init__('builtin_interfaces/msg/Time', field, value, reason)


#: What a hand-built message with a missing or wrongly typed field makes Python raise.
_FIELD_ERRORS = (AttributeError, TypeError, ValueError, OverflowError, KeyError, IndexError)
F = TypeVar('F', bound=Callable[..., Any])


def message_boundary(error: Callable[[str, Any, str], MessageFormatError]) -> Callable[[F], F]:
    """Decorate a decoder so that a message it cannot read raises ``error``, never an untyped one.

    ROS and rosbags messages have typed fields; a message built by hand may miss one or hold
    a string where a number goes. The decoders check what they can name (and raise ``error``
    with the field); whatever else Python trips on while reading the message's fields
    (AttributeError, TypeError, OverflowError ...) becomes ``error`` too, naming it.
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except PhysicalAiError:
                raise
            except _FIELD_ERRORS as exc:
                raise error(
                    '<fields>',
                    type(args[0]).__name__ if args else None,
                    f'a field is missing or of the wrong type ({type(exc).__name__}: '
                    f'{str(exc)[:120]})',
                ) from exc

        return checked  # type: ignore[return-value]

    return decorate


class MessageTypeError(PhysicalAiError, LookupError):
    """A message type is unknown to the type source that was asked for it."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f'message type {name!r}: {reason}')


class ContractError(PhysicalAiError, ValueError):
    """A policy contract is invalid, or does not fit its model.

    Attributes:
        where: the contract entry or model tensor concerned, e.g. ``inputs[1].layers``.
    """

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f'policy contract: {where}: {reason}')


class ModelError(PhysicalAiError):
    """A model file cannot be used (missing, unreadable, wrong checksum, fails to run)."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f'model {path}: {reason}')


class PolicyInputError(PhysicalAiError, ValueError):
    """An observation the contract needs is missing or malformed."""

    def __init__(self, tensor: str, reason: str) -> None:
        self.tensor = tensor
        self.reason = reason
        super().__init__(f'policy input {tensor!r}: {reason}')
