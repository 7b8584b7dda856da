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

"""Simulation benchmark: simulated seconds per wall-clock second, and lidar rays per second.

The default scenario (aisle) with every sensor on (32x512 lidar at 10 Hz, 320x240 camera
rendered offscreen at 10 Hz, 16 IoT sensors, odometry at 50 Hz) driven in closed loop by the
reference policy through the full pipeline; beside it, in the same run, the physics alone and
the lidar ray casting alone.

Run: ``make bench`` or ``.venv/bin/python bench/sim.py``.
"""

from __future__ import annotations

from pathlib import Path
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import HEADER, measure

from physical_ai_ros.replay.runner import ReplayOptions
from physical_ai_ros.sim.episode import run_episode
from physical_ai_ros.sim.scene import make_scenario
from physical_ai_ros.sim.sensors import LidarSpec
from physical_ai_ros.sim.world_mujoco import SimWorld

PARAMS = Path(__file__).resolve().parents[1] / 'physical_ai_ros' / 'config' / 'mobile_base.yaml'
SECONDS = 20.0


def main() -> None:
    world = SimWorld(make_scenario('aisle', 0))
    print(HEADER)
    physics = measure(
        'physics only: 1 s of simulation', lambda: world.step(0.5, 0.0, 1.0), runs=20
    )
    lidar = measure('lidar scan, 32 x 512 rays', world.lidar_scan, runs=100)
    big = SimWorld(make_scenario('aisle', 0), lidar=LidarSpec(channels=64, columns=1024))
    lidar_big = measure('lidar scan, 64 x 1024 rays', big.lidar_scan, runs=30)
    world.render()  # the GL context is created once
    render = measure('camera frame, 320 x 240', world.render, runs=50)
    for stats in (physics, lidar, lidar_big, render):
        print(stats.row())
    for name, stats, rays in (('32x512', lidar, 32 * 512), ('64x1024', lidar_big, 64 * 1024)):
        print(f'  => lidar {name}: {rays / (stats.median_ms / 1e3) / 1e6:.1f} M rays/s')
    print(f'  => physics alone: {1e3 / physics.median_ms:.0f} s simulated per s')
    walls = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(3):
            options = ReplayOptions(params=PARAMS)
            start = time.perf_counter()
            episode = run_episode(
                'aisle',
                0,
                Path(tmp) / f'bag{k}',
                seconds=SECONDS,
                options=options,
                stop_at_goal=False,
            )
            walls.append(time.perf_counter() - start)
    wall = float(np.median(walls))
    print(
        f'  => closed loop, all sensors, full pipeline, bag written: '
        f'{episode.seconds / wall:.2f} s simulated per s '
        f'(median of {np.round(walls, 1).tolist()} s for {episode.seconds:.0f} s)'
    )


if __name__ == '__main__':
    main()
