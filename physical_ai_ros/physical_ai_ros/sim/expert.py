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
place and every mover's path and speed. Its commands are what ``sim collect`` records as the
actions to imitate, so it drives in a way a learner can copy from what the grid shows:

- the aisle's middle until the pallet is in sight, then one lane on its free side near the
  rack (a side lane: a mover sweeping the aisle is near one side for about a third of its
  period, near the middle twice per period), so the only choice left is when to cross;
- full speed, except short of a mover's crossing while crossing now at full speed would
  share it with the mover (its future path, which the expert knows): then it slows to stop
  :data:`WAIT_SHORT` before the crossing and goes as soon as it is clear. Whether it is
  clear depends on where the mover is and which way it goes, which a grid and the grid a
  moment earlier show. A learner that brakes late and creeps past the waiting point is
  told to stop until its footprint would touch the mover's path (where going on is the way
  out): told 'go' there instead, clones learnt to creep into the crossing and go.

An earlier expert chose among five lanes and four speeds by the movers' futures; its
choices were right but could not be told from the grid, and policies cloned from it drove
into the person in half of the held-out episodes.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

from physical_ai_ros.sim.scene import Mover, ROBOT_RADIUS, Scenario

MAX_SPEED = 0.8  # m/s, the shipped params' velocity limit
MAX_TURN = 1.0  # rad/s
LANE = 1.0  # m from the aisle's middle: 0.38 m between the footprint and a rack (at 1.7 m)
SEE_PALLET = 3.0  # m between the robot and the pallet when it moves to its lane
LOOK_AHEAD = 1.5  # m: the heading aims at the lane this far ahead
TURN_GAIN = 1.5  # rad/s per rad of heading error
MOVER_MARGIN = 0.2  # m between the footprint and a mover at the closest predicted moment
WAIT_SHORT = 0.3  # m before a crossing where the robot waits for it to clear
BRAKE_GAIN = 0.8  # m/s per m left to the waiting point
HORIZON_STEP = 0.05  # s between the predicted positions checked


@dataclass(frozen=True)
class Expert:
    """The scenario's expert driver (see the module docstring)."""

    scenario: Scenario

    def command(self, x: float, y: float, yaw: float, t: float) -> tuple[float, float]:
        """(linear.x, angular.z) for the robot at (x, y, yaw) at scenario time ``t``."""
        lane = self.lane(x)
        error = _wrap(math.atan2(lane - y, LOOK_AHEAD) - yaw)
        w = max(-MAX_TURN, min(MAX_TURN, TURN_GAIN * error))
        # slower while pointing away from the lane: smooth, so that it can be imitated
        return self._speed(x, lane, t) * max(0.25, math.cos(error)), w

    def lane(self, x: float) -> float:
        """The y to hold at ``x``: the middle, then :data:`LANE` on the pallet's free side.

        It moves over once the pallet is :data:`SEE_PALLET` ahead, well inside the grid the
        policy sees (4 m ahead): from farther away nothing the policy sees tells the side.
        """
        for box in self.scenario.obstacles:
            if box.name == 'pallet' and x > box.centre[0] - box.half[0] - SEE_PALLET:
                return -math.copysign(LANE, box.centre[1])
        return 0.0

    def _speed(self, x: float, lane: float, t: float) -> float:
        """Full speed, or braking to wait short of a crossing that is not clear now."""
        for mover in sorted(self.scenario.movers, key=lambda m: m.start[0]):
            hx, hy = mover.half[0], mover.half[1]
            entry = mover.start[0] - hx - ROBOT_RADIUS - MOVER_MARGIN
            length = 2 * (hx + ROBOT_RADIUS + MOVER_MARGIN)
            if x > entry + length:
                continue  # crossed
            if x > entry + MOVER_MARGIN:
                return MAX_SPEED  # the footprint is in the mover's path: clear it
            # short of the path, even past the waiting point (a learner that crept on):
            # stopped there, the mover passes in front
            distance = max(0.0, entry - x)
            left = entry + length - x - distance
            if _conflict(mover, lane, t, distance, left, MAX_SPEED, hy):
                return max(0.0, min(MAX_SPEED, BRAKE_GAIN * (distance - WAIT_SHORT)))
            return MAX_SPEED
        return MAX_SPEED


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
