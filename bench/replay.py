"""Replay benchmark: speed as a multiple of real time, beside the read floor; RSS vs length.

Scenario (issue 6): 20 s with a 10 Hz 64x1024 lidar, a 15 Hz 1280x720 JPEG camera, 16 IoT
sensors at 10 Hz and 50 Hz odometry. The floor is reading and deserialising the same bag and
nothing else, in the same run. Peak RSS is measured in a fresh process for the 20 s bag and a
10x longer one (the same frames, later stamps). Goals: at least 10x real time, within 3x of
the read floor, RSS growth under 5%.

Run: ``make bench`` or ``.venv/bin/python bench/replay.py`` (needs ~5 GB of free disk).
"""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np
from rosbags.rosbag2 import Reader

from physical_ai_ros.core.messages.image import array_to_compressed
from physical_ai_ros.core.messages.pointcloud import array_to_cloud
from physical_ai_ros.core.messages.stamps import make_header, NS_PER_S
from physical_ai_ros.replay.bagwriter import BagWriter
from physical_ai_ros.replay.runner import ReplayOptions, ReplayRunner
from physical_ai_ros.replay.typestore import TypestoreTypes
from physical_ai_ros.sim.sensors import CameraSpec, LidarSpec
from physical_ai_ros.sim.synthetic import (
    camera_frame,
    camera_info,
    camera_intrinsics,
    factory_aisle,
    iot_positions,
    iot_reading,
    lidar_scan,
    odometry,
    robot_pose,
    ScenarioConfig,
    static_transforms,
    temperature_at,
)

CONFIG = ScenarioConfig(
    lidar=LidarSpec(channels=64, columns=1024, max_range=100.0),
    camera=CameraSpec(width=1280, height=720, fovy_deg=60.0),
)
PARAMS = Path(__file__).resolve().parents[1] / 'physical_ai_ros' / 'config' / 'mobile_base.yaml'
ROUNDS = 5  # replay and read floor, alternated
UNIQUE_FRAMES = 20  # rendered once, then cycled: the cost of a replay does not depend on content


def write_bench_bag(path: Path, seconds: float) -> Path:
    """The scenario at the issue's rates, frames cycled from a few rendered ones."""
    types = TypestoreTypes()
    world = factory_aisle(0)
    rng = np.random.default_rng(0)
    poses = [robot_pose(k * 0.1, CONFIG) for k in range(UNIQUE_FRAMES)]
    scans = [lidar_scan(world, p, CONFIG, rng) for p in poses]
    frames = [camera_frame(world, p, CONFIG) for p in poses]
    jpegs = [
        array_to_compressed(
            f, 'jpeg', make_header(0, 'camera_optical', types), types, encoding='rgb8'
        )
        for f in frames
    ]
    f, cx, cy = camera_intrinsics(CONFIG)
    sensors = iot_positions(CONFIG)
    start = 1_700_000_000 * NS_PER_S
    schedule = []
    for order, (source, rate) in enumerate(
        [('odom', 50.0), ('lidar', 10.0), ('camera', 15.0), ('iot', 10.0)]
    ):
        period = int(NS_PER_S / rate)
        schedule += [
            (t, order, source) for t in range(start, start + int(seconds * NS_PER_S), period)
        ]
    schedule.sort()
    counts = {'lidar': 0, 'camera': 0}
    with BagWriter(path, types) as bag:
        bag.write('/tf_static', static_transforms(types, start), start)
        for stamp, _, source in schedule:
            t = (stamp - start) / NS_PER_S
            if source == 'odom':
                bag.write('/odom', odometry(types, stamp, robot_pose(t, CONFIG), CONFIG), stamp)
            elif source == 'lidar':
                scan = scans[counts['lidar'] % UNIQUE_FRAMES]
                counts['lidar'] += 1
                bag.write(
                    '/lidar/points',
                    array_to_cloud(scan, make_header(stamp, 'lidar_link', types), types),
                    stamp,
                )
            elif source == 'camera':
                jpeg = jpegs[counts['camera'] % UNIQUE_FRAMES]
                counts['camera'] += 1
                jpeg.header = make_header(stamp, 'camera_optical', types)
                bag.write('/camera/image_raw/compressed', jpeg, stamp)
                bag.write(
                    '/camera/camera_info',
                    camera_info(types, jpeg.header, CONFIG.camera, f, cx, cy),
                    stamp,
                )
            else:
                for k, position in enumerate(sensors):
                    bag.write(
                        '/iot/readings',
                        iot_reading(types, stamp, k, temperature_at(position)),
                        stamp,
                    )
    return path


