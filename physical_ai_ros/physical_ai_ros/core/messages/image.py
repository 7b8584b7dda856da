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

"""Decoding and encoding of ``sensor_msgs/Image`` and ``sensor_msgs/CompressedImage``.

Raw images become zero-copy numpy views (``step`` padding is skipped by strides, not copied);
colour conversions, demosaicing and JPEG/PNG coding are OpenCV's. Encoding names are those of
``sensor_msgs/image_encodings.hpp``.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
import struct
import sys
from typing import Any, Protocol
import zlib

import cv2
import numpy as np

from physical_ai_ros.core.errors import CompressedImageError, ImageError, message_boundary
from physical_ai_ros.core.messages.buffers import byte_view
from physical_ai_ros.core.messages.msgtypes import MessageTypes


@dataclass(frozen=True)
class EncodingSpec:
    """What one pixel of an encoding is: element type and channel count."""

    dtype: np.dtype[Any]
    channels: int


_U8, _U16 = np.dtype(np.uint8), np.dtype(np.uint16)
_NAMED: dict[str, EncodingSpec] = {
    **{name: EncodingSpec(_U8, 3) for name in ('rgb8', 'bgr8')},
    **{name: EncodingSpec(_U8, 4) for name in ('rgba8', 'bgra8')},
    **{name: EncodingSpec(_U16, 3) for name in ('rgb16', 'bgr16')},
    **{name: EncodingSpec(_U16, 4) for name in ('rgba16', 'bgra16')},
    'mono8': EncodingSpec(_U8, 1),
    'mono16': EncodingSpec(_U16, 1),
    **{f'bayer_{p}8': EncodingSpec(_U8, 1) for p in ('rggb', 'bggr', 'gbrg', 'grbg')},
    **{f'bayer_{p}16': EncodingSpec(_U16, 1) for p in ('rggb', 'bggr', 'gbrg', 'grbg')},
    # 4:2:2 packed YUV, two bytes per pixel. ROS calls UYVY "yuv422" and YUYV "yuv422_yuy2".
    **{name: EncodingSpec(_U8, 2) for name in ('yuv422', 'uyvy', 'yuv422_yuy2', 'yuyv')},
}
_CV_TYPE = re.compile(r'^(8U|8S|16U|16S|32S|32F|64F)C([1-4])$')
_CV_DEPTHS = {
    '8U': np.uint8, '8S': np.int8, '16U': np.uint16, '16S': np.int16,
    '32S': np.int32, '32F': np.float32, '64F': np.float64,
}  # fmt: skip

#: Encodings a model input can be converted to with :func:`convert_encoding`.
MODEL_ENCODINGS = ('rgb8', 'bgr8', 'mono8')

_BAYER_TO_RGB = {
    'rggb': cv2.COLOR_BayerRGGB2RGB,
    'bggr': cv2.COLOR_BayerBGGR2RGB,
    'gbrg': cv2.COLOR_BayerGBRG2RGB,
    'grbg': cv2.COLOR_BayerGRBG2RGB,
}
_YUV_TO_RGB = {
    'yuv422': cv2.COLOR_YUV2RGB_UYVY,
    'uyvy': cv2.COLOR_YUV2RGB_UYVY,
    'yuv422_yuy2': cv2.COLOR_YUV2RGB_YUYV,
    'yuyv': cv2.COLOR_YUV2RGB_YUYV,
}
# One OpenCV pass per (source order, channels, target) colour conversion.
_COLOUR_CODES = {
    ('rgb', 3, 'bgr8'): cv2.COLOR_RGB2BGR,
    ('bgr', 3, 'rgb8'): cv2.COLOR_BGR2RGB,
    ('rgb', 3, 'mono8'): cv2.COLOR_RGB2GRAY,
    ('bgr', 3, 'mono8'): cv2.COLOR_BGR2GRAY,
    ('rgb', 4, 'bgr8'): cv2.COLOR_RGBA2BGR,
    ('bgr', 4, 'rgb8'): cv2.COLOR_BGRA2RGB,
    ('rgb', 4, 'mono8'): cv2.COLOR_RGBA2GRAY,
    ('bgr', 4, 'mono8'): cv2.COLOR_BGRA2GRAY,
}
# Encodings that are a colour layout by another name (cv_bridge reads 8UC3 as bgr8).
_ALIASES = {'8UC1': 'mono8', '8UC3': 'bgr8', '8UC4': 'bgra8', '16UC1': 'mono16'}


def encoding_spec(encoding: str) -> EncodingSpec:
    """Return element type and channel count of an image encoding.

    Raises:
        ImageError: the encoding is unknown.
    """
    spec = _NAMED.get(encoding)
    if spec is not None:
        return spec
    match = _CV_TYPE.match(encoding) if isinstance(encoding, str) else None
    if match is None:
        raise ImageError(
            'encoding',
            encoding,
            f'unsupported; expected one of {", ".join(sorted(_NAMED))} or 8UC1..64FC4',
        )
    return EncodingSpec(np.dtype(_CV_DEPTHS[match.group(1)]), int(match.group(2)))


class ImageLike(Protocol):
    """The fields of ``sensor_msgs/Image`` that decoding reads."""

    height: int
    width: int
    encoding: str
    is_bigendian: int
    step: int
    data: Any


def _as_int(field: str, value: Any) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ImageError(field, value, 'must be an integer')
    if value < 0:
        raise ImageError(field, value, 'must be >= 0')
    return int(value)


@message_boundary(ImageError)
def image_to_array(msg: ImageLike, desired_encoding: str | None = None) -> np.ndarray[Any, Any]:
    """Decode an Image into ``(H, W)`` or ``(H, W, C)`` in native byte order.

    Args:
        msg: the image message.
        desired_encoding: convert to this model encoding (see :data:`MODEL_ENCODINGS`);
            ``None`` returns the pixels as they are (a view where possible).

    Raises:
        ImageError: unknown encoding, ``step`` too small, data too short, or no conversion.
    """
    spec = encoding_spec(msg.encoding)
    height, width, step = (_as_int(f, getattr(msg, f)) for f in ('height', 'width', 'step'))
    pixel_bytes = spec.dtype.itemsize * spec.channels
    if step < width * pixel_bytes:
        raise ImageError('step', step, f'must be >= width*bytes_per_pixel = {width}*{pixel_bytes}')
    if spec.channels == 2 and width % 2:
        raise ImageError('width', width, f'must be even for {msg.encoding}')
    try:
        buf = byte_view(msg.data)
    except (TypeError, ValueError) as exc:
        raise ImageError('data', type(msg.data).__name__, f'is not a byte buffer ({exc})') from exc
    if buf.size < height * step:
        raise ImageError(
            'data', f'{buf.size} bytes', f'shorter than height*step = {height * step}'
        )
    big = bool(msg.is_bigendian) and spec.dtype.itemsize > 1
    dtype = spec.dtype.newbyteorder('>' if big else '<')
    pixels: np.ndarray[Any, Any] = np.ndarray(
        (height, width, spec.channels),
        dtype=dtype,
        buffer=buf,
        strides=(step, pixel_bytes, spec.dtype.itemsize),
    )
    if not dtype.isnative:
        pixels = pixels.astype(spec.dtype)
    if spec.channels == 1:
        pixels = pixels[:, :, 0]
    if desired_encoding is None:
        return pixels
    return convert_encoding(pixels, msg.encoding, desired_encoding)


def convert_encoding(
    pixels: np.ndarray[Any, Any], encoding: str, desired_encoding: str
) -> np.ndarray[Any, Any]:
    """Convert decoded pixels to ``rgb8``, ``bgr8`` or ``mono8`` with OpenCV.

    16-bit colour and mono are scaled to 8 bits; Bayer patterns are demosaiced; packed YUV is
    converted with the BT.601 matrices OpenCV uses for UYVY/YUYV.

    Raises:
        ImageError: the target is not a model encoding, the source cannot be shown as one
            (float and signed images have no implied range), the image is empty, or OpenCV
            refuses it.
    """
    if desired_encoding not in MODEL_ENCODINGS:
        raise ImageError(
            'desired_encoding', desired_encoding, f'expected one of {", ".join(MODEL_ENCODINGS)}'
        )
    encoding = _ALIASES.get(encoding, encoding)
    if encoding == desired_encoding:
        return pixels
    if pixels.size == 0:
        shape = 'x'.join(str(n) for n in pixels.shape[:2])
        raise ImageError(
            'height/width', shape, f'an empty {encoding} image has nothing to convert'
        )
    if encoding.startswith('bayer_'):
        rgb = _cvt(_to_8bit(np.ascontiguousarray(pixels)), _BAYER_TO_RGB[encoding[6:10]])
        return _from_rgb(rgb, desired_encoding)
    if encoding in _YUV_TO_RGB:
        rgb = _cvt(np.ascontiguousarray(pixels), _YUV_TO_RGB[encoding])
        return _from_rgb(rgb, desired_encoding)
    if encoding in ('mono8', 'mono16'):
        mono = _to_8bit(pixels)
        if desired_encoding == 'mono8':
            return np.ascontiguousarray(mono)
        return _cvt(
            np.ascontiguousarray(mono),
            cv2.COLOR_GRAY2RGB if desired_encoding == 'rgb8' else cv2.COLOR_GRAY2BGR,
        )
    if encoding[:3] in ('rgb', 'bgr'):
        colour = _to_8bit(pixels)
        code = _COLOUR_CODES.get((encoding[:3], colour.shape[2], desired_encoding))
        if code is None:  # same order, alpha to drop
            return np.ascontiguousarray(colour[:, :, :3])
        return _cvt(np.ascontiguousarray(colour), code)
    raise ImageError('encoding', encoding, f'cannot be converted to {desired_encoding}')


def _cvt(pixels: np.ndarray[Any, Any], code: int) -> np.ndarray[Any, Any]:
    """``cv2.cvtColor``, with OpenCV's assertion errors turned into a typed ImageError."""
    try:
        out: np.ndarray[Any, Any] = cv2.cvtColor(pixels, code)
    except cv2.error as exc:
        reason = str(exc).strip().splitlines()[-1][:120]
        raise ImageError(
            'data', f'{pixels.shape} {pixels.dtype}', f'OpenCV refused it: {reason}'
        ) from exc
    return out


