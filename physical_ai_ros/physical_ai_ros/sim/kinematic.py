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

"""A kinematic closed loop without physics: ground-truth grids and a unicycle robot.

Used to judge a policy by what the robot does (collisions, clearance, progress) quickly and
deterministically; the MuJoCo scenes do the same with dynamics and simulated sensors.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any

import numpy as np

from physical_ai_ros.core.perception.grid import SpatialGrid
from physical_ai_ros.sim.world import World


@dataclass
class Unicycle:
    """A differential-drive base: pose (x, y, yaw) integrated from (v, w)."""

    x: float = 0.0
    y: float = 0.0
    yaw: float = 0.0

    def step(self, v: float, w: float, dt: float) -> None:
        """Advance by ``dt`` seconds at forward speed ``v`` and yaw rate ``w`` (exact arcs)."""
        if abs(w) < 1e-9:
            self.x += v * math.cos(self.yaw) * dt
            self.y += v * math.sin(self.yaw) * dt
        else:
            radius = v / w
            self.x += radius * (math.sin(self.yaw + w * dt) - math.sin(self.yaw))
            self.y -= radius * (math.cos(self.yaw + w * dt) - math.cos(self.yaw))
        self.yaw = math.atan2(math.sin(self.yaw + w * dt), math.cos(self.yaw + w * dt))


def clearance(world: World, x: float, y: float, *, min_height: float = 0.05) -> float:
    """Distance in the floor plane from (x, y) to the nearest box footprint [m] (0 inside)."""
    best = math.inf
    for box in world.boxes:
        if box.hi[2] < min_height:
            continue
        dx = max(box.lo[0] - x, 0.0, x - box.hi[0])
        dy = max(box.lo[1] - y, 0.0, y - box.hi[1])
        best = min(best, math.hypot(dx, dy))
    return best


def rasterize_world(world: World, pose: tuple[float, float, float], grid: SpatialGrid) -> None:
    """Write the true occupancy (1 inside a box footprint, 0 elsewhere) into ``grid``."""
    xs, ys = grid.geometry.cell_centres()
    bx, by = np.meshgrid(xs, ys)  # base-frame centres, rows along y
    x0, y0, yaw = pose
    c, s = math.cos(yaw), math.sin(yaw)
    wx = x0 + c * bx - s * by
    wy = y0 + s * bx + c * by
    occupied = np.zeros(bx.shape, dtype=bool)
    for box in world.boxes:
        occupied |= (wx >= box.lo[0]) & (wx <= box.hi[0]) & (wy >= box.lo[1]) & (wy <= box.hi[1])
    grid.layer('occupancy')[:] = occupied.astype(np.float32)


def footprint_collides(world: World, robot: Unicycle, radius: float) -> bool:
    """Whether a round robot of ``radius`` at the robot's pose touches a box."""
    return clearance(world, robot.x, robot.y) < radius


def run_kinematic_episode(
    world: World,
    policy: Any,
    gate: Any,
    grid: SpatialGrid,
    *,
    seconds: float,
    rate_hz: float = 10.0,
    radius: float = 0.3,
    start: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> dict[str, Any]:
    """Drive ``policy`` (a PolicyRuntime) through ``gate`` in ``world`` on true occupancy.

    Returns distance travelled, minimum clearance, whether it collided, final speed, the
    final pose, and ``trace``: one row (t, x, y, yaw, v, w) per control step.
    """
    from physical_ai_ros.core.policy.observation import PolicyInputs
    from physical_ai_ros.core.safety.control import feed_gate

    robot = Unicycle(*start)
    dt = 1.0 / rate_hz
    period_ns = int(1e9 * dt)
    travelled, min_clear, collided = 0.0, math.inf, False
    v = w = 0.0
    trace = []
    for k in range(int(seconds * rate_hz)):
        now = k * period_ns
        rasterize_world(world, (robot.x, robot.y, robot.yaw), grid)
        grid.stamp_ns = now
        feed_gate(gate, policy.step(PolicyInputs(grid=grid)), now)
        v, w = (float(c) for c in gate.update(now).command)
        before = (robot.x, robot.y)
        robot.step(v, w, dt)
        travelled += math.hypot(robot.x - before[0], robot.y - before[1])
        min_clear = min(min_clear, clearance(world, robot.x, robot.y))
        collided |= footprint_collides(world, robot, radius)
        trace.append((now / 1e9, robot.x, robot.y, robot.yaw, v, w))
    return {
        'travelled_m': travelled,
        'min_clearance_m': min_clear,
        'collided': float(collided),
        'final_speed': v,
        'x': robot.x,
        'y': robot.y,
        'trace': np.asarray(trace),
    }
