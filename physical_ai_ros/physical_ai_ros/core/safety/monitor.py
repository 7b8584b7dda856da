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


"""The collision monitor: zones and a speed-dependent protective field over raw range data.

Zones are fixed shapes in the base frame, each with an action — ``stop``, ``slowdown`` (scale
the command by a ratio), ``limit`` (cap linear and angular speed) — or the ``approach`` model
(the footprint swept along the command for ``time_before_collision_s``; the command scaled
so that nothing is hit sooner), as in Nav2's collision_monitor. The **protective field** is
the footprint swept along the braking path from the current speed (react, then brake at the
gate's own ``max_decel``) and on by a margin: it grows with speed as a safety scanner's
field sets do, and a hand-drawn stop zone can add to it, never shrink it. A zone acts when at
least ``min_points`` returns are inside it.

A rack stands where it stood a moment ago; a person about to step out may not. The **mover
field** (``mover_speed`` > 0) treats each return that moved (or came into view) since a scan
of the same sensor :data:`~.motion.BASELINE_S` earlier, the robot's own motion taken out
(:mod:`.motion`), as one that may come at the robot at that speed, as ISO 13855 adds an
approach speed times the stopping time to a safety distance: such a return ahead of the
braking path counts as inside when it could reach the footprint at a pose before the robot
gets there. Where some do, the robot's speed is capped at the fastest of a ladder of speeds
whose field is clear, down to ``mover_min_speed``; where none is, it stands until one is (a
crossing forklift passes). A person standing still is a standing return until it moves, and
the protective field covers whatever is in the path either way.

The monitor reads only :class:`~.sources.SourceTracker`'s raw points: no grid, no policy. A
silent or blind source is a stop. Stops resume once the field has been clear for
``release_time_s``, or stay latched until :meth:`CollisionMonitor.reset`. No clock: every
call takes ``now_ns``.
"""

from __future__ import annotations

from dataclasses import dataclass
import enum
import math
from typing import Any, Literal

import numpy as np

from physical_ai_ros.core.messages.stamps import NS_PER_S
from physical_ai_ros.core.safety.kinematics import (
    braking_path,
    constant_poses,
    Poses,
    to_pose_frames,
)
from physical_ai_ros.core.safety.returns import Distance, Returns
from physical_ai_ros.core.safety.shapes import Points, Shape
from physical_ai_ros.core.safety.sources import SourceProblem, SourceTracker

#: The zone name of the speed-dependent protective field.
PROTECTIVE_FIELD = 'protective_field'
#: The zone name of the speed cap that leaves a mover no time to reach the braking path.
MOVER_FIELD = 'mover_field'
#: Each lower speed the mover field tries is this fraction of the one before.
MOVER_SPEED_STEP = 0.7
#: A return's allowance for a mover rises from none beside a pose to full this far ahead of
#: it [m]: what walks into the robot's flank is not driven into, what comes in front is.
MOVER_RAMP_M = 0.2


class ZoneAction(enum.Enum):
    """What a zone does to the command when enough returns are inside it."""

    STOP = 'stop'
    SLOWDOWN = 'slowdown'
    LIMIT = 'limit'
    APPROACH = 'approach'


@dataclass(frozen=True)
class Zone:
    """One zone of the monitor.

    Attributes:
        name: its name (diagnostics, the zone's topic).
        action: what it does.
        shape: the region (base frame); None for ``approach`` (the swept footprint).
        min_points: returns inside before it acts (against single-return noise).
        ratio: ``slowdown``: the command is multiplied by this, in (0, 1].
        linear_limit: ``limit``: largest |linear| speed [m/s].
        angular_limit: ``limit``: largest |angular| speed [rad/s].
        time_before_collision_s: ``approach``: the look-ahead [s].
        enabled: whether it is checked (switchable at run time).
    """

    name: str
    action: ZoneAction
    shape: Shape | None = None
    min_points: int = 3
    ratio: float = 1.0
    linear_limit: float = math.inf
    angular_limit: float = math.inf
    time_before_collision_s: float = 0.0
    enabled: bool = True


