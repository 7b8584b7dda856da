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

"""A privileged expert for the MuJoCo scenarios: it knows where everything is and will be.

The policy sees a local occupancy grid; the expert reads the scenario itself: the pallet's
place (it passes on the free side, keeping a margin to pallet and racks) and every mover's
path and speed (it predicts when the robot would share the crossing with the person or the
forklift and holds back before the crossing until it is clear). Its commands are what
``sim collect`` records as the actions to imitate.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

from physical_ai_ros.sim.scene import Mover, ROBOT_RADIUS, Scenario

MAX_SPEED = 0.8  # m/s, the shipped params' velocity limit
MAX_TURN = 1.0  # rad/s
MARGIN = 0.25  # m kept between the robot's footprint and anything
LOOK_AHEAD = 1.5  # m: the heading aims at the lane this far ahead
TURN_GAIN = 1.5  # rad/s per rad of heading error
SPEEDS = (0.8, 0.65, 0.5, 0.35)  # tried fastest first when a mover may cross
LANES = (0.0, -0.6, 0.6, -1.1, 1.1)  # y across the aisle a crossing may take (racks at 1.7)
SIDE_LANES = (-1.1, 1.1)  # where to wait for a crossing
MOVER_MARGIN = 0.1  # m between the footprint and a mover at the closest predicted moment
PLAN_AHEAD = 4.0  # m before a crossing from which its lane and speed are chosen
HORIZON_STEP = 0.05  # s between the predicted positions checked


@dataclass(frozen=True)
class Expert:
    """The scenario's expert driver (see the module docstring)."""

    scenario: Scenario

    def command(self, x: float, y: float, yaw: float, t: float) -> tuple[float, float]:
        """(linear.x, angular.z) for the robot at (x, y, yaw) at scenario time ``t``."""
        lane, v = self._plan(x, y, t)
        error = _wrap(math.atan2(lane - y, LOOK_AHEAD) - yaw)
        w = max(-MAX_TURN, min(MAX_TURN, TURN_GAIN * error))
        # slower while pointing away from the lane: smooth, so that it can be imitated
        return v * max(0.25, math.cos(error)), w

    def _plan(self, x: float, y: float, t: float) -> tuple[float, float]:
        """(lane y, speed): the plan at (x, y) and time ``t``.

        Past the pallet on its free side; across a mover's path where and when it is clear,
        fastest first and nearest lane first; else wait short of the crossing.
        """
        lane = self._pallet_lane(x)
        mover = self._next_crossing(x)
        if mover is None:
            return lane, MAX_SPEED
        mx, hx, hy = mover.start[0], mover.half[0], mover.half[1]
        entry = mx - hx - ROBOT_RADIUS - MOVER_MARGIN
        length = 2 * (hx + ROBOT_RADIUS + MOVER_MARGIN)
        distance = max(0.0, entry - x)
        if distance > PLAN_AHEAD:
            return lane, MAX_SPEED
        if x > entry:  # inside: clear it at full speed, holding the lane
            return y, MAX_SPEED
        beside_pallet = lane != 0.0  # no lane to choose while passing the pallet
        lanes = (lane,) if beside_pallet else tuple(sorted(LANES, key=lambda c: abs(c - y)))
        for v in SPEEDS:
            for candidate in lanes:
                # reaching a farther lane takes time: only lanes it can reach before entering
                if abs(candidate - y) > 0.25 + distance * 0.5:
                    continue
                if not _conflict(mover, candidate, t, distance, length, v, hy):
                    return candidate, v
        # not now: wait short of the crossing, at the side of the aisle nearest (a mover
        # sweeping the aisle leaves a side free longer than the middle)
        wait = lane if beside_pallet else min(SIDE_LANES, key=lambda c: abs(c - y))
        return wait, max(0.0, min(MAX_SPEED, 0.8 * (distance - 0.3)))

    def _pallet_lane(self, x: float) -> float:
        """The y to hold at ``x``: 0, or beside the pallet on its free side."""
        for box in self.scenario.obstacles:
            if box.name != 'pallet':
                continue
            px, py = box.centre
            hx, hy = box.half[0], box.half[1]
            if px - hx - 3.0 < x < px + hx + ROBOT_RADIUS + 0.6:
                edge = abs(py) - hy  # the pallet's side nearest the aisle's middle
                offset = max(0.0, ROBOT_RADIUS + MARGIN + 0.2 - edge)
                return -math.copysign(max(offset, 0.8), py)
        return 0.0

    def _next_crossing(self, x: float) -> Mover | None:
        """The first mover whose path the robot has not crossed yet."""
        ahead = [
            m for m in self.scenario.movers
            if x < m.start[0] + m.half[0] + ROBOT_RADIUS + MOVER_MARGIN
        ]  # fmt: skip
        return min(ahead, key=lambda m: m.start[0], default=None)


def _conflict(
    mover: Mover, lane: float, t: float, distance: float, length: float, v: float,
    half_y: float,
) -> bool:  # fmt: skip
    """Whether at speed ``v`` the robot is in the crossing while the mover is in its way."""
    enter, leave = t + distance / v, t + (distance + length) / v
    reach = half_y + ROBOT_RADIUS + MOVER_MARGIN
    steps = int((leave - enter) / HORIZON_STEP) + 2
    for k in range(steps):
        _, my = mover.position(enter + k * HORIZON_STEP)
        if abs(my - lane) < reach:
            return True
    return False


def _wrap(angle: float) -> float:
    return (angle + math.pi) % (2 * math.pi) - math.pi


__all__ = ['Expert']
