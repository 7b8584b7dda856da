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

"""Image and CompressedImage codecs: every encoding, padding, conversions, corrupt data."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace
from typing import Any

import cv2
from hypothesis import given, settings
from hypothesis import strategies as st
import numpy as np
import pytest

from physical_ai_ros.core.errors import CompressedImageError, ImageError
from physical_ai_ros.core.messages.image import (
    array_to_compressed,
    array_to_image,
    compressed_size,
    compressed_to_array,
    convert_encoding,
    encoding_spec,
    image_to_array,
    parse_compressed_format,
)
from physical_ai_ros.core.messages.stamps import make_header

ENCODINGS = [
    'rgb8', 'bgr8', 'rgba8', 'bgra8', 'mono8', 'mono16', '8UC1', '8UC2', '8UC3', '8UC4',
    '16UC1', '16SC1', '32FC1', '64FC1', 'bayer_rggb8', 'bayer_bggr8', 'bayer_gbrg8',
    'bayer_grbg8', 'bayer_rggb16', 'bayer_bggr16', 'bayer_gbrg16', 'bayer_grbg16', 'yuv422',
    'uyvy', 'yuyv', 'yuv422_yuy2',
]  # fmt: skip


def random_pixels(
    encoding: str, height: int = 6, width: int = 8, seed: int = 0
) -> np.ndarray[Any, Any]:
    spec = encoding_spec(encoding)
    shape = (height, width) if spec.channels == 1 else (height, width, spec.channels)
    rng = np.random.default_rng(seed)
    if spec.dtype.kind == 'f':
        return rng.normal(0, 100, shape).astype(spec.dtype)
    info = np.iinfo(spec.dtype)
    return rng.integers(info.min, info.max, shape, dtype=spec.dtype, endpoint=True)


def header(types: Any) -> Any:
    return make_header(5, 'camera_optical', types)


@pytest.mark.parametrize('encoding', ENCODINGS)
def test_roundtrip_every_encoding(types: Any, encoding: str) -> None:
    pixels = random_pixels(encoding)
    msg = array_to_image(pixels, encoding, header(types), types)
    wire = types.deserialize(types.serialize(msg), 'sensor_msgs/msg/Image')
    decoded = image_to_array(wire)
    np.testing.assert_array_equal(decoded, pixels)
    assert decoded.dtype == pixels.dtype
    assert bytes(array_to_image(decoded, encoding, header(types), types).data) == bytes(msg.data)


def raw_image(
    pixels: np.ndarray[Any, Any], encoding: str, step: int, big: bool = False
) -> SimpleNamespace:
    height, width = pixels.shape[:2]
    row_bytes = pixels[0].size * pixels.dtype.itemsize
    data = bytearray(height * step)
    swapped = pixels.astype(pixels.dtype.newbyteorder('>')) if big else pixels
    for r in range(height):
        data[r * step : r * step + row_bytes] = swapped[r].tobytes()
    return SimpleNamespace(
        height=height,
        width=width,
        encoding=encoding,
        is_bigendian=int(big),
        step=step,
        data=bytes(data),
    )


def test_step_padding_is_skipped() -> None:
    pixels = random_pixels('rgb8', 5, 7)
    msg = raw_image(pixels, 'rgb8', step=7 * 3 + 11)
    decoded = image_to_array(msg)
    np.testing.assert_array_equal(decoded, pixels)
    assert np.shares_memory(decoded, np.frombuffer(msg.data, np.uint8))  # a view, no copy


@pytest.mark.parametrize('encoding', ['mono16', '16UC1', '16SC1', 'bayer_rggb16', '32FC1'])
def test_big_endian_pixels_decode_to_native_values(encoding: str) -> None:
    pixels = random_pixels(encoding, 4, 6, seed=3)
    msg = raw_image(pixels, encoding, step=6 * pixels.dtype.itemsize + 2, big=True)
    decoded = image_to_array(msg)
    assert decoded.dtype.isnative
    np.testing.assert_array_equal(decoded, pixels)


def mosaic(rgb: np.ndarray[Any, Any], pattern: str) -> np.ndarray[Any, Any]:
    """Sample an RGB image through a Bayer colour filter of ``pattern`` (e.g. 'rggb')."""
    channel = {'r': 0, 'g': 1, 'b': 2}
    out = np.zeros(rgb.shape[:2], rgb.dtype)
    for k, colour in enumerate(pattern):
        dy, dx = divmod(k, 2)
        out[dy::2, dx::2] = rgb[dy::2, dx::2, channel[colour]]
    return out


@pytest.mark.parametrize('pattern', ['rggb', 'bggr', 'gbrg', 'grbg'])
def test_bayer_demosaics_to_the_scene_colour(pattern: str) -> None:
    rgb = np.zeros((16, 16, 3), np.uint8)
    rgb[:, :8] = (200, 30, 10)  # red left half
    rgb[:, 8:] = (10, 40, 220)  # blue right half
    out = convert_encoding(mosaic(rgb, pattern), f'bayer_{pattern}8', 'rgb8')
    np.testing.assert_allclose(out[4:12, 2:6].reshape(-1, 3).mean(0), (200, 30, 10), atol=3)
    np.testing.assert_allclose(out[4:12, 10:14].reshape(-1, 3).mean(0), (10, 40, 220), atol=3)
    wide = convert_encoding(
        mosaic(rgb.astype(np.uint16) * 256, pattern), f'bayer_{pattern}16', 'bgr8'
    )
    np.testing.assert_allclose(wide[4:12, 2:6].reshape(-1, 3).mean(0), (10, 30, 200), atol=3)


def test_packed_yuv_converts_in_both_byte_orders() -> None:
    y, u, v = 120, 90, 200  # a reddish colour
    uyvy = np.tile(np.array([[u, y], [v, y]], np.uint8), (4, 4, 1))  # (4, 8, 2)
    yuyv = np.tile(np.array([[y, u], [y, v]], np.uint8), (4, 4, 1))
    a = convert_encoding(uyvy, 'yuv422', 'rgb8')
    b = convert_encoding(yuyv, 'yuv422_yuy2', 'rgb8')
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(convert_encoding(uyvy, 'uyvy', 'rgb8'), a)
    red, green, blue = a[0, 0].astype(int)
    assert red > green and red > blue
    assert convert_encoding(uyvy, 'uyvy', 'mono8').shape == (4, 8)


def test_model_conversions_between_colour_orders() -> None:
    rgb = random_pixels('rgb8')
    np.testing.assert_array_equal(convert_encoding(rgb, 'rgb8', 'bgr8'), rgb[:, :, ::-1])
    np.testing.assert_array_equal(convert_encoding(rgb[:, :, ::-1].copy(), '8UC3', 'rgb8'), rgb)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 7, np.uint8)])
    np.testing.assert_array_equal(convert_encoding(rgba, 'rgba8', 'rgb8'), rgb)
    assert convert_encoding(random_pixels('mono8'), 'mono8', 'rgb8').shape == (6, 8, 3)
    gray = convert_encoding(np.full((2, 2, 3), 100, np.uint8), 'bgr8', 'mono8')
    np.testing.assert_array_equal(gray, np.full((2, 2), 100))


@pytest.mark.parametrize(
    ('encoding', 'target', 'match'),
    [
        ('32FC1', 'mono8', 'cannot be converted to mono8'),
        ('16SC1', 'rgb8', 'cannot be converted to rgb8'),
        ('rgb8', 'hsv', r"desired_encoding='hsv'"),
    ],
)
def test_impossible_conversions_are_refused(encoding: str, target: str, match: str) -> None:
    with pytest.raises(ImageError, match=match):
        convert_encoding(random_pixels(encoding), encoding, target)


def image(**overrides: Any) -> SimpleNamespace:
    base: dict[str, Any] = {'height': 2, 'width': 3, 'encoding': 'rgb8', 'is_bigendian': 0}
    base.update(step=9, data=bytes(18))
    base.update(overrides)
    return SimpleNamespace(**base)


@pytest.mark.parametrize(
    ('overrides', 'match'),
    [
        ({'encoding': 'rgb9'}, r"encoding='rgb9': unsupported"),
        ({'encoding': ''}, r"encoding='': unsupported"),
        ({'step': 8}, r'step=8: must be >= width\*bytes_per_pixel = 3\*3'),
        ({'data': bytes(17)}, r'data=.*17 bytes.*shorter than height\*step = 18'),
        (
            {'encoding': 'yuv422', 'step': 6, 'data': bytes(12)},
            r'width=3: must be even for yuv422',
        ),
        ({'height': -2}, r'height=-2: must be >= 0'),
        ({'width': None}, r'width=None: must be an integer'),
        ({'data': object()}, r'data=.*is not a byte buffer'),
    ],
)
def test_malformed_image_raises_typed_error(overrides: dict[str, Any], match: str) -> None:
    with pytest.raises(ImageError, match=match):
        image_to_array(image(**overrides))


def test_array_that_does_not_fit_encoding_is_refused(types: Any) -> None:
    with pytest.raises(ImageError, match=r'needs 3 channel\(s\) of uint8'):
        array_to_image(np.zeros((2, 2), np.uint8), 'rgb8', header(types), types)
    with pytest.raises(ImageError, match=r'needs 1 channel\(s\) of uint16'):
        array_to_image(np.zeros((2, 2), np.uint8), 'mono16', header(types), types)


@settings(max_examples=300, deadline=None)
@given(
    height=st.integers(-1, 6),
    width=st.integers(-1, 6),
    step=st.integers(-1, 40),
    encoding=st.sampled_from([*ENCODINGS, 'jpeg', '8UC5', 'rgb', '']),
    big=st.integers(0, 2),
    data=st.one_of(st.binary(max_size=200), st.none(), st.text(max_size=5)),
)
def test_property_garbage_images_raise_only_typed_errors(
    height: int, width: int, step: int, encoding: str, big: int, data: Any
) -> None:
    msg = SimpleNamespace(
        height=height, width=width, encoding=encoding, is_bigendian=big, step=step, data=data
    )
    try:
        pixels = image_to_array(msg)
    except ImageError:
        return
    assert pixels.shape[:2] == (height, width)


# --- compressed -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('fmt', 'codec', 'original', 'depth'),
    [
        ('jpeg', 'jpeg', None, False),
        ('jpg', 'jpeg', None, False),
        ('PNG', 'png', None, False),
        ('rgb8; jpeg compressed bgr8', 'jpeg', 'rgb8', False),
        ('mono16; png compressed mono16', 'png', 'mono16', False),
        ('16UC1; compressedDepth png', 'png', '16UC1', True),
        ('32FC1; compressedDepth', None, None, None),
        ('theora', None, None, None),
    ],
)
def test_format_strings_as_image_transport_writes_them(
    fmt: str, codec: str | None, original: str | None, depth: bool | None
) -> None:
    if codec is None:
        with pytest.raises(CompressedImageError, match='names no supported codec'):
            parse_compressed_format(fmt)
        return
    parsed = parse_compressed_format(fmt)
    assert (parsed.codec, parsed.original_encoding, parsed.depth) == (codec, original, depth)


def smooth_rgb(height: int = 48, width: int = 64) -> np.ndarray[Any, Any]:
    yy, xx = np.mgrid[0:height, 0:width]
    return np.dstack([xx * 4, yy * 5, (xx + yy) * 2]).astype(np.uint8)


def test_jpeg_roundtrip_keeps_the_picture(types: Any) -> None:
    rgb = smooth_rgb()
    msg = array_to_compressed(rgb, 'jpeg', header(types), types, encoding='rgb8', quality=95)
    assert msg.format == 'rgb8; jpeg compressed bgr8'
    wire = types.deserialize(types.serialize(msg), 'sensor_msgs/msg/CompressedImage')
    bgr = compressed_to_array(wire)
    assert bgr.shape == (48, 64, 3)
    assert np.abs(bgr[:, :, ::-1].astype(int) - rgb).mean() < 2.0
    assert np.abs(compressed_to_array(wire, 'rgb8').astype(int) - rgb).mean() < 2.0


@pytest.mark.parametrize('encoding', ['bgr8', 'rgb8', 'mono8', 'mono16', 'bgra8'])
def test_png_roundtrip_is_exact(types: Any, encoding: str) -> None:
    pixels = random_pixels(encoding, 9, 11)
    msg = array_to_compressed(pixels, 'png', header(types), types, encoding=encoding)
    decoded = compressed_to_array(msg)
    expected = pixels[:, :, ::-1] if encoding == 'rgb8' else pixels
    np.testing.assert_array_equal(decoded, expected)


def test_compressed_depth_png_decodes_16uc1_and_32fc1() -> None:
    depth_mm = np.array([[0, 1000, 2500], [65535, 7, 300]], np.uint16)
    _, png = cv2.imencode('.png', depth_mm)
    header_bytes = np.array([0], '<i4').tobytes() + np.array([0.0, 0.0], '<f4').tobytes()
    msg = SimpleNamespace(format='16UC1; compressedDepth png', data=header_bytes + png.tobytes())
    np.testing.assert_array_equal(compressed_to_array(msg), depth_mm)
    # 32FC1: inverse depth quantised as q = A / depth + B (compressed_depth_image_transport)
    quant_a, quant_b = 100.0, 10.0
    metres = np.array([[1.0, 2.0], [0.0, 5.0]], np.float32)
    quantized = np.where(metres > 0, quant_a / np.where(metres > 0, metres, 1) + quant_b, 0)
    _, png = cv2.imencode('.png', quantized.astype(np.uint16))
    header_bytes = np.array([0], '<i4').tobytes() + np.array([quant_a, quant_b], '<f4').tobytes()
    msg = SimpleNamespace(format='32FC1; compressedDepth png', data=header_bytes + png.tobytes())
    decoded = compressed_to_array(msg)
    np.testing.assert_allclose(decoded[[0, 0, 1], [0, 1, 1]], [1.0, 2.0, 5.0], rtol=1e-6)
    assert np.isnan(decoded[1, 0])


def test_corrupt_and_truncated_jpeg_are_refused(types: Any) -> None:
    good = array_to_compressed(smooth_rgb(), 'jpeg', header(types), types)
    data = bytes(good.data)
    with pytest.raises(CompressedImageError, match='truncated'):
        compressed_to_array(SimpleNamespace(format='jpeg', data=data[: len(data) // 2]))
    with pytest.raises(CompressedImageError, match='not a decodable jpeg image'):
        compressed_to_array(SimpleNamespace(format='jpeg', data=b'\x00' * 100))
    # a mislabelled but intact stream decodes: the bytes, not the label, say what it is
    assert compressed_to_array(SimpleNamespace(format='png', data=data)).shape == (48, 64, 3)
    png = bytearray(array_to_compressed(smooth_rgb(), 'png', header(types), types).data)
    with pytest.raises(CompressedImageError, match=r'PNG stream is truncated \(no IEND'):
        compressed_to_array(SimpleNamespace(format='png', data=bytes(png[:-20])))
    with pytest.raises(CompressedImageError, match='does not start with IHDR'):
        compressed_to_array(SimpleNamespace(format='png', data=bytes(png[:8]) + bytes(200)))
    png[60] ^= 0xFF  # inside IDAT: the chunk's CRC no longer matches
    with pytest.raises(CompressedImageError, match='not a decodable png image'):
        compressed_to_array(SimpleNamespace(format='png', data=bytes(png)))
    with pytest.raises(CompressedImageError, match='JPEG cannot carry mono16'):
        array_to_compressed(
            random_pixels('mono16'), 'jpeg', header(types), types, encoding='mono16'
        )


@settings(max_examples=200, deadline=None)
@given(
    fmt=st.sampled_from(
        ['jpeg', 'png', 'rgb8; jpeg compressed bgr8', '16UC1; compressedDepth png', 'x']
    ),
    data=st.binary(max_size=400),
    prefix=st.sampled_from([b'', b'\xff\xd8\xff\xe0', b'\x89PNG\r\n\x1a\n']),
)
def test_property_garbage_compressed_raises_only_typed_errors(
    fmt: str, data: bytes, prefix: bytes
) -> None:
    with contextlib.suppress(CompressedImageError):
        compressed_to_array(SimpleNamespace(format=fmt, data=prefix + data))


@pytest.mark.real_data
def test_real_raspicam_jpeg_decodes(types: Any, real_data: Any) -> None:
    from rosbags.rosbag2 import Reader

    with Reader(real_data / 'raspicam_aruco') as reader:
        images = [
            types.deserialize(data, c.msgtype)
            for c, _, data in reader.messages()
            if c.msgtype == 'sensor_msgs/msg/CompressedImage'
        ]
    assert len(images) == 1
    assert parse_compressed_format(images[0].format).codec == 'jpeg'
    bgr = compressed_to_array(images[0])
    assert bgr.shape == (960, 1280, 3) and bgr.dtype == np.uint8
    assert 20 < bgr.mean() < 235 and bgr.std() > 10  # a real picture, not a flat fill
    assert compressed_to_array(images[0], 'mono8').shape == (960, 1280)


def _png_with_size(width: int, height: int) -> bytes:
    """A tiny real PNG whose IHDR is rewritten to claim another size (CRC fixed up)."""
    import zlib

    _, encoded = cv2.imencode('.png', np.zeros((4, 4), np.uint8))
    data = bytearray(encoded.tobytes())
    data[16:24] = width.to_bytes(4, 'big') + height.to_bytes(4, 'big')
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, 'big')
    return bytes(data)


@pytest.mark.parametrize(('width', 'height'), [(32000, 32000), (0, 10)])
def test_a_header_claiming_a_huge_or_empty_image_is_refused_before_decoding(
    types: Any, width: int, height: int
) -> None:
    msg = types.get('sensor_msgs/msg/CompressedImage')(
        header=make_header(0, 'cam', types),
        format='png',
        data=np.frombuffer(_png_with_size(width, height), np.uint8),
    )
    with pytest.raises(CompressedImageError, match=f'{width}x{height}'):
        compressed_to_array(msg)


def test_a_png_header_with_a_bad_crc_is_refused_at_once(types: Any) -> None:
    data = bytearray(_png_with_size(4, 4))
    data[20] ^= 0x40  # a flipped bit in the height
    msg = types.get('sensor_msgs/msg/CompressedImage')(
        header=make_header(0, 'cam', types),
        format='png',
        data=np.frombuffer(bytes(data), np.uint8),
    )
    with pytest.raises(CompressedImageError, match='CRC'):
        compressed_to_array(msg)


def test_a_jpeg_frame_header_gives_the_size(types: Any) -> None:
    from physical_ai_ros.core.messages.image import _encoded_size

    _, encoded = cv2.imencode('.jpg', np.zeros((48, 64, 3), np.uint8))
    assert _encoded_size(encoded.tobytes()) == (64, 48)
    msg = types.get('sensor_msgs/msg/CompressedImage')(
        header=make_header(0, 'cam', types), format='jpeg', data=encoded.reshape(-1)
    )
    with pytest.raises(CompressedImageError, match='64x48'):
        compressed_to_array(msg, max_pixels=1000)


@pytest.mark.parametrize('encoding', ['bayer_rggb8', 'bayer_bggr16', 'yuv422', 'uyvy', 'yuyv'])
@pytest.mark.parametrize(('height', 'width'), [(0, 4), (4, 0), (0, 0)])
def test_an_empty_image_is_a_typed_error_not_an_opencv_assertion(
    types: Any, encoding: str, height: int, width: int
) -> None:
    msg = types.get('sensor_msgs/msg/Image')(
        header=make_header(0, 'cam', types), height=height, width=width, encoding=encoding,
        is_bigendian=0, step=width * 4, data=np.zeros(0, np.uint8),
    )  # fmt: skip
    with pytest.raises(ImageError, match='empty'):
        image_to_array(msg, 'rgb8')


def test_mono16_to_mono8_scales_as_cv_bridge_does() -> None:
    every = np.arange(65536, dtype=np.uint16).reshape(256, 256)
    # cv_bridge: image.convertTo(out, CV_8U, 255. / 65535.), i.e. scaled and rounded
    expected = cv2.convertScaleAbs(every, alpha=255.0 / 65535.0)
    np.testing.assert_array_equal(convert_encoding(every, 'mono16', 'mono8'), expected)
    low = np.array([[0x00FF, 0x0180, 0xFFFF, 0]], np.uint16)
    np.testing.assert_array_equal(convert_encoding(low, 'mono16', 'mono8'), [[1, 1, 255, 0]])


@pytest.mark.parametrize('reduce', [2, 4, 8])
def test_a_reduced_decode_keeps_channels_and_depth(types: Any, reduce: int) -> None:
    mono = random_pixels('mono8', 45, 61)
    jpeg = array_to_compressed(mono, 'jpeg', header(types), types, encoding='mono8')
    small = compressed_to_array(jpeg, reduce=reduce)
    assert small.shape == (-(-45 // reduce), -(-61 // reduce))  # still mono, rounded up
    deep = random_pixels('mono16', 45, 61)
    png = array_to_compressed(deep, 'png', header(types), types, encoding='mono16')
    small = compressed_to_array(png, reduce=reduce)
    assert small.dtype == np.uint16 and small.shape == (-(-45 // reduce), -(-61 // reduce))
    colour = array_to_compressed(
        random_pixels('rgb8', 45, 61), 'jpeg', header(types), types, encoding='rgb8'
    )
    assert compressed_to_array(colour, reduce=reduce).shape == (
        -(-45 // reduce), -(-61 // reduce), 3,
    )  # fmt: skip


@pytest.mark.parametrize('reduce', [0, 3, 16, -2])
def test_an_unsupported_reduce_is_refused(types: Any, reduce: int) -> None:
    jpeg = array_to_compressed(random_pixels('rgb8'), 'jpeg', header(types), types)
    with pytest.raises(CompressedImageError, match=r'reduce=.*must be 1, 2, 4 or 8'):
        compressed_to_array(jpeg, reduce=reduce)


def test_compressed_size_reads_the_header_without_decoding(types: Any) -> None:
    for fmt in ('jpeg', 'png'):
        msg = array_to_compressed(random_pixels('rgb8', 37, 53), fmt, header(types), types)
        assert compressed_size(msg) == (53, 37)
    assert compressed_size(SimpleNamespace(format='jpeg', data=b'no header')) is None


#: Builds a 369-byte PNG whose IDAT chunk claims CLAIMED bytes, decodes it, prints the peak
#: memory growth in kB (ru_maxrss) and the refusal: run in a fresh process, so the peak is its.
_PNG_CHUNK_BOMB = """
import resource, struct, sys, zlib
from types import SimpleNamespace
import cv2, numpy as np
from physical_ai_ros.core.errors import CompressedImageError
from physical_ai_ros.core.messages.image import compressed_to_array

def chunk(kind, body, length):
    return struct.pack('>I', length) + kind + body + struct.pack('>I', zlib.crc32(kind + body))

png = cv2.imencode('.png', np.zeros((8, 8), np.uint8))[1].tobytes()
body = zlib.compress(bytes(72)) + bytes(300)
bomb = png[:33] + chunk(b'IDAT', body, int(sys.argv[1])) + chunk(b'IEND', b'', 0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    compressed_to_array(SimpleNamespace(format='png', data=bomb))
    refusal = 'decoded'
except CompressedImageError as exc:
    refusal = str(exc)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
print(refusal)
"""


@pytest.mark.parametrize('claimed', [0x1FFF_FFFF, 0x7FFF_0000, 0xFFFF_FFF0])
def test_a_png_chunk_claiming_gigabytes_is_refused_without_allocating_them(claimed: int) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, '-c', _PNG_CHUNK_BOMB, str(claimed)],
                          capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    grown_kb, refusal = done.stdout.strip().splitlines()
    assert f"PNG chunk b'IDAT' at byte 33 claims {claimed} bytes" in refusal
    assert int(grown_kb) < 64 * 1024  # was 0.5-4 GB before the chunk walk
