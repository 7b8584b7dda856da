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

"""Zero-copy decoding and encoding of ``sensor_msgs/PointCloud2``.

A cloud's ``fields`` describe a C struct of ``point_step`` bytes; numpy describes the same
struct as a structured dtype with explicit offsets and itemsize. Decoding is therefore a view
over the message buffer whenever rows are not padded and the byte order is native — no per
point work at all. Padding between fields, row padding, big-endian data, organized clouds and
``count > 1`` fields are all handled by the same dtype.
"""

from __future__ import annotations

from collections.abc import Sequence
import sys
from typing import Any, Literal, Protocol

import numpy as np

from physical_ai_ros.core.errors import message_boundary, PointCloudError
from physical_ai_ros.core.messages.buffers import byte_view
from physical_ai_ros.core.messages.msgtypes import MessageTypes

#: ``sensor_msgs/PointField`` datatype constants and the numpy type each stands for.
POINTFIELD_DTYPES: dict[int, np.dtype[Any]] = {
    1: np.dtype(np.int8),
    2: np.dtype(np.uint8),
    3: np.dtype(np.int16),
    4: np.dtype(np.uint16),
    5: np.dtype(np.int32),
    6: np.dtype(np.uint32),
    7: np.dtype(np.float32),
    8: np.dtype(np.float64),
}
_DATATYPE_OF = {(dt.kind, dt.itemsize): code for code, dt in POINTFIELD_DTYPES.items()}
_HOST_BIG_ENDIAN = sys.byteorder == 'big'


class PointFieldLike(Protocol):
    """The fields of ``sensor_msgs/PointField`` that decoding reads."""

    name: str
    offset: int
    datatype: int
    count: int


class PointCloud2Like(Protocol):
    """The fields of ``sensor_msgs/PointCloud2`` that decoding reads."""

    height: int
    width: int
    fields: Sequence[PointFieldLike]
    is_bigendian: bool
    point_step: int
    row_step: int
    data: Any


def _as_int(field: str, value: Any, minimum: int = 0) -> int:
    """Return ``value`` as an int >= ``minimum`` or raise a PointCloudError naming ``field``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise PointCloudError(field, value, 'must be an integer')
    if value < minimum:
        raise PointCloudError(field, value, f'must be >= {minimum}')
    return int(value)


_LAYOUT_CACHE: dict[tuple[Any, ...], np.dtype[Any]] = {}
_LAYOUT_CACHE_SIZE = 64


def fields_to_dtype(
    fields: Sequence[PointFieldLike], point_step: int, is_bigendian: bool
) -> np.dtype[Any]:
    """Return the structured dtype that ``fields`` describe, ``point_step`` bytes per point.

    A sensor sends the same layout every frame, so validated layouts are cached.

    Raises:
        PointCloudError: a field has an unknown datatype, a bad count or name, a duplicate
            name, or ends past ``point_step``.
    """
    try:
        key = (
            tuple((f.name, f.offset, f.datatype, f.count) for f in fields),
            point_step,
            is_bigendian,
        )
        cached = _LAYOUT_CACHE.get(key)
    except TypeError:  # unhashable garbage: validate it the long way, which will refuse it
        key, cached = None, None
    if cached is not None:
        return cached
    dtype = _validated_dtype(fields, point_step, is_bigendian)
    if key is not None:
        if len(_LAYOUT_CACHE) >= _LAYOUT_CACHE_SIZE:
            _LAYOUT_CACHE.clear()
        _LAYOUT_CACHE[key] = dtype
    return dtype


def _validated_dtype(
    fields: Sequence[PointFieldLike], point_step: int, is_bigendian: bool
) -> np.dtype[Any]:
    order: Literal['<', '>'] = '>' if is_bigendian else '<'
    names: list[str] = []
    formats: list[Any] = []
    offsets: list[int] = []
    for i, field in enumerate(fields):
        name = field.name
        if not isinstance(name, str) or not name:
            raise PointCloudError(f'fields[{i}].name', name, 'must be a non-empty string')
        if name in names:
            raise PointCloudError(f'fields[{i}].name', name, 'is used by another field')
        datatype = field.datatype
        if isinstance(datatype, (bool, np.bool_)) or datatype not in POINTFIELD_DTYPES:
            raise PointCloudError(
                f'fields[{i}].datatype', datatype, 'unknown PointField datatype, expected 1..8'
            )
        count = _as_int(f'fields[{i}].count', field.count, minimum=1)
        offset = _as_int(f'fields[{i}].offset', field.offset)
        base = POINTFIELD_DTYPES[int(datatype)].newbyteorder(order)
        end = offset + base.itemsize * count
        if end > point_step:
            raise PointCloudError(
                f'fields[{i}].offset',
                offset,
                f'field {name!r} ends at byte {end}, past point_step={point_step}',
            )
        names.append(name)
        formats.append(base if count == 1 else (base, (count,)))
        offsets.append(offset)
    try:
        return np.dtype(
            {'names': names, 'formats': formats, 'offsets': offsets, 'itemsize': point_step}
        )
    except (ValueError, TypeError) as exc:  # e.g. a name numpy reserves
        raise PointCloudError('fields', names, f'not a valid point layout: {exc}') from exc


def _buffer(field: str, data: Any) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """Return a uint8 view of a message's ``uint8[]`` field, or a PointCloudError."""
    try:
        return byte_view(data)
    except (TypeError, ValueError) as exc:
        raise PointCloudError(field, type(data).__name__, f'is not a byte buffer ({exc})') from exc


