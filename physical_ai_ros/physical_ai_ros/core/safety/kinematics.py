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


"""Where the robot will be: its braking path and its path under a constant command.

A differential (unicycle) base at speed ``v`` and turn rate ``w``. :func:`braking_path`
keeps the command for the reaction time and then brakes each axis at its own deceleration,
as the gate does on a stop; the footprint swept along those poses is the speed-dependent
protective field. :func:`constant_poses` keeps the command for a while (the approach zone).
Poses are sampled closely enough that the footprint never skips more than ``step_m`` or
``step_rad`` between two of them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

Poses = np.ndarray[Any, np.dtype[np.float64]]  # (K, 3) x, y, yaw in the base frame now


def stopping_distance(speed: float, reaction_time_s: float, decel: float) -> float:
    """``v * t_react + v^2 / (2 * decel)`` [m]: the distance to stand still from ``speed``."""
    v = abs(speed)
    return v * reaction_time_s + v * v / (2.0 * decel)


def braking_path(
    v: float,
    w: float,
    *,
    reaction_time_s: float,
    decel: float,
    angular_decel: float,
    extra_m: float = 0.0,
    step_m: float = 0.05,
    step_rad: float = 0.1,
) -> tuple[Poses, np.ndarray[Any, np.dtype[np.float64]]]:
    """Poses from now until the robot stands, braking after ``reaction_time_s``, and when [s].

    ``extra_m`` goes on beyond the standing pose, straight along its heading in the direction
    of travel: the margin a stop must keep from an obstacle ahead (none sideways); those poses
    get the time the robot stands.
    """
    t_v = reaction_time_s + abs(v) / decel
    t_w = reaction_time_s + abs(w) / angular_decel
    horizon = max(t_v, t_w)

    def speed(t: np.ndarray[Any, Any], value: float, rate: float) -> np.ndarray[Any, Any]:
        braking = np.clip(t - reaction_time_s, 0.0, None)
        out: np.ndarray[Any, Any] = np.sign(value) * np.clip(abs(value) - rate * braking, 0, None)
        return out

    poses = _integrate(
        horizon,
        lambda t: speed(t, v, decel),
        lambda t: speed(t, w, angular_decel),
        travel=abs(v) * horizon,  # the fastest part sets the sampling
        turn=abs(w) * horizon,
        step_m=step_m,
        step_rad=step_rad,
    )
    times = np.linspace(0.0, max(horizon, 0.0), poses.shape[0])
    if extra_m <= 0.0 or v == 0.0:
        return poses, times
    steps = np.linspace(0.0, extra_m, 2 + math.ceil(extra_m / step_m))[1:] * math.copysign(1, v)
    x, y, yaw = poses[-1]
    beyond = np.stack(
        [x + steps * math.cos(yaw), y + steps * math.sin(yaw), np.full_like(steps, yaw)], axis=1
    )
    return np.concatenate([poses, beyond]), np.concatenate([times, np.full(len(steps), horizon)])


def constant_poses(
    v: float, w: float, horizon_s: float, *, step_m: float = 0.05, step_rad: float = 0.1
) -> tuple[Poses, np.ndarray[Any, np.dtype[np.float64]]]:
    """Poses under a constant command for ``horizon_s``, and the time of each [s]."""
    poses = _integrate(
        horizon_s,
        lambda t: np.full_like(t, v),
        lambda t: np.full_like(t, w),
        travel=abs(v) * horizon_s,
        turn=abs(w) * horizon_s,
        step_m=step_m,
        step_rad=step_rad,
    )
    times = np.linspace(0.0, horizon_s, poses.shape[0])
    return poses, times


def _integrate(
    horizon: float,
    v_of: Any,
    w_of: Any,
    *,
    travel: float,
    turn: float,
    step_m: float,
    step_rad: float,
) -> Poses:
    """Unicycle poses over ``[0, horizon]``, midpoint rule, sampled by distance and angle."""
    count = 1 + max(1, math.ceil(max(travel / step_m, turn / step_rad)))
    count = min(count, 400)  # 20 m at 0.05 m: a field never needs more
    t = np.linspace(0.0, max(horizon, 0.0), count)
    dt = np.diff(t)
    mid = t[:-1] + dt / 2.0
    v, w = v_of(mid), w_of(mid)
    yaw = np.concatenate([[0.0], np.cumsum(w * dt)])
    yaw_mid = (yaw[:-1] + yaw[1:]) / 2.0
    x = np.concatenate([[0.0], np.cumsum(v * np.cos(yaw_mid) * dt)])
    y = np.concatenate([[0.0], np.cumsum(v * np.sin(yaw_mid) * dt)])
    return np.stack([x, y, yaw], axis=1)


def to_pose_frames(points: np.ndarray[Any, Any], poses: Poses) -> np.ndarray[Any, Any]:
    """``(N, 2)`` base-frame points seen from each of ``(K, 3)`` poses: ``(K, N, 2)``."""
    c, s = np.cos(poses[:, 2])[:, None], np.sin(poses[:, 2])[:, None]
    dx = points[None, :, 0] - poses[:, 0:1]
    dy = points[None, :, 1] - poses[:, 1:2]
    return np.stack([c * dx + s * dy, -s * dx + c * dy], axis=-1)
