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

"""PointCloud2 decoding and encoding: layouts, round-trips, malformed messages, real data."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
import numpy as np
import pytest

from physical_ai_ros.core.errors import PointCloudError
from physical_ai_ros.core.messages.pointcloud import (
    array_to_cloud,
    cloud_to_array,
    cloud_to_xyz,
    POINTFIELD_DTYPES,
)
from physical_ai_ros.core.messages.stamps import make_header

ALL_TYPES = np.dtype(
    {
        'names': ['x', 'y', 'z', 'i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'f64', 'rgb3'],
        'formats': ['<f4', '<f4', '<f4', 'i1', 'u1', '<i2', '<u2', '<i4', '<u4', '<f8', ('u1', 3)],
        'offsets': [0, 4, 8, 16, 17, 18, 20, 24, 28, 32, 40],
        'itemsize': 48,
    }
)


def ouster_like(n: int, seed: int = 0) -> np.ndarray[Any, Any]:
    """Points laid out as an Ouster driver publishes them (48 bytes with padding)."""
    dtype = np.dtype(
        {
            'names': ['x', 'y', 'z', 'intensity', 't', 'reflectivity', 'ring', 'range'],
            'formats': ['<f4', '<f4', '<f4', '<f4', '<u4', '<u2', '<u2', '<u4'],
            'offsets': [0, 4, 8, 16, 20, 24, 26, 32],
            'itemsize': 48,
        }
    )
    rng = np.random.default_rng(seed)
    points = np.zeros(n, dtype=dtype)
    for name in dtype.names or ():
        kind = dtype.fields[name][0]  # type: ignore[index]
        if kind.kind == 'f':
            points[name] = rng.uniform(-50, 50, n)
        else:
            points[name] = rng.integers(0, np.iinfo(kind).max, n, dtype=kind, endpoint=True)
    return points


def header(types: Any) -> Any:
    return make_header(1_700_000_000_123_456_789, 'lidar', types)


def test_roundtrip_every_datatype_with_padding_is_byte_exact(types: Any) -> None:
    points = np.zeros(7, dtype=ALL_TYPES)
    raw = points.view(np.uint8).reshape(7, 48)
    raw[:] = np.random.default_rng(1).integers(0, 256, raw.shape)  # padding bytes too
    msg = array_to_cloud(points, header(types), types)
    assert [f.datatype for f in msg.fields] == [7, 7, 7, 1, 2, 3, 4, 5, 6, 8, 2]
    assert msg.fields[-1].count == 3
    assert msg.point_step == 48 and msg.row_step == 48 * 7
    wire = types.deserialize(types.serialize(msg), 'sensor_msgs/msg/PointCloud2')
    decoded = cloud_to_array(wire)
    assert decoded.tobytes() == points.tobytes()
    assert decoded['rgb3'].shape == (7, 3)
    again = array_to_cloud(decoded, header(types), types)
    assert bytes(again.data) == bytes(msg.data)


def test_decode_is_zero_copy_for_unpadded_rows(types: Any) -> None:
    msg = array_to_cloud(ouster_like(100), header(types), types)
    points = cloud_to_array(msg)
    assert np.shares_memory(points, msg.data)


def test_big_endian_cloud_decodes_to_native_values() -> None:
    values = np.array(
        [(1.5, -2.0, 3.25, 70000)], dtype=[('x', '>f4'), ('y', '>f4'), ('z', '>f4'), ('n', '>u4')]
    )
    msg = SimpleNamespace(
        height=1,
        width=1,
        is_bigendian=True,
        point_step=16,
        row_step=16,
        fields=[
            SimpleNamespace(name=n, offset=4 * i, datatype=dt, count=1)
            for i, (n, dt) in enumerate([('x', 7), ('y', 7), ('z', 7), ('n', 6)])
        ],
        data=values.tobytes(),
    )
    points = cloud_to_array(msg)
    assert points.dtype['x'].isnative
    assert points['n'][0] == 70000
    np.testing.assert_array_equal(cloud_to_xyz(msg), [[1.5, -2.0, 3.25]])


def test_organized_cloud_with_row_padding_is_row_major() -> None:
    height, width, step = 3, 4, 12
    row_step = width * step + 5  # drivers align rows
    data = bytearray(height * row_step)
    for r in range(height):
        row = np.zeros(width, dtype=[('x', '<f4'), ('y', '<f4'), ('z', '<f4')])
        row['x'] = r * 10 + np.arange(width)
        data[r * row_step : r * row_step + width * step] = row.tobytes()
    msg = SimpleNamespace(
        height=height,
        width=width,
        is_bigendian=False,
        point_step=step,
        row_step=row_step,
        fields=[
            SimpleNamespace(name=a, offset=4 * i, datatype=7, count=1) for i, a in enumerate('xyz')
        ],
        data=bytes(data),
    )
    xyz = cloud_to_xyz(msg)
    assert xyz.shape == (12, 3)
    np.testing.assert_array_equal(xyz[:, 0], [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23])


def test_organized_array_builds_an_organized_cloud(types: Any) -> None:
    grid = ouster_like(8 * 16).reshape(8, 16)
    msg = array_to_cloud(grid, header(types), types)
    assert (msg.height, msg.width) == (8, 16)
    assert cloud_to_array(msg).tobytes() == grid.tobytes()


def test_nans_mark_cloud_not_dense_and_can_be_removed(types: Any) -> None:
    points = ouster_like(10)
    points['y'][[2, 5]] = np.nan
    points['z'][7] = np.inf
    msg = array_to_cloud(points, header(types), types)
    assert msg.is_dense is False
    assert cloud_to_xyz(msg).shape == (10, 3)
    assert cloud_to_xyz(msg, remove_nans=True).shape == (7, 3)
    assert array_to_cloud(ouster_like(3), header(types), types).is_dense is True


def test_xyz_fast_and_generic_paths_agree(types: Any) -> None:
    points = ouster_like(1000)
    fast = cloud_to_xyz(array_to_cloud(points, header(types), types))
    # float64 coordinates take the generic path
    wide = np.zeros(1000, dtype=[('z', '<f8'), ('x', '<f8'), ('y', '<f8')])
    for axis in 'xyz':
        wide[axis] = points[axis]
    generic = cloud_to_xyz(array_to_cloud(wide, header(types), types))
    assert fast.flags.c_contiguous and fast.dtype == np.float32
    np.testing.assert_array_equal(fast, generic)


def test_empty_cloud_decodes_to_empty_array(types: Any) -> None:
    msg = array_to_cloud(ouster_like(0), header(types), types)
    assert cloud_to_array(msg).shape == (0,)
    assert cloud_to_xyz(msg).shape == (0, 3)


def field(name: str = 'x', offset: int = 0, datatype: int = 7, count: int = 1) -> SimpleNamespace:
    return SimpleNamespace(name=name, offset=offset, datatype=datatype, count=count)


def cloud(**overrides: Any) -> SimpleNamespace:
    base: dict[str, Any] = {
        'height': 1,
        'width': 2,
        'is_bigendian': False,
        'point_step': 12,
        'row_step': 24,
        'fields': [field('x', 0), field('y', 4), field('z', 8)],
        'data': bytes(24),
    }
    base.update(overrides)
    return SimpleNamespace(**base)


@pytest.mark.parametrize(
    ('overrides', 'match'),
    [
        ({'data': bytes(23)}, r'data=.*23 bytes.*shorter than height\*row_step = 24'),
        (
            {'fields': [field('x', 4), field('y', 8), field('z', 10)]},
            r'fields\[2\]\.offset=10.*past point_step=12',
        ),
        (
            {'fields': [field('x', datatype=9)]},
            r'fields\[0\]\.datatype=9: unknown PointField datatype',
        ),
        ({'fields': [field('x', datatype=0)]}, r'fields\[0\]\.datatype=0'),
        ({'fields': [field('x', count=0)]}, r'fields\[0\]\.count=0: must be >= 1'),
        (
            {'fields': [field('x'), field('x', 4)]},
            r"fields\[1\]\.name='x': is used by another field",
        ),
        ({'fields': [field('')]}, r"fields\[0\]\.name='': must be a non-empty string"),
        ({'row_step': 20}, r'row_step=20: must be >= width\*point_step = 24'),
        ({'point_step': 0, 'fields': []}, r'point_step=0: must be > 0'),
        ({'height': -1}, r'height=-1: must be >= 0'),
        ({'width': 2.5}, r'width=2.5: must be an integer'),
        ({'data': 'not bytes'}, r'data=.*is not a byte buffer'),
    ],
)
def test_malformed_cloud_raises_typed_error_naming_field(
    overrides: dict[str, Any], match: str
) -> None:
    with pytest.raises(PointCloudError, match=match):
        cloud_to_array(cloud(**overrides))


def test_cloud_without_xyz_is_refused_by_cloud_to_xyz() -> None:
    msg = cloud(fields=[field('x'), field('intensity', 4)])
    with pytest.raises(PointCloudError, match=r'lacks y, z'):
        cloud_to_xyz(msg)


def test_array_to_cloud_refuses_types_pointfield_cannot_carry(types: Any) -> None:
    with pytest.raises(PointCloudError, match='has no PointField datatype'):
        array_to_cloud(np.zeros(2, dtype=[('x', '<f4'), ('t', '<i8')]), header(types), types)
    with pytest.raises(PointCloudError, match='structured array'):
        array_to_cloud(np.zeros((2, 3), np.float32), header(types), types)


# --- properties ---------------------------------------------------------------------------

_kinds = st.sampled_from(sorted(POINTFIELD_DTYPES))


@st.composite
def layouts(draw: st.DrawFn) -> np.dtype[Any]:
    n_fields = draw(st.integers(1, 6))
    names, formats, offsets = [], [], []
    offset = 0
    order = draw(st.sampled_from('<>'))
    for i in range(n_fields):
        base = POINTFIELD_DTYPES[draw(_kinds)].newbyteorder(order)
        count = draw(st.integers(1, 3))
        offset += draw(st.integers(0, 5))  # padding before the field
        names.append(f'f{i}')
        formats.append(base if count == 1 else (base, (count,)))
        offsets.append(offset)
        offset += base.itemsize * count
    itemsize = offset + draw(st.integers(0, 7))
    return np.dtype({'names': names, 'formats': formats, 'offsets': offsets, 'itemsize': itemsize})


@settings(max_examples=150, deadline=None)
@given(
    dtype=layouts(), n=st.integers(0, 40), rows=st.integers(1, 3), seed=st.integers(0, 2**32 - 1)
)
def test_property_build_then_decode_roundtrips_bytes(
    types: Any, dtype: np.dtype[Any], n: int, rows: int, seed: int
) -> None:
    points = np.zeros((rows, n), dtype=dtype)
    raw = points.view(np.uint8)
    raw[...] = np.random.default_rng(seed).integers(0, 256, raw.shape, dtype=np.uint8)
    msg = array_to_cloud(points, header(types), types)
    wire = types.deserialize(types.serialize(msg), 'sensor_msgs/msg/PointCloud2')
    decoded = cloud_to_array(wire)
    assert decoded.shape == (rows * n,)
    assert all(decoded.dtype[name].base.isnative for name in decoded.dtype.names or ())
    if dtype == dtype.newbyteorder('='):  # native layouts round-trip byte for byte
        assert decoded.tobytes() == points.reshape(-1).tobytes()
        assert bytes(array_to_cloud(decoded, header(types), types).data) == bytes(msg.data)
    for name in dtype.names or ():
        np.testing.assert_array_equal(decoded[name], points[name].reshape(decoded[name].shape))
    again = cloud_to_array(array_to_cloud(decoded, header(types), types))
    assert again.tobytes() == decoded.tobytes()


_garbage_fields = st.lists(
    st.builds(
        SimpleNamespace,
        name=st.one_of(st.text(max_size=3), st.integers(), st.none()),
        offset=st.one_of(st.integers(-4, 64), st.floats(allow_nan=True), st.none()),
        datatype=st.one_of(st.integers(-2, 12), st.booleans(), st.text(max_size=2)),
        count=st.one_of(st.integers(-2, 5), st.none()),
    ),
    max_size=5,
)


@settings(max_examples=400, deadline=None)
@given(
    height=st.integers(-2, 5),
    width=st.integers(-2, 9),
    point_step=st.integers(-2, 40),
    row_step=st.integers(-2, 200),
    big=st.booleans(),
    fields=_garbage_fields,
    data=st.one_of(
        st.binary(max_size=300),
        st.none(),
        st.integers(),
        st.lists(st.integers(-5, 300), max_size=10),
    ),
)
def test_property_garbage_raises_only_typed_errors(
    height: int,
    width: int,
    point_step: int,
    row_step: int,
    big: bool,
    fields: list[Any],
    data: Any,
) -> None:
    msg = SimpleNamespace(
        height=height, width=width, point_step=point_step, row_step=row_step,
        is_bigendian=big, fields=fields, data=data,
    )  # fmt: skip
    try:
        points = cloud_to_array(msg)
    except PointCloudError:
        return
    assert points.shape[0] == max(height, 0) * max(width, 0)


# --- real recordings ------------------------------------------------------------------------


@pytest.mark.real_data
def test_real_luminar_cloud_with_padding_gap_decodes(types: Any, real_data: Any) -> None:
    from rosbags.rosbag2 import Reader

    with Reader(real_data / 'luminar_lidar') as reader:
        connections = [c for c in reader.connections if c.topic == '/luminar_pointcloud']
        raw = [(c, data) for c, _, data in reader.messages(connections)]
    assert len(raw) == 5
    for connection, data in raw:
        msg = types.deserialize(data, connection.msgtype)
        points = cloud_to_array(msg)
        assert msg.point_step == 32
        assert [f.offset for f in msg.fields][:4] == [0, 4, 8, 16]  # gap at 12..16
        assert points.shape == (msg.width * msg.height,)
        assert 30_000 < points.shape[0] < 40_000
        xyz = cloud_to_xyz(msg, remove_nans=True)
        ranges = np.linalg.norm(xyz, axis=1)
        assert xyz.shape[0] > 0.9 * points.shape[0]
        assert 100.0 < ranges.max() < 300.0
        np.testing.assert_array_equal(
            xyz[:, 0], points['x'][np.isfinite(cloud_to_xyz(msg)).all(1)]
        )
        assert {'laser_id', 'intensity'} <= set(points.dtype.names or ())