@dataclass(frozen=True)
class MonitorConfig:
    """The monitor's geometry and rules.

    Attributes:
        footprint: the robot's outline in the base frame.
        reaction_time_s: from a return to the gate braking: sensor period, transport and one
            gate period [s].
        margin_m: how far beyond the standing pose the field reaches, along the path [m].
        lateral_margin_m: the field's clearance beside the swept footprint [m].
        min_points: returns inside the protective field before it stops the robot.
        decel: the gate's linear ``max_decel`` [m/s2]; the field is sized with it.
        angular_decel: the gate's angular ``max_decel`` [rad/s2].
        accel: the gate's linear ``max_accel``: the speed the robot may gain while reacting.
        angular_accel: the gate's angular ``max_accel``.
        zones: the hand-drawn zones, in the order they are reported.
        resume: ``clear``: a stop ends once the field is clear for ``release_time_s``;
            ``latched``: only :meth:`CollisionMonitor.reset` ends it.
        release_time_s: how long clear before a stop ends [s].
        mover_speed: how fast an obstacle may come at the robot [m/s]; 0: no mover field.
        mover_min_speed: the lowest speed the mover field tries before it caps at 0 [m/s].
    """

    footprint: Shape
    reaction_time_s: float
    margin_m: float
    lateral_margin_m: float
    min_points: int
    decel: float
    angular_decel: float
    accel: float
    angular_accel: float
    zones: tuple[Zone, ...] = ()
    resume: Literal['clear', 'latched'] = 'clear'
    release_time_s: float = 0.5
    mover_speed: float = 0.0
    mover_min_speed: float = 0.1


class MonitorAction(enum.Enum):
    """The monitor's verdict, mildest first."""

    FREE = 'free'
    APPROACH = 'approach'
    LIMIT = 'limit'
    SLOWDOWN = 'slowdown'
    STOP = 'stop'
    BLIND = 'blind'


@dataclass(frozen=True)
class MonitorVerdict:
    """What the monitor asks of the gate, and why (as data).

    Attributes:
        action: the most restrictive action asked.
        zone: the zone that asked it ('' when free); for ``BLIND`` the source's name.
        points: returns inside that zone; once the returns surely inside reach the zone's
            ``min_points``, the rest are not counted (the verdict is certain): at least.
        nearest_m: the nearest return's distance from the footprint now [m] (inf: none).
        scale: factor on the command (slowdown, approach), in [0, 1].
        linear_limit: cap on |linear| [m/s] (inf: none).
        angular_limit: cap on |angular| [rad/s] (inf: none).
        note: for ``BLIND``: the problem in words; for a latched stop: 'latched'.
    """

    action: MonitorAction
    zone: str = ''
    points: int = 0
    nearest_m: float = math.inf
    scale: float = 1.0
    linear_limit: float = math.inf
    angular_limit: float = math.inf
    note: str = ''

    @property
    def stopping(self) -> bool:
        """Whether the robot must stop."""
        return self.action in (MonitorAction.STOP, MonitorAction.BLIND)


FREE = MonitorVerdict(MonitorAction.FREE)


