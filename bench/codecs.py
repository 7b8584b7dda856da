"""Codec benchmark: PointCloud2 and JPEG decoding beside same-run baselines.

Baselines: a per-point ``struct.unpack_from`` loop (what older ROS Python code did) and
``np.frombuffer(...).copy()`` of the same buffer (the memory-copy floor). Goals (issue 2): xyz
decode within 3x of the copy floor and at least 100x faster than the per-point loop.

Run: ``make bench`` or ``.venv/bin/python bench/codecs.py``.
"""

from __future__ import annotations

from pathlib import Path
import struct
import sys
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import HEADER, measure

from physical_ai_ros.core.messages.image import array_to_compressed, compressed_to_array
from physical_ai_ros.core.messages.pointcloud import array_to_cloud, cloud_to_array, cloud_to_xyz
from physical_ai_ros.core.messages.stamps import make_header
from physical_ai_ros.replay.typestore import TypestoreTypes

OUSTER = np.dtype(
    {
        'names': ['x', 'y', 'z', 'intensity', 't', 'reflectivity', 'ring', 'ambient', 'range'],
        'formats': ['<f4', '<f4', '<f4', '<f4', '<u4', '<u2', '<u2', '<u2', '<u4'],
        'offsets': [0, 4, 8, 16, 20, 24, 26, 28, 32],
        'itemsize': 48,
    }
)


def make_cloud(types: TypestoreTypes, height: int, width: int) -> Any:
    rng = np.random.default_rng(0)
    points = np.zeros((height, width), dtype=OUSTER)
    for axis in 'xyz':
        points[axis] = rng.uniform(-50, 50, points.shape)
    points['ring'] = np.arange(height)[:, None]
    msg = array_to_cloud(points, make_header(0, 'os_lidar', types), types)
    # decode from what a subscriber receives: deserialized CDR
    return types.deserialize(types.serialize(msg), 'sensor_msgs/msg/PointCloud2')


def struct_loop_xyz(msg: Any) -> list[tuple[float, float, float]]:
    """The per-point loop of older sensor_msgs Python code."""
    fmt = struct.Struct('<fff')
    data = bytes(msg.data)
    step = msg.point_step
    return [fmt.unpack_from(data, i * step) for i in range(msg.width * msg.height)]


def bench_cloud(types: TypestoreTypes, label: str, height: int, width: int) -> None:
    msg = make_cloud(types, height, width)
    n = height * width
    print(
        f'\nPointCloud2 decode, {label}: {n} points x {msg.point_step} B '
        f'({n * msg.point_step / 1e6:.1f} MB)'
    )
    print(HEADER)
    floor = measure(
        'floor: np.frombuffer(data).copy()',
        lambda: np.frombuffer(msg.data, np.uint8).copy(),
        runs=200,
    )
    xyz = measure('cloud_to_xyz -> (N,3) float32', lambda: cloud_to_xyz(msg), runs=200)
    view = measure('cloud_to_array (zero-copy view)', lambda: cloud_to_array(msg), runs=200)
    full = measure(
        'cloud_to_array + copy of all fields', lambda: cloud_to_array(msg).copy(), runs=200
    )
    loop = measure(
        'baseline: struct.unpack_from loop (xyz)', lambda: struct_loop_xyz(msg), runs=5, warmup=1
    )
    for stats in (floor, xyz, view, full, loop):
        print(stats.row(floor))
    print(
        f'  => cloud_to_xyz: {xyz.median_ms / floor.median_ms:.2f}x the copy floor (goal <= 3x), '
        f'{loop.median_ms / xyz.median_ms:.0f}x faster than the struct loop (goal >= 100x)'
    )


def bench_jpeg(types: TypestoreTypes) -> None:
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:720, 0:1280]
    frame = np.dstack([xx % 256, yy % 256, (xx + yy) % 256]).astype(np.uint8)
    frame = cv2.GaussianBlur(frame, (5, 5), 0) + rng.integers(0, 8, frame.shape, dtype=np.uint8)
    msg = array_to_compressed(frame, 'jpeg', make_header(0, 'cam', types), types, quality=90)
    data = np.frombuffer(msg.data, np.uint8)
    print(f'\nJPEG decode, 1280x720 ({data.size / 1e3:.0f} kB)')
    print(HEADER)
    floor = measure('floor: copy of the decoded frame (2.8 MB)', lambda: frame.copy(), runs=100)
    bare = measure(
        'baseline: bare cv2.imdecode', lambda: cv2.imdecode(data, cv2.IMREAD_COLOR), runs=100
    )
    ours = measure('compressed_to_array (bgr8)', lambda: compressed_to_array(msg), runs=100)
    rgb = measure(
        'compressed_to_array -> rgb8', lambda: compressed_to_array(msg, 'rgb8'), runs=100
    )
    for stats in (floor, bare, ours, rgb):
        print(stats.row(bare))
    print(f'  => overhead over bare imdecode: {(ours.median_ms / bare.median_ms - 1) * 100:+.1f}%')


def main() -> None:
    types = TypestoreTypes()
    print(
        f'numpy {np.__version__}, opencv {cv2.__version__}, {cv2.getNumThreads()} OpenCV threads'
    )
    bench_cloud(types, 'Ouster-like 128x1024 with padding', 128, 1024)
    bench_cloud(types, '30,000 points', 1, 30_000)
    bench_jpeg(types)


if __name__ == '__main__':
    main()