def read_floor(bag: Path) -> float:
    """Seconds to read and deserialise every message of the bag."""
    types = TypestoreTypes()
    start = time.perf_counter()
    with Reader(bag) as reader:
        for connection, _, raw in reader.messages():
            types.deserialize(raw, connection.msgtype)
    return time.perf_counter() - start


def replay_once(bag: Path, out: Path, progress: Any = None) -> tuple[float, float]:
    """(wall seconds, bag seconds) of one replay."""
    runner = ReplayRunner(ReplayOptions(params=PARAMS))
    result = runner.run(bag, out, progress=progress)
    return result.wall_s, result.duration_s


def rss_mb(field: str = 'VmRSS') -> float:
    """Resident set size of this process now (``VmHWM``: its peak) [MB] (Linux)."""
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith(field + ':'):
            return int(line.split()[1]) / 1024
    return float('nan')


def rss_profile(bag: Path, out: Path) -> dict[str, float]:
    """In a fresh process: RSS at 10%..100% of the replay, and the peak [MB]."""
    code = (
        'import json, sys; sys.path.insert(0, sys.argv[3]);'
        'from replay import replay_once, rss_mb; from pathlib import Path;'
        'samples = {};'
        'replay_once(Path(sys.argv[1]), Path(sys.argv[2]),'
        ' lambda f: samples.setdefault(round(f, 1), rss_mb()));'
        # VmHWM, not ru_maxrss: the latter keeps the forking parent's peak across exec
        'samples["peak"] = rss_mb("VmHWM");'
        'print(json.dumps(samples))'
    )
    done = subprocess.run(
        [sys.executable, '-c', code, str(bag), str(out), str(Path(__file__).parent)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    samples: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return samples


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        bag = write_bench_bag(root / 'bag20', 20.0)
        size = sum(p.stat().st_size for p in bag.iterdir()) / 1e6
        print(
            f'20 s scenario bag: {size:.0f} MB, written in {time.perf_counter() - started:.1f} s'
        )
        floors, replays = [], []
        for k in range(ROUNDS):  # A/B/A/B: drift on a shared machine hits both alike
            floors.append(read_floor(bag))
            wall, bag_s = replay_once(bag, root / f'out{k}')
            replays.append(wall)
        floor, wall = float(np.median(floors)), float(np.median(replays))
        pairs = np.array(replays) / np.array(floors)
        for name, value, runs in (('read floor', floor, floors), ('replay', wall, replays)):
            print(
                f'  {name:<10} median {value:.2f} s ({bag_s / value:.1f}x real time), '
                f'runs {np.round(runs, 2).tolist()}'
            )
        print(
            f'  => {bag_s / wall:.1f}x real time (goal >= 10x), '
            f'{wall / floor:.2f}x the read floor (goal <= 3x); replay/floor per round: '
            f'median {np.median(pairs):.2f}x, range {pairs.min():.2f}-{pairs.max():.2f}x'
        )
        short = rss_profile(bag, root / 'rss20')
        long_bag = write_bench_bag(root / 'bag200', 200.0)
        long = rss_profile(long_bag, root / 'rss200')
        growth = (long['peak'] / short['peak'] - 1.0) * 100.0
        steady = (long['1.0'] / long['0.1'] - 1.0) * 100.0
        print(f'  peak RSS: 20 s bag {short["peak"]:.0f} MB, 200 s bag {long["peak"]:.0f} MB '
              f'=> growth {growth:+.1f}% (goal < 5%)')  # fmt: skip
        trace = ', '.join(f'{k}: {v:.0f}' for k, v in long.items() if k != 'peak')
        print(
            f'  RSS through the 200 s replay (fraction: MB): {trace}; 10% -> 100%: {steady:+.1f}%'
        )
        print(json.dumps({'realtime_factor': bag_s / wall, 'vs_floor': wall / floor,
                          'rss_growth_pct': growth, 'rss_steady_growth_pct': steady}))  # fmt: skip


if __name__ == '__main__':
    main()