class CollisionMonitor:
    """Judges the newest returns of every source against the zones and the field."""

    def __init__(self, config: MonitorConfig, sources: SourceTracker) -> None:
        self.config = config
        self.sources = sources
        self._stopped: MonitorVerdict | None = None  # the stop being held
        self._clear_since_ns: int | None = None
        #: interventions (a verdict other than FREE starting) per zone
        self.interventions: dict[str, int] = {}
        #: the nearest return to the footprint seen since start [m] (diagnostics, reports)
        self.nearest_m = math.inf
        self.last: MonitorVerdict = FREE
        self._judged: MonitorVerdict = FREE  # the last check, and what it was made of
        self._judged_key: tuple[object, ...] | None = None
        self._configured = 0  # counts reconfigurations: a new config needs a new check

    def reconfigure(self, config: MonitorConfig) -> None:
        """New zones and rules from the next check on; a held stop stays held."""
        self.config = config
        self._configured += 1

    def reset(self) -> bool:
        """End a latched stop (the next check stops again if the field is not clear)."""
        was = self._stopped is not None
        self._stopped, self._clear_since_ns = None, None
        return was

    def check(
        self, now_ns: int, velocity: tuple[float, float], command: tuple[float, float]
    ) -> MonitorVerdict:
        """The verdict at ``now_ns``.

        Args:
            now_ns: the time of the check.
            velocity: the gate's current output (linear, angular).
            command: what the policy asks (linear, angular).
        """
        problems = self.sources.problems(now_ns)
        if problems:
            name = sorted(problems)[0]
            problem, detail = problems[name]
            note = problem.value + (f' ({detail})' if detail else '')
            verdict = MonitorVerdict(MonitorAction.BLIND, zone=name, note=note)
            # waiting for a source's first message is start-up, not an intervention
            return self._hold(now_ns, verdict, count=problem is not SourceProblem.NO_DATA)
        # the same returns, speed and command give the same verdict: at a steady speed the
        # gate's ticks between two clouds need no new check
        key = (self.sources.version, velocity, command, self._configured)
        if key != self._judged_key:
            self._judged = self._judge(self.sources.returns(), velocity, command)
            self._judged_key = key
        return self._hold(now_ns, self._judged)

    def _hold(self, now_ns: int, verdict: MonitorVerdict, *, count: bool = True) -> MonitorVerdict:
        """Apply the resume rule, and count interventions (unless ``count`` is false)."""
        if verdict.stopping:
            self._stopped, self._clear_since_ns = verdict, None
        elif self._stopped is not None:
            if self.config.resume == 'latched':
                verdict = _held(self._stopped, 'latched until reset')
            else:
                if self._clear_since_ns is None:
                    self._clear_since_ns = now_ns
                if now_ns - self._clear_since_ns < self.config.release_time_s * NS_PER_S:
                    verdict = _held(self._stopped, 'clearing')
                else:
                    self._stopped, self._clear_since_ns = None, None
        if (
            count
            and verdict.action is not MonitorAction.FREE
            and (verdict.action is not self.last.action or verdict.zone != self.last.zone)
        ):
            self.interventions[verdict.zone] = self.interventions.get(verdict.zone, 0) + 1
        self.last = verdict
        return verdict

    def _judge(
        self, points: Returns, velocity: tuple[float, float], command: tuple[float, float]
    ) -> MonitorVerdict:
        config = self.config
        nearest = points.min_distance(config.footprint.signed_distance)
        self.nearest_m = min(self.nearest_m, nearest)
        verdicts = []
        v, w = self._reachable(velocity, command)
        field = self._braking(v, w)
        inside = _count_swept(
            points, field, config.footprint, config.lateral_margin_m, enough=config.min_points
        )
        if inside >= config.min_points:
            verdicts.append(MonitorVerdict(MonitorAction.STOP, PROTECTIVE_FIELD, inside, nearest))
        elif config.mover_speed > 0.0:  # the moved returns are found only when asked for
            capped = self._mover_cap(self.sources.moving_returns(velocity), v, w, nearest)
            if capped is not None:
                verdicts.append(capped)
        for zone in config.zones:
            if zone.enabled:
                found = self._zone(zone, points, command, nearest)
                if found is not None:
                    verdicts.append(found)
        if not verdicts:
            return MonitorVerdict(MonitorAction.FREE, nearest_m=nearest)
        order = list(MonitorAction)
        worst = max(verdicts, key=lambda v: order.index(v.action))
        if worst.stopping:
            return worst
        # milder actions combine: every scale and cap applies
        return MonitorVerdict(
            worst.action,
            worst.zone,
            worst.points,
            nearest,
            scale=min(v.scale for v in verdicts),
            linear_limit=min(v.linear_limit for v in verdicts),
            angular_limit=min(v.angular_limit for v in verdicts),
        )

    def field_outline(self, velocity: tuple[float, float]) -> list[tuple[float, float]]:
        """The protective field at ``velocity``, as the convex hull of the swept footprint."""
        import cv2

        c = self.config
        poses, _ = braking_path(
            velocity[0], velocity[1], reaction_time_s=c.reaction_time_s, decel=c.decel,
            angular_decel=c.angular_decel, extra_m=c.margin_m,
        )  # fmt: skip
        outline = np.asarray(c.footprint.outline(), dtype=np.float64)
        cos, sin = np.cos(poses[:, 2])[:, None], np.sin(poses[:, 2])[:, None]
        x = poses[:, 0:1] + cos * outline[:, 0] - sin * outline[:, 1]
        y = poses[:, 1:2] + sin * outline[:, 0] + cos * outline[:, 1]
        swept = np.stack([x.ravel(), y.ravel()], axis=1).astype(np.float32)
        hull = cv2.convexHull(swept).reshape(-1, 2)
        return [(float(px), float(py)) for px, py in hull]

    def _reachable(
        self, velocity: tuple[float, float], command: tuple[float, float]
    ) -> tuple[float, float]:
        """The speed the robot may reach while reacting: the field is drawn from it."""
        c = self.config
        t = c.reaction_time_s

        def reachable(now: float, wanted: float, accel: float) -> float:
            return now + float(np.clip(wanted - now, -accel * t, accel * t))

        return reachable(velocity[0], command[0], c.accel), reachable(
            velocity[1], command[1], c.angular_accel
        )

    def _braking(self, v: float, w: float) -> Poses:
        """The braking path from ``(v, w)``, on by the margin."""
        c = self.config
        poses, _ = braking_path(
            v, w, reaction_time_s=c.reaction_time_s, decel=c.decel,
            angular_decel=c.angular_decel, extra_m=c.margin_m,
        )  # fmt: skip
        return poses

    def _mover_cap(
        self, points: Returns, v: float, w: float, nearest: float
    ) -> MonitorVerdict | None:
        """The mover field's speed cap; None when the speed ``v`` itself leaves it clear.

        Tries ``v``, then each :data:`MOVER_SPEED_STEP` of the one before while above
        ``mover_min_speed``: the first clear one is the cap, 0 when none is. The path at a
        tried speed is drawn as if the robot went at it now (the gate brakes to a lower cap
        at ``max_decel``).
        """
        c = self.config
        if c.mover_speed <= 0.0 or v == 0.0 or not points.size:
            return None
        speed, found = abs(v), 0  # the returns that ask for a cap: those at ``v``
        while speed == abs(v) or speed >= c.mover_min_speed:
            tried = math.copysign(speed, v)
            poses, times = braking_path(
                tried, w, reaction_time_s=c.reaction_time_s, decel=c.decel,
                angular_decel=c.angular_decel, extra_m=c.margin_m,
            )  # fmt: skip
            distance, lipschitz = _mover_distance(c.footprint, poses, times, c.mover_speed, tried)
            inside = points.count_within(
                distance, c.lateral_margin_m, enough=c.min_points, lipschitz=lipschitz
            )
            if inside < c.min_points:
                if speed == abs(v):
                    return None
                return MonitorVerdict(
                    MonitorAction.LIMIT, MOVER_FIELD, found, nearest, linear_limit=speed
                )
            found = found or inside
            speed *= MOVER_SPEED_STEP
        return MonitorVerdict(MonitorAction.LIMIT, MOVER_FIELD, found, nearest, linear_limit=0.0)

    def _zone(
        self, zone: Zone, points: Returns, command: tuple[float, float], nearest: float
    ) -> MonitorVerdict | None:
        if zone.action is ZoneAction.APPROACH:
            return self._approach(zone, points, command, nearest)
        assert zone.shape is not None
        inside = points.count_within(zone.shape.signed_distance, 0.0, enough=zone.min_points)
        if inside < zone.min_points:
            return None
        action = MonitorAction[zone.action.name]
        return MonitorVerdict(
            action,
            zone.name,
            inside,
            nearest,
            scale=zone.ratio if zone.action is ZoneAction.SLOWDOWN else 1.0,
            linear_limit=zone.linear_limit if zone.action is ZoneAction.LIMIT else math.inf,
            angular_limit=zone.angular_limit if zone.action is ZoneAction.LIMIT else math.inf,
        )

    def _approach(
        self, zone: Zone, points: Returns, command: tuple[float, float], nearest: float
    ) -> MonitorVerdict | None:
        """Nav2's approach model: scale the command so nothing is hit within the look-ahead."""
        horizon = zone.time_before_collision_s
        if not points.size or (command[0] == 0.0 and command[1] == 0.0):
            return None
        poses, times = constant_poses(command[0], command[1], horizon)
        for k in range(poses.shape[0]):  # the first pose that hits: later ones need no test
            footprint = _footprint_at(self.config.footprint, poses[k : k + 1])
            hits = points.count_within(footprint, 0.0, enough=zone.min_points)
            if hits >= zone.min_points:
                return MonitorVerdict(
                    MonitorAction.APPROACH, zone.name, hits, nearest,
                    scale=float(times[k] / horizon) if horizon > 0 else 0.0,
                )  # fmt: skip
        return None