@message_boundary(PointCloudError)
def cloud_to_array(msg: PointCloud2Like) -> np.ndarray[Any, np.dtype[Any]]:
    """Decode a PointCloud2 into a structured array, one record per point, row-major.

    Each PointField becomes a field of the same name (``count > 1`` as a sub-array); padding
    stays in the itemsize. The result is a read-only view of ``msg.data`` when rows are not
    padded and the data is in native byte order, otherwise a native-order copy.

    Raises:
        PointCloudError: the message does not describe the data it carries.
    """
    height = _as_int('height', msg.height)
    width = _as_int('width', msg.width)
    point_step = _as_int('point_step', msg.point_step)
    row_step = _as_int('row_step', msg.row_step)
    big = bool(msg.is_bigendian)
    dtype = fields_to_dtype(msg.fields, point_step, big)
    if height * width == 0:
        return np.zeros(0, dtype=dtype.newbyteorder('='))
    if point_step == 0:
        raise PointCloudError('point_step', point_step, 'must be > 0 for a non-empty cloud')
    if row_step < width * point_step:
        raise PointCloudError(
            'row_step', row_step, f'must be >= width*point_step = {width * point_step}'
        )
    buf = _buffer('data', msg.data)
    if buf.size < height * row_step:
        raise PointCloudError(
            'data', f'{buf.size} bytes', f'shorter than height*row_step = {height * row_step}'
        )
    if row_step == width * point_step:
        points = buf[: height * row_step].view(dtype)
    else:
        rows = np.ndarray((height, width), dtype=dtype, buffer=buf, strides=(row_step, point_step))
        points = rows.reshape(-1)  # copies, dropping the row padding
    if big != _HOST_BIG_ENDIAN:
        points = points.astype(dtype.newbyteorder('='))
    return points