def _to_8bit(pixels: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Scale 16-bit pixels to 8 bits as cv_bridge does (x 255/65535, rounded); 8-bit pass."""
    if pixels.dtype == np.uint16:
        scaled: np.ndarray[Any, Any] = np.rint(pixels * np.float32(255.0 / 65535.0))
        return scaled.astype(np.uint8)
    return pixels


def _from_rgb(rgb: np.ndarray[Any, Any], desired_encoding: str) -> np.ndarray[Any, Any]:
    if desired_encoding == 'rgb8':
        return rgb
    if desired_encoding == 'bgr8':
        return _cvt(rgb, cv2.COLOR_RGB2BGR)
    return _cvt(rgb, cv2.COLOR_RGB2GRAY)


def array_to_image(
    pixels: np.ndarray[Any, Any], encoding: str, header: Any, types: MessageTypes
) -> Any:
    """Build a ``sensor_msgs/Image`` holding ``pixels`` in ``encoding`` (no padding).

    Raises:
        ImageError: the array's dtype or channel count does not fit the encoding.
    """
    spec = encoding_spec(encoding)
    channels = 1 if pixels.ndim == 2 else (pixels.shape[2] if pixels.ndim == 3 else -1)
    if channels != spec.channels or pixels.dtype.base.newbyteorder('=') != spec.dtype:
        raise ImageError(
            'encoding',
            encoding,
            f'needs {spec.channels} channel(s) of {spec.dtype}, got an array of shape '
            f'{pixels.shape} and dtype {pixels.dtype}',
        )
    height, width = pixels.shape[:2]
    native = np.ascontiguousarray(pixels, dtype=spec.dtype)
    return types.get('sensor_msgs/msg/Image')(
        header=header,
        height=height,
        width=width,
        encoding=encoding,
        is_bigendian=int(sys.byteorder == 'big' and spec.dtype.itemsize > 1),
        step=width * spec.channels * spec.dtype.itemsize,
        data=types.array(native.view(np.uint8).reshape(-1)),
    )


@dataclass(frozen=True)
class CompressedFormat:
    """A parsed ``CompressedImage.format`` string.

    image_transport writes ``"<encoding>; <codec> compressed <encoding>"`` (e.g.
    ``"rgb8; jpeg compressed bgr8"``); older or hand-written publishers write just ``"jpeg"``,
    ``"jpg"`` or ``"png"``; compressed_depth_image_transport writes
    ``"16UC1; compressedDepth png"``.
    """

    codec: str
    original_encoding: str | None
    depth: bool


def parse_compressed_format(fmt: str) -> CompressedFormat:
    """Parse a CompressedImage ``format`` string.

    Raises:
        CompressedImageError: no supported codec (jpeg or png) is named.
    """
    if not isinstance(fmt, str):
        raise CompressedImageError('format', fmt, 'must be a string')
    text = fmt.strip().lower()
    original = fmt.split(';', 1)[0].strip() if ';' in fmt else None
    depth = 'compresseddepth' in text
    words = set(re.split(r'[\s;]+', text))
    if words & {'jpeg', 'jpg'}:
        codec = 'jpeg'
    elif 'png' in words:
        codec = 'png'
    else:
        raise CompressedImageError('format', fmt, "names no supported codec ('jpeg' or 'png')")
    return CompressedFormat(codec=codec, original_encoding=original, depth=depth)


_DEPTH_HEADER_BYTES = 12  # compressedDepth: int32 format, float32 depthQuantA, depthQuantB


#: libjpeg's reduced decodes (factor: (grey flag, colour flag)): several times faster than a
#: full decode. PNG has none; it is decoded whole and shrunk.
_REDUCED_JPEG = {
    2: (cv2.IMREAD_REDUCED_GRAYSCALE_2, cv2.IMREAD_REDUCED_COLOR_2),
    4: (cv2.IMREAD_REDUCED_GRAYSCALE_4, cv2.IMREAD_REDUCED_COLOR_4),
    8: (cv2.IMREAD_REDUCED_GRAYSCALE_8, cv2.IMREAD_REDUCED_COLOR_8),
}
REDUCE_FACTORS = (1, 2, 4, 8)


#: Largest image decoded (width x height): a 1 MB PNG may claim 32000 x 32000 and take tens
#: of seconds and gigabytes to decode; refused from its header instead.
MAX_PIXELS = 50_000_000


@message_boundary(CompressedImageError)
def compressed_to_array(
    msg: Any,
    desired_encoding: str | None = None,
    *,
    reduce: int = 1,
    max_pixels: int = MAX_PIXELS,
) -> np.ndarray[Any, Any]:
    """Decode a JPEG or PNG CompressedImage.

    Args:
        msg: the message (``format`` and ``data`` are read).
        desired_encoding: convert to a model encoding; ``None`` returns what OpenCV decodes:
            bgr8 or bgra8 for colour, mono8 or mono16 for grey, and for compressedDepth the
            depth image (uint16 millimetres for 16UC1, float32 metres for 32FC1).
        reduce: decode at 1/2, 1/4 or 1/8 of the size (rounded up, as libjpeg does): a JPEG
            through libjpeg's reduced decode, several times faster than a full one; a PNG
            decoded whole and shrunk by area. Channels and bit depth stay as encoded (a mono
            JPEG stays mono, a 16-bit PNG 16-bit).
        max_pixels: refuse, from the header and before decoding, an image claiming more.

    Raises:
        CompressedImageError: unsupported format, data that does not decode (corrupt or
            truncated), a header claiming more than ``max_pixels`` or a zero size, or a
            ``reduce`` other than 1, 2, 4 or 8.
    """
    if reduce not in REDUCE_FACTORS:
        raise CompressedImageError('reduce', reduce, 'must be 1, 2, 4 or 8')
    fmt = parse_compressed_format(msg.format)
    try:
        data = np.frombuffer(msg.data, dtype=np.uint8)
    except (TypeError, ValueError, BufferError) as exc:
        raise CompressedImageError(
            'data', type(msg.data).__name__, 'is not a byte buffer'
        ) from exc
    header = None
    if fmt.depth:
        if data.size < _DEPTH_HEADER_BYTES:
            raise CompressedImageError(
                'data', f'{data.size} bytes', 'too short for compressedDepth'
            )
        header = data[:_DEPTH_HEADER_BYTES]
        data = data[_DEPTH_HEADER_BYTES:]
    if data.size == 0:
        raise CompressedImageError('data', '0 bytes', f'is not a decodable {fmt.codec} image')
    _check_complete(data, fmt.codec)
    _check_size(data, max_pixels)
    reduced_flags = _REDUCED_JPEG.get(reduce) if fmt.codec == 'jpeg' and not fmt.depth else None
    components = _jpeg_components(data[:65536].tobytes()) if reduced_flags else None
    flags = cv2.IMREAD_UNCHANGED
    if reduced_flags is not None and components in (1, 3):
        flags = reduced_flags[0] if components == 1 else reduced_flags[1]
    try:
        pixels = cv2.imdecode(data, flags)
    except cv2.error:  # OpenCV asserts on some malformed headers instead of returning None
        pixels = None
    if pixels is None or pixels.size == 0:
        raise CompressedImageError(
            'data', f'{data.size} bytes', f'is not a decodable {fmt.codec} image'
        )
    if reduce > 1 and flags == cv2.IMREAD_UNCHANGED and not fmt.depth:
        height, width = pixels.shape[:2]
        size = (-(-width // reduce), -(-height // reduce))  # rounded up, like libjpeg
        pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
    if header is not None and fmt.original_encoding == '32FC1':
        return _inverse_depth_to_metres(pixels, header)
    if desired_encoding is None:
        return pixels
    encoding = {1: 'mono8' if pixels.dtype == np.uint8 else 'mono16', 3: 'bgr8', 4: 'bgra8'}
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    return convert_encoding(pixels, encoding[channels], desired_encoding)


_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def _check_complete(data: np.ndarray[Any, Any], codec: str) -> None:
    """Refuse truncated or headless streams before the decoder sees them.

    libjpeg half-decodes a truncated JPEG with only a warning, and some OpenCV 4 releases spend
    seconds on a PNG signature followed by garbage: neither may reach a control loop.
    """
    head = data[:16].tobytes()
    if head.startswith(b'\xff\xd8'):
        tail = data[-64:].tobytes().rstrip(b'\x00')
        if not tail.endswith(b'\xff\xd9'):
            raise CompressedImageError(
                'data', f'{data.size} bytes', 'JPEG stream is truncated (no end-of-image marker)'
            )
    elif head.startswith(_PNG_SIGNATURE):
        if head[12:16] != b'IHDR':
            raise CompressedImageError('data', head, 'PNG stream does not start with IHDR')
        if b'IEND' not in data[-16:].tobytes():
            raise CompressedImageError(
                'data', f'{data.size} bytes', 'PNG stream is truncated (no IEND chunk)'
            )
        _check_png_chunks(data.tobytes())


def _check_png_chunks(png: bytes) -> None:
    """Refuse a PNG whose chunks claim more bytes than the stream holds.

    OpenCV reads each chunk into a buffer of the length the chunk declares before it finds
    the stream too short: a 369-byte PNG whose IDAT claims 2 GB cost 2 GB of memory and
    1.7 s (measured), enough to get a node killed. Walking the chunk lengths costs
    microseconds (a few hundred chunks for a large image).
    """
    offset, end = len(_PNG_SIGNATURE), len(png)
    while offset + 12 <= end:
        (length,) = struct.unpack_from('>I', png, offset)
        kind = png[offset + 4 : offset + 8]
        if length > end - offset - 12:
            raise CompressedImageError(
                'data', f'{end} bytes', f'PNG chunk {kind!r} at byte {offset} claims {length} '
                f'bytes; only {end - offset - 12} follow',
            )  # fmt: skip
        if kind == b'IEND':
            return
        offset += 12 + length
    raise CompressedImageError('data', f'{end} bytes', 'PNG stream is truncated (no IEND chunk)')


def _check_size(data: np.ndarray[Any, Any], max_pixels: int) -> None:
    """Refuse, from its header, an image of zero size or more than ``max_pixels``."""
    size = _encoded_size(data[:65536].tobytes())
    if size is None:
        return  # no size in the header we know how to read: the decoder will judge
    width, height = size
    if width == 0 or height == 0 or width * height > max_pixels:
        raise CompressedImageError(
            'data',
            f'{width}x{height}',
            f'header size must be non-zero, at most {max_pixels} pixels',
        )


@message_boundary(CompressedImageError)
def compressed_size(msg: Any) -> tuple[int, int] | None:
    """(width, height) a JPEG or PNG CompressedImage's header declares, before any decoding.

    None when the header says no size (not JPEG or PNG, or no frame header found).

    Raises:
        CompressedImageError: a PNG header that fails its CRC, or data that is no byte buffer.
    """
    try:
        head = bytes(np.frombuffer(msg.data, dtype=np.uint8)[:65536])
    except (TypeError, ValueError, BufferError) as exc:
        raise CompressedImageError(
            'data', type(msg.data).__name__, 'is not a byte buffer'
        ) from exc
    if 'compresseddepth' in str(msg.format).lower():
        head = head[_DEPTH_HEADER_BYTES:]
    return _encoded_size(head)


def _jpeg_components(head: bytes) -> int | None:
    """Number of colour components in a JPEG's frame header (1 grey, 3 colour); None if unseen."""
    frame = _jpeg_frame_header(head)
    return None if frame is None or frame + 9 >= len(head) else head[frame + 9]


def _jpeg_frame_header(head: bytes) -> int | None:
    """Offset of a JPEG's start-of-frame marker; None if not found before the scan."""
    i = 2 if head.startswith(b'\xff\xd8') else len(head)
    while i + 9 <= len(head):
        if head[i] != 0xFF:
            return None
        marker = head[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            return i
        if marker == 0xDA:  # start of scan: no frame header before it
            return None
        i += 2 + int.from_bytes(head[i + 2 : i + 4], 'big')
    return None


def _encoded_size(head: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR or a JPEG's frame header; None if not found."""
    if head.startswith(_PNG_SIGNATURE) and len(head) >= 33:
        if zlib.crc32(head[12:29]) != int.from_bytes(head[29:33], 'big'):
            raise CompressedImageError('data', head[:33], 'PNG header (IHDR) fails its CRC')
        return int.from_bytes(head[16:20], 'big'), int.from_bytes(head[20:24], 'big')
    i = _jpeg_frame_header(head)
    if i is None:
        return None
    return int.from_bytes(head[i + 7 : i + 9], 'big'), int.from_bytes(head[i + 5 : i + 7], 'big')


def _inverse_depth_to_metres(
    quantized: np.ndarray[Any, Any], header: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """Undo compressed_depth_image_transport's inverse-depth quantisation (32FC1)."""
    quant_a, quant_b = header[4:12].view('<f4')
    depth = np.full(quantized.shape, np.nan, dtype=np.float32)
    valid = quantized != 0
    depth[valid] = quant_a / (quantized[valid].astype(np.float32) - quant_b)
    return depth


def array_to_compressed(
    pixels: np.ndarray[Any, Any],
    fmt: str,
    header: Any,
    types: MessageTypes,
    *,
    encoding: str = 'bgr8',
    quality: int = 90,
) -> Any:
    """Build a ``sensor_msgs/CompressedImage`` as image_transport's compressed plugin would.

    Args:
        pixels: the image, laid out as ``encoding`` says.
        fmt: ``'jpeg'`` or ``'png'``.
        header: the ``std_msgs/Header``.
        types: where the message classes come from.
        encoding: encoding of ``pixels``: rgb8, bgr8, rgba8, bgra8, mono8 or mono16 (png).
        quality: JPEG quality 1..100.

    Raises:
        CompressedImageError: unsupported codec, or pixels the codec cannot carry.
    """
    if fmt not in ('jpeg', 'png'):
        raise CompressedImageError('format', fmt, "expected 'jpeg' or 'png'")
    spec = encoding_spec(encoding)
    if encoding.startswith('rgb'):
        code = cv2.COLOR_RGBA2BGRA if spec.channels == 4 else cv2.COLOR_RGB2BGR
        pixels = _cvt(pixels, code)
    mono = spec.channels == 1
    if fmt == 'jpeg' and (spec.dtype != np.uint8 or spec.channels not in (1, 3)):
        raise CompressedImageError('format', fmt, f'JPEG cannot carry {encoding}')
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)] if fmt == 'jpeg' else []
    ok, encoded = cv2.imencode('.jpg' if fmt == 'jpeg' else '.png', pixels, params)
    if not ok:
        raise CompressedImageError('data', pixels.shape, f'{fmt} encoding failed')
    if mono:
        coded_as = 'mono8' if spec.dtype == np.uint8 else 'mono16'
    else:
        coded_as = 'bgra8' if spec.channels == 4 else 'bgr8'
    return types.get('sensor_msgs/msg/CompressedImage')(
        header=header,
        format=f'{encoding}; {fmt} compressed {coded_as}',
        data=types.array(encoded.reshape(-1)),
    )