def _held(stop: MonitorVerdict, note: str) -> MonitorVerdict:
    return MonitorVerdict(
        stop.action, stop.zone, stop.points, stop.nearest_m, scale=0.0, note=note
    )


def _footprint_at(footprint: Shape, poses: Poses) -> Distance:
    """The distance to the footprint at the nearest of ``poses`` (1-Lipschitz, as cells need)."""

    def distance(points: Points) -> np.ndarray[Any, np.dtype[np.float64]]:
        local = to_pose_frames(points, poses)
        d = footprint.signed_distance(local.reshape(-1, 2)).reshape(local.shape[:2])
        least: np.ndarray[Any, np.dtype[np.float64]] = d.min(axis=0)
        return least

    return distance


def _mover_distance(
    footprint: Shape, poses: Poses, times: np.ndarray[Any, Any], speed: float, v: float
) -> tuple[Distance, float]:
    """The mover field's distance, and its Lipschitz bound.

    At each pose, the distance to the footprint less what a mover covers at ``speed`` by the
    time the robot is there, for returns ahead of the pose in the direction of travel (the
    allowance ramps in over :data:`MOVER_RAMP_M`); the least over the poses.
    """
    allowance = speed * np.asarray(times, dtype=np.float64)[:, None]  # (K, 1)
    forward = 1.0 if v >= 0.0 else -1.0

    def distance(points: Points) -> np.ndarray[Any, np.dtype[np.float64]]:
        local = to_pose_frames(points, poses)
        d = footprint.signed_distance(local.reshape(-1, 2)).reshape(local.shape[:2])
        ahead = np.clip(forward * local[..., 0] * (1.0 / MOVER_RAMP_M), 0.0, 1.0)
        least: np.ndarray[Any, np.dtype[np.float64]] = (d - allowance * ahead).min(axis=0)
        return least

    return distance, 1.0 + float(allowance.max(initial=0.0)) / MOVER_RAMP_M


def _count_swept(
    points: Returns, poses: Poses, footprint: Shape, margin: float, *, enough: int
) -> int:
    """Returns within ``margin`` of the footprint at any of ``poses`` (at least ``enough``)."""
    return points.count_within(_footprint_at(footprint, poses), margin, enough=enough)