@message_boundary(PointCloudError)
def cloud_to_xyz(msg: PointCloud2Like, *, remove_nans: bool = False) -> np.ndarray[Any, Any]:
    """Return the cloud's x, y, z as a contiguous ``(N, 3)`` float32 array.

    Args:
        msg: the cloud; it must have fields named ``x``, ``y`` and ``z``.
        remove_nans: drop points with a NaN or Inf coordinate (``is_dense=false`` clouds).

    Raises:
        PointCloudError: the message is malformed or lacks x, y or z.
    """
    points = cloud_to_array(msg)
    names = points.dtype.names or ()
    missing = [axis for axis in 'xyz' if axis not in names]
    if missing:
        raise PointCloudError('fields', list(names), f'lacks {", ".join(missing)}')
    # One strided column copy per axis: faster than copying an (N, 3) strided view, whose
    # innermost loop would be only three elements long (see bench/codecs.py).
    xyz = np.empty((points.shape[0], 3), dtype=np.float32)
    for column, axis in enumerate('xyz'):
        values = points[axis]
        if values.ndim != 1:
            raise PointCloudError('fields', axis, 'must have count 1')
        xyz[:, column] = values
    if remove_nans:
        xyz = xyz[np.isfinite(xyz).all(axis=1)]
    return xyz


def dtype_to_fields(dtype: np.dtype[Any], types: MessageTypes) -> list[Any]:
    """Return the ``sensor_msgs/PointField`` list that describes a structured dtype.

    Raises:
        PointCloudError: a field's type has no PointField datatype (e.g. int64, nested).
    """
    point_field = types.get('sensor_msgs/msg/PointField')
    out = []
    for name in dtype.names or ():
        field_type, offset = dtype.fields[name][:2]  # type: ignore[index]
        base, shape = field_type.base, field_type.shape
        code = _DATATYPE_OF.get((base.kind, base.itemsize))
        if code is None or base.fields is not None:
            raise PointCloudError(
                f'fields[{name!r}]', str(field_type), 'has no PointField datatype'
            )
        count = int(np.prod(shape)) if shape else 1
        out.append(point_field(name=name, offset=offset, datatype=code, count=count))
    return out


def array_to_cloud(
    points: np.ndarray[Any, Any],
    header: Any,
    types: MessageTypes,
    *,
    is_dense: bool | None = None,
) -> Any:
    """Build a PointCloud2 from a structured array (1-D, or 2-D for an organized cloud).

    The dtype's field names, offsets and itemsize become ``fields`` and ``point_step``, so
    ``cloud_to_array`` of the result gives back the same bytes.

    Args:
        points: structured array of points.
        header: the ``std_msgs/Header`` to stamp the cloud with.
        types: where the message classes come from.
        is_dense: whether every point is valid; computed from x, y, z when not given.

    Raises:
        PointCloudError: ``points`` is not a structured array of PointField types.
    """
    dtype = points.dtype
    if dtype.names is None:
        raise PointCloudError('fields', str(dtype), 'points must be a structured array')
    if points.ndim == 1:
        height, width = 1, points.shape[0]
    elif points.ndim == 2:
        height, width = points.shape
    else:
        raise PointCloudError('height', points.shape, 'points must be 1-D or 2-D')
    native = '>' if _HOST_BIG_ENDIAN else '<'
    orders = {
        native if order == '=' else order
        for order in (dtype.fields[n][0].base.byteorder for n in dtype.names)
        if order != '|'
    }
    if len(orders) > 1:  # mixed byte orders cannot be described: write all native
        dtype = dtype.newbyteorder('=')
        points = points.astype(dtype)
        orders = {native}
    big = orders == {'>'} if orders else _HOST_BIG_ENDIAN
    fields = dtype_to_fields(dtype, types)
    if is_dense is None:
        is_dense = _all_finite(points)
    data = np.ascontiguousarray(points).view(np.uint8).reshape(-1)
    return types.get('sensor_msgs/msg/PointCloud2')(
        header=header,
        height=height,
        width=width,
        fields=fields,
        is_bigendian=big,
        point_step=dtype.itemsize,
        row_step=dtype.itemsize * width,
        data=types.array(data),
        is_dense=is_dense,
    )


def _all_finite(points: np.ndarray[Any, Any]) -> bool:
    """Whether every float coordinate (x, y, z, or every float field without them) is finite."""
    names = points.dtype.names or ()
    coordinates = [n for n in 'xyz' if n in names] or list(names)
    for name in coordinates:
        values = points[name]
        if values.dtype.kind == 'f' and not np.isfinite(values).all():
            return False
    return True
