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

"""A MuJoCo world running a :class:`~physical_ai_ros.sim.scene.Scenario`, with its sensors.

Lidar: ``mj_multiRay`` from the lidar site in the beam pattern of a spinning lidar (channels
over a vertical field of view, columns over 360 degrees), with range noise and dropouts, as an
organized cloud laid out like an Ouster driver's. Camera: offscreen rendering (set
``MUJOCO_GL=egl`` on a machine without a display) with the CameraInfo that matches its
``fovy``. IoT: temperatures falling off from the hot machine, with noise.
"""

from __future__ import annotations

import math
from typing import Any

import mujoco  # after physical_ai_ros.sim chose the GL backend
import numpy as np

from physical_ai_ros.sim.scene import ROBOT_RADIUS, Scenario, to_mjcf
from physical_ai_ros.sim.sensors import beam_directions, CameraSpec, LidarSpec, organized_scan


class SimWorld:
    """The compiled scene, its state, and sensor models."""

    def __init__(
        self, scenario: Scenario, lidar: LidarSpec | None = None, camera: CameraSpec | None = None
    ) -> None:
        self.scenario = scenario
        self.lidar = lidar = lidar or LidarSpec()
        self.camera = camera = camera or CameraSpec()
        self.model = mujoco.MjModel.from_xml_string(to_mjcf(scenario, camera_fovy=camera.fovy_deg))
        self.data = mujoco.MjData(self.model)
        self.rng = np.random.default_rng(scenario.seed + 1)
        self._robot = self.model.body('robot').id
        self._robot_geom = self.model.geom('robot').id
        self._site = self.model.site('lidar').id
        self._joints = [self.model.joint(n).qposadr[0] for n in ('x', 'y', 'yaw')]
        self._obstacle_geoms = [self.model.geom(o.name).id for o in scenario.obstacles] + [
            self.model.geom(m.name).id for m in scenario.movers
        ]
        self._names = {self.model.geom(n).id: n for n in self.obstacle_names()}
        self._beams = beam_directions(lidar.channels, lidar.columns, lidar.vfov_deg)
        n = self._beams.shape[0]
        self._geomid = np.zeros(n, np.int32)
        self._dist = np.zeros(n)
        self._renderer: Any = None
        self.data.qpos[self._joints[2]] = scenario.start[2]
        self._place_movers()
        mujoco.mj_forward(self.model, self.data)

    @property
    def time(self) -> float:
        """Simulated time [s]."""
        return float(self.data.time)

    def pose(self) -> tuple[float, float, float]:
        """Robot pose in the world: x, y, yaw."""
        x0, y0, _ = self.scenario.start
        qx, qy, qyaw = (float(self.data.qpos[j]) for j in self._joints)
        return x0 + qx, y0 + qy, qyaw

    def velocity(self) -> tuple[float, float]:
        """Forward speed and yaw rate of the robot in its own frame."""
        dofs = [self.model.joint(n).dofadr[0] for n in ('x', 'y', 'yaw')]
        vx, vy, wz = (float(self.data.qvel[d]) for d in dofs)
        yaw = self.pose()[2]
        return vx * math.cos(yaw) + vy * math.sin(yaw), wz

    def step(self, v: float, w: float, duration: float) -> None:
        """Drive at forward speed ``v`` and yaw rate ``w`` for ``duration`` seconds."""
        end = self.data.time + duration - 1e-9
        while self.data.time < end:
            yaw = self.pose()[2]
            self.data.ctrl[:] = (v * math.cos(yaw), v * math.sin(yaw), w)
            self._place_movers()
            mujoco.mj_step(self.model, self.data)

    def _place_movers(self) -> None:
        for k, mover in enumerate(self.scenario.movers):
            x, y = mover.position(self.data.time)
            self.data.mocap_pos[k] = (x, y, mover.half[2])

    def lidar_scan(self) -> np.ndarray[Any, Any]:
        """An organized (channels, columns) scan in the lidar frame; no return is NaN."""
        origin = self.data.site_xpos[self._site].copy()
        rotation = self.data.site_xmat[self._site].reshape(3, 3)
        world = np.ascontiguousarray(self._beams @ rotation.T).reshape(-1)
        mujoco.mj_multiRay(
            self.model,
            self.data,
            origin,
            world,
            None,
            1,
            self._robot,
            self._geomid,
            self._dist,
            None,
            self._beams.shape[0],
            self.lidar.max_range,
        )
        distance = self._dist.copy()
        distance[distance < 0] = np.nan  # -1: no hit
        distance += self.rng.normal(0.0, self.scenario.range_noise, distance.shape)
        distance[self.rng.random(distance.shape) < self.scenario.dropout] = np.nan
        return organized_scan(self._beams, distance, self.lidar.channels, self.lidar.columns)

    def render(self) -> np.ndarray[Any, Any]:
        """The front camera's RGB frame (H, W, 3)."""
        if self._renderer is None:
            self._renderer = mujoco.Renderer(self.model, self.camera.height, self.camera.width)
        self._renderer.update_scene(self.data, camera='front')
        return np.asarray(self._renderer.render()).copy()

    def camera_intrinsics(self) -> tuple[float, float, float]:
        """(f, cx, cy) of the rendered image, from MuJoCo's vertical field of view."""
        f = self.camera.focal_px
        return f, (self.camera.width - 1) / 2.0, (self.camera.height - 1) / 2.0

    def mount(self, name: str) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Pose of the lidar site or the camera's optical frame in the robot body frame."""
        # base_link is on the floor under the body origin, which stands at the body's height
        lift = np.array([0.0, 0.0, float(self.model.body('robot').pos[2])])
        if name == 'lidar':
            return self.model.site_pos[self._site] + lift, np.eye(3)
        camera = self.model.camera('front')
        rotation = np.zeros(9)
        mujoco.mju_quat2Mat(rotation, camera.quat)
        # MuJoCo cameras look down -z with +y up; the optical frame looks down +z with +y down
        return camera.pos + lift, rotation.reshape(3, 3) @ np.diag([1.0, -1.0, -1.0])

    def temperature(self, position: tuple[float, float, float]) -> float:
        """Air temperature at a sensor [degC]: 21 ambient, up to +60 near the hot machine."""
        d2 = sum((a - b) ** 2 for a, b in zip(position, self.scenario.hot_machine, strict=True))
        return 21.0 + 60.0 * math.exp(-d2 / 4.0) + float(self.rng.normal(0.0, 0.2))

    def vibration(self) -> float:
        """RMS vibration of the hot machine [m/s2]: a running motor's hum, with noise."""
        return 2.5 + 0.4 * math.sin(0.7 * self.time) + float(self.rng.normal(0.0, 0.05))

    def clearance(self) -> float:
        """Distance from the robot's footprint to the nearest obstacle [m] (0 when touching)."""
        fromto = np.zeros(6)
        best = math.inf
        for geom in self._obstacle_geoms:
            best = min(
                best,
                mujoco.mj_geomDistance(
                    self.model, self.data, self._robot_geom, geom, 10.0, fromto
                ),
            )
        return max(best, 0.0)

    def obstacle_names(self) -> list[str]:
        """Names of everything the robot can hit: the static boxes, then the movers."""
        scenario = self.scenario
        return [o.name for o in scenario.obstacles] + [m.name for m in scenario.movers]

    def touched(self) -> set[str]:
        """Names of the obstacles the robot touches now (``person``, ``rack_left`` ...)."""
        names = set()
        for contact in self.data.contact[: self.data.ncon]:
            if self._robot_geom in (contact.geom1, contact.geom2):
                other = contact.geom2 if contact.geom1 == self._robot_geom else contact.geom1
                if other in self._names:
                    names.add(self._names[other])
        return names

    def closing_speeds(self, commanded: float) -> dict[str, float]:
        """Per touched obstacle, how fast the robot drives towards it [m/s].

        The ``commanded`` forward speed along the contact normal (from the robot to the
        obstacle): above zero the robot drives into it; at zero or below it stands, or drives
        along or away while the obstacle comes at it (a mover walking into a standing or
        passing robot). The command, not the body's velocity: a robot pushed into a rack by a
        forklift did not drive there.
        """
        yaw = self.pose()[2]
        vx, vy = commanded * math.cos(yaw), commanded * math.sin(yaw)
        speeds: dict[str, float] = {}
        for contact in self.data.contact[: self.data.ncon]:
            if self._robot_geom not in (contact.geom1, contact.geom2):
                continue
            other = contact.geom2 if contact.geom1 == self._robot_geom else contact.geom1
            if other not in self._names:
                continue
            sign = 1.0 if contact.geom1 == self._robot_geom else -1.0  # normal: geom1 -> geom2
            nx, ny = sign * float(contact.frame[0]), sign * float(contact.frame[1])
            name = self._names[other]
            speeds[name] = max(speeds.get(name, -math.inf), vx * nx + vy * ny)
        return speeds

    def collided(self) -> bool:
        """Whether the robot touches an obstacle now."""
        return bool(self.touched())


def quaternion(rotation: np.ndarray[Any, Any]) -> tuple[float, float, float, float]:
    """(x, y, z, w) of a 3x3 rotation, as ROS orders a quaternion."""
    wxyz = np.zeros(4)
    mujoco.mju_mat2Quat(wxyz, np.ascontiguousarray(rotation, dtype=np.float64).reshape(-1))
    w, x, y, z = (float(v) for v in wxyz)
    return x, y, z, w


__all__ = ['ROBOT_RADIUS', 'CameraSpec', 'LidarSpec', 'SimWorld', 'quaternion']
