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

"""Perception: lidar, cameras and IoT fused into the shared :class:`SpatialGrid`.

Messages are handed in as they arrive (``on_cloud``, ``on_image`` ...); each returns None or
why it was dropped (a :class:`Drop`: malformed, out of order, duplicate), and every drop is
counted. When the key source (by default the first lidar) delivers,
:meth:`Perception.update` builds the next grid from the newest data of every source within its
skew or age limits; a source past its timeout is reported stale (a :class:`Stale`) and what it
feeds stays unknown (NaN) in the grid.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from physical_ai_ros.core.errors import PhysicalAiError
from physical_ai_ros.core.messages.camera import PinholeCamera
from physical_ai_ros.core.messages.image import (
    compressed_size,
    compressed_to_array,
    image_to_array,
)
from physical_ai_ros.core.messages.stamps import NS_PER_S, stamp_to_ns
from physical_ai_ros.core.perception.fusion import CameraView, colour_points, floor_colours
from physical_ai_ros.core.perception.grid import GridGeometry, SpatialGrid
from physical_ai_ros.core.perception.ground import fit_ground, GroundConfig
from physical_ai_ros.core.perception.iot import IotSensorConfig, IotTracker, reading_from_msg
from physical_ai_ros.core.perception.lidar import (
    CropConfig,
    LidarFrame,
    merge_frames,
    prepare_cloud,
    VoxelFilter,
)
from physical_ai_ros.core.perception.mapping import FrameInput, GridMapper, MappingConfig
from physical_ai_ros.core.perception.reasons import Drop, DropKind, Stale, StaleKind
from physical_ai_ros.core.perception.sources import SourceMonitor
from physical_ai_ros.core.perception.transforms import Matrix, yaw_of_quaternion


@dataclass(frozen=True)
class SensorSource:
    """A lidar or camera input.

    Attributes:
        name: the source's name (used in parameters, diagnostics and topic names).
        extrinsic: base-from-sensor 4x4, or None to wait for it from TF.
        timeout_s: past this age the source is stale [s].
        max_skew_s: data further than this from the key stamp is not fused [s].
    """

    name: str
    extrinsic: Matrix | None = None
    timeout_s: float = 0.5
    max_skew_s: float = 0.1


@dataclass(frozen=True)
class PerceptionConfig:
    """Everything perception needs (built from parameters by :mod:`core.params`)."""

    geometry: GridGeometry
    lidars: tuple[SensorSource, ...]
    cameras: tuple[SensorSource, ...] = ()
    iot: tuple[IotSensorConfig, ...] = ()
    crop: CropConfig = field(default_factory=CropConfig)
    ground: GroundConfig = field(default_factory=GroundConfig)
    mapping: MappingConfig = field(default_factory=MappingConfig)
    key_source: str = ''
    odom_timeout_s: float = 0.5
    odom_loss_grace_s: float = 0.0  # mapping without ego-motion after odometry is lost [s]
    use_odometry: bool = True
    ipm: bool = False
    camera_decode_scale: int = 1
    base_frame: str = 'base_link'
    min_lidar_returns: int = 100
    max_future_s: float = 0.2

    def __post_init__(self) -> None:
        if not self.lidars:
            raise ValueError('perception needs at least one lidar')
        names = [s.name for s in (*self.lidars, *self.cameras)]
        if len(set(names)) != len(names):
            raise ValueError(f'source names repeat: {names}')
        if self.key_source and self.key_source not in [s.name for s in self.lidars]:
            raise ValueError(
                f'key_source {self.key_source!r} is not a lidar: {[s.name for s in self.lidars]}'
            )

    @property
    def key(self) -> str:
        """The source whose arrival triggers an update."""
        return self.key_source or self.lidars[0].name


@dataclass
class PerceptionUpdate:
    """What one update did.

    Attributes:
        grid: the live grid (updated in place; copy it to keep a snapshot).
        stamp_ns: stamp of the update (the key source's).
        used: sources fused into this update.
        stale: sources left out, with why.
        counts: cells and points touched.
    """

    grid: SpatialGrid
    stamp_ns: int
    used: list[str]
    stale: dict[str, Stale]
    counts: dict[str, int]


@dataclass
class _Camera:
    model: PinholeCamera | None = None
    message: Any = None
    compressed: bool = False
    stamp_ns: int = 0


@dataclass
class PerceptionStatus:
    """Counters for diagnostics."""

    errors: Counter[str] = field(default_factory=Counter)
    last_error: dict[str, Drop] = field(default_factory=dict)
    updates: int = 0


class Perception:
    """The perception stage (see the module docstring)."""

    def __init__(self, config: PerceptionConfig) -> None:
        self.config = config
        self.iot = IotTracker(list(config.iot), config.max_future_s)
        units = {s.quantity: s.unit for s in reversed(config.iot)}
        extra = [(f'iot_{q}', units[q]) for q in self.iot.quantities()]
        self.mapper = GridMapper(
            config.geometry, config.mapping, extra, frame_id=config.base_frame
        )
        self.voxels = VoxelFilter(config.crop)
        self.extrinsics: dict[str, Matrix] = {
            s.name: s.extrinsic
            for s in (*config.lidars, *config.cameras)
            if s.extrinsic is not None
        }
        self.frames: dict[str, str] = {}  # the frame each sensor's data is in, once known
        self.monitor = SourceMonitor(_timeouts(config), config.max_future_s)
        self.clouds: dict[str, tuple[Any, int]] = {}
        self.cameras: dict[str, _Camera] = {s.name: _Camera() for s in config.cameras}
        self.pose: tuple[float, float, float] | None = None
        self.twist: dict[str, float] = {}
        self.status = PerceptionStatus()

    @property
    def grid(self) -> SpatialGrid:
        """The live grid."""
        return self.mapper.grid

    def reconfigure(self, config: PerceptionConfig) -> None:
        """Take new thresholds from the next message on; the grid and sources' state stay.

        Timeouts, skews, crop, ground, mapping, IoT ranges and camera settings change; the
        extrinsics set from TF are kept.

        Raises:
            ValueError: ``config`` changes what the running stage is built around: the grid's
                geometry, the sources, the IoT sensors or their positions, the base frame.
        """
        now, new = _fixed(self.config), _fixed(config)
        changed = [name for name in now if new[name] != now[name]]
        if changed:
            raise ValueError(f'perception: {", ".join(changed)} cannot change while running')
        self.config = config
        self.voxels = VoxelFilter(config.crop)
        self.mapper.config = config.mapping
        self.iot.sensors = {s.sensor_id: s for s in config.iot}
        self.monitor.timeouts_s = _timeouts(config)
        self.monitor.max_future_s = self.iot.max_future_s = config.max_future_s

    def set_extrinsic(
        self, source: str, base_from_sensor: Matrix, frame_id: str | None = None
    ) -> None:
        """Set a sensor's pose in the base frame (from TF, or replacing the parameter).

        ``frame_id`` is the frame it was looked up for: from then on, the sensor's messages
        must be in that frame.
        """
        self.extrinsics[source] = base_from_sensor
        if frame_id is not None:
            self.frames[source] = frame_id.lstrip('/')

    def _check_frame(self, source: str, msg: Any) -> Drop | None:
        """Refuse a message in another frame than the sensor's.

        The sensor's frame is the one its extrinsic was looked up for, else that of its first
        accepted message (see :meth:`_accept_frame`). Its extrinsic describes one frame:
        data from another would be placed on the grid where it is not.
        """
        frame = _frame_of(msg)
        expected = self.frames.get(source)
        if expected is None or frame == expected:
            return None
        return self._drop(Drop(source, DropKind.WRONG_FRAME, got=frame, expected=expected))

    def _accept_frame(self, source: str, msg: Any) -> None:
        frame = _frame_of(msg)
        if frame:  # an empty frame_id pins nothing (and fails the check once one is pinned)
            self.frames.setdefault(source, frame)

    def _drop(self, drop: Drop) -> Drop:
        self.status.errors[drop.source] += 1
        self.status.last_error[drop.source] = drop
        return drop

    def _stamp(
        self, source: str, msg: Any, received_ns: int | None = None
    ) -> tuple[int, Drop | None]:
        try:
            stamp = stamp_to_ns(msg.header.stamp)
        except (PhysicalAiError, AttributeError) as exc:
            return 0, self._drop(Drop(source, DropKind.BAD_HEADER, detail=str(exc)))
        drop = self.monitor.accept(source, stamp, received_ns)
        return stamp, None if drop is None else self._drop(drop)

    def on_cloud(self, source: str, msg: Any, received_ns: int | None = None) -> Drop | None:
        """Take a PointCloud2 of lidar ``source``; None, or why it was dropped.

        ``received_ns`` is when it arrived (see :meth:`SourceMonitor.accept`).
        """
        drop = self._check_frame(source, msg)
        if drop is not None:
            return drop
        stamp, drop = self._stamp(source, msg, received_ns)
        if drop is None:
            self._accept_frame(source, msg)
            self.clouds[source] = (msg, stamp)
        return drop

    def on_image(
        self,
        source: str,
        msg: Any,
        *,
        compressed: bool = False,
        received_ns: int | None = None,
    ) -> Drop | None:
        """Take an Image (or CompressedImage) of camera ``source``; decoded only when fused."""
        if source not in self.cameras:
            return self._drop(Drop(source, DropKind.NOT_CONFIGURED))
        drop = self._check_frame(source, msg)
        if drop is not None:
            return drop
        stamp, drop = self._stamp(source, msg, received_ns)
        if drop is None:
            self._accept_frame(source, msg)
            camera = self.cameras[source]
            camera.message, camera.compressed, camera.stamp_ns = msg, compressed, stamp
        return drop

    def on_camera_info(self, source: str, msg: Any) -> Drop | None:
        """Take the CameraInfo of camera ``source``."""
        if source not in self.cameras:
            return self._drop(Drop(source, DropKind.NOT_CONFIGURED))
        try:
            self.cameras[source].model = PinholeCamera.from_camera_info(msg)
        except PhysicalAiError as exc:
            return self._drop(Drop(source, DropKind.MALFORMED, detail=str(exc)))
        return None

    def on_iot(self, msg: Any, sensor_id: str = '', received_ns: int | None = None) -> Drop | None:
        """Take an IotReading or scalar sensor_msgs reading; None, or why it was rejected."""
        try:
            reading = reading_from_msg(msg, sensor_id)
        except (PhysicalAiError, ValueError, AttributeError, TypeError) as exc:
            return self._drop(Drop('iot', DropKind.MALFORMED_READING, detail=str(exc)))
        return self.iot.accept(reading, received_ns)

    def on_odometry(self, msg: Any, received_ns: int | None = None) -> Drop | None:
        """Take nav_msgs/Odometry: the pose moves the grid, the twist feeds the policy.

        A non-finite pose is dropped before its stamp counts: odometry that only sends NaN
        goes stale (and stops the robot, see ``odom_loss_grace_s``) rather than looking fresh
        while the grid keeps the last good pose.
        """
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        values = (p.x, p.y, q.x, q.y, q.z, q.w)
        if not np.isfinite(values).all():
            return self._drop(Drop('odom', DropKind.NON_FINITE_POSE, values))
        _, drop = self._stamp('odom', msg, received_ns)
        if drop is not None:
            return drop
        self.pose = (float(p.x), float(p.y), yaw_of_quaternion(q.x, q.y, q.z, q.w))
        lin, ang = msg.twist.twist.linear, msg.twist.twist.angular
        self.twist = {
            'linear.x': float(lin.x), 'linear.y': float(lin.y), 'linear.z': float(lin.z),
            'angular.x': float(ang.x), 'angular.y': float(ang.y), 'angular.z': float(ang.z),
        }  # fmt: skip
        return None

    def update(self, now_ns: int) -> PerceptionUpdate:
        """Build the next grid at ``now_ns`` (the key cloud's stamp) from the newest data."""
        config = self.config
        stale = self.monitor.stale(now_ns)
        used: list[str] = []
        frames: list[LidarFrame] = []
        origin = (0.0, 0.0)
        for lidar in config.lidars:
            frame = self._lidar_frame(lidar, now_ns, stale)
            if frame is not None:
                frames.append(frame)
                used.append(lidar.name)
                if lidar.name == config.key:
                    x, y = self.extrinsics[lidar.name][:2, 3]
                    origin = (float(x), float(y))
        if config.use_odometry:
            if self.pose is not None and 'odom' not in stale:
                self.mapper.move_to(self.pose)
                used.append('odom')
            elif not _within_grace(stale['odom'], config):
                # mapping on without ego-motion would smear the grid where the robot moved:
                # leave it unchanged, so that it ages and the gate stops the robot
                stale['grid'] = Stale(StaleKind.NO_EGO_MOTION, limit_s=config.odom_loss_grace_s)
                frames = []
        if not frames:
            self.status.updates += 1
            return PerceptionUpdate(self.grid, now_ns, used, stale, {})
        merged = merge_frames(frames)
        sample = self.voxels(merged.points)
        plane = fit_ground(merged.points[sample], config.ground)
        height = plane.height(merged.points)
        views = self._camera_views(now_ns, stale)
        used.extend(v[0] for v in views)
        colours = None
        if views:
            rgb, coloured = colour_points(merged.points[sample], [v[1] for v in views])
            sample, colours = sample[coloured], rgb[coloured]
        counts = self.mapper.integrate(
            FrameInput(
                points=merged.points,
                intensity=merged.intensity,
                height=height,
                ground=np.abs(height) <= config.ground.band,
                colour_index=sample,
                colours=colours,
                origin=origin,
                stamp_ns=now_ns,
            )
        )
        if views and config.ipm:
            self._paint_floor(views[0][1])
        self._iot_layers(now_ns, stale)
        counts['ground_inliers'] = plane.inliers
        self.status.updates += 1
        return PerceptionUpdate(self.grid, now_ns, used, stale, counts)

    def _lidar_frame(
        self, lidar: SensorSource, now_ns: int, stale: dict[str, Stale]
    ) -> LidarFrame | None:
        entry = self.clouds.get(lidar.name)
        if entry is None or lidar.name in stale:
            return None
        msg, stamp = entry
        skew = _skew(stamp, now_ns, lidar.max_skew_s)
        if skew is not None:
            stale[lidar.name] = skew
            return None
        extrinsic = self.extrinsics.get(lidar.name)
        if extrinsic is None:
            stale[lidar.name] = Stale(StaleKind.NO_EXTRINSIC)
            return None
        try:
            frame = prepare_cloud(msg, extrinsic, self.config.crop, stamp)
        except PhysicalAiError as exc:
            self._drop(Drop(lidar.name, DropKind.MALFORMED, detail=str(exc)))
            stale[lidar.name] = Stale(StaleKind.MALFORMED_CLOUD, detail=str(exc))
            self.clouds.pop(lidar.name, None)
            return None
        minimum = self.config.min_lidar_returns
        if frame.returns < minimum:
            # a lidar that sees nothing (all NaN, all at its origin) cannot say the way is
            # clear: it is left out like a silent one, and the grid ages until the gate stops
            detail = f'{frame.returns} returns, fewer than {minimum}'
            stale[lidar.name] = Stale(StaleKind.BLIND, detail=detail)
            return None
        return frame

    def _camera_views(self, now_ns: int, stale: dict[str, Stale]) -> list[tuple[str, CameraView]]:
        views = []
        for source in self.config.cameras:
            camera = self.cameras[source.name]
            if source.name in stale or camera.message is None:
                stale.setdefault(source.name, Stale(StaleKind.NO_IMAGE))
                continue
            skew = _skew(camera.stamp_ns, now_ns, source.max_skew_s)
            if skew is not None:
                stale[source.name] = skew
                continue
            if camera.model is None or source.name not in self.extrinsics:
                stale[source.name] = Stale(
                    StaleKind.NO_CAMERA_INFO if camera.model is None else StaleKind.NO_EXTRINSIC
                )
                continue
            full, scale = camera.model, self.config.camera_decode_scale
            try:
                # never fuse an image its CameraInfo does not describe: the colours would land
                # on the wrong cells. A compressed image is judged by its header, before a
                # reduced decode could make a larger image look the right size.
                encoded = compressed_size(camera.message) if camera.compressed else None
                if encoded is not None and encoded != (full.width, full.height):
                    raise _SizeMismatchError(encoded, full)
                model = full.scaled(scale)
                if camera.compressed:
                    rgb = compressed_to_array(camera.message, 'rgb8', reduce=scale)
                    expected = model
                else:
                    rgb = image_to_array(camera.message, 'rgb8')
                    expected = full
                if rgb.shape[:2] != (expected.height, expected.width):
                    raise _SizeMismatchError((rgb.shape[1] * scale, rgb.shape[0] * scale), full)
            except _SizeMismatchError as mismatch:
                self._drop(Drop(source.name, DropKind.MALFORMED, detail=str(mismatch)))
                stale[source.name] = Stale(StaleKind.SIZE_MISMATCH, detail=str(mismatch))
                continue
            except PhysicalAiError as exc:
                self._drop(Drop(source.name, DropKind.MALFORMED, detail=str(exc)))
                stale[source.name] = Stale(StaleKind.UNDECODABLE_IMAGE, detail=str(exc))
                camera.message = None
                continue
            if rgb.shape[:2] != (model.height, model.width):  # a raw image at decode scale > 1
                rgb = cv2.resize(rgb, (model.width, model.height), interpolation=cv2.INTER_AREA)
            view = CameraView(model, self.extrinsics[source.name], rgb, camera.stamp_ns)
            views.append((source.name, view))
        return views

    def _paint_floor(self, view: CameraView) -> None:
        rgb, seen = floor_colours(self.grid.geometry, view)
        for channel, name in enumerate('rgb'):
            layer = self.grid.layer(name)
            fill = seen & np.isnan(layer)
            layer[fill] = rgb[..., channel][fill]

    def _iot_layers(self, now_ns: int, stale: dict[str, Stale]) -> None:
        for sensor in self.iot.stale(now_ns):
            stale[f'iot/{sensor}'] = Stale(StaleKind.NO_FRESH_READING)
        if not self.iot.quantities():
            return
        pose = self.pose if self.pose is not None else (0.0, 0.0, 0.0)
        for quantity, values in self.iot.fields(self.grid.geometry, pose, now_ns).items():
            self.grid.layer(f'iot_{quantity}')[...] = values


def _timeouts(config: PerceptionConfig) -> dict[str, float]:
    """Per source, the age after which it is stale [s]."""
    timeouts = {s.name: s.timeout_s for s in (*config.lidars, *config.cameras)}
    if config.use_odometry:
        timeouts['odom'] = config.odom_timeout_s
    return timeouts


def _fixed(config: PerceptionConfig) -> dict[str, object]:
    """What a running perception stage is built around (read-only parameters)."""
    return {
        'grid geometry': config.geometry,
        'base frame': config.base_frame,
        'key source': config.key,
        'use_odometry': config.use_odometry,
        'lidars': [(s.name, None if s.extrinsic is None else s.extrinsic.tolist())
                   for s in config.lidars],
        'cameras': [(s.name, None if s.extrinsic is None else s.extrinsic.tolist())
                    for s in config.cameras],
        'IoT sensors': [(s.sensor_id, s.quantity, s.unit, s.position) for s in config.iot],
    }  # fmt: skip


def _frame_of(msg: Any) -> str:
    return str(getattr(msg.header, 'frame_id', '')).lstrip('/')


class _SizeMismatchError(Exception):
    """An image whose size is not the one its CameraInfo gives."""

    def __init__(self, size: tuple[int, int], camera: PinholeCamera) -> None:
        super().__init__(f'image {size[0]}x{size[1]}, CameraInfo {camera.width}x{camera.height}')


def _within_grace(odom: Stale, config: PerceptionConfig) -> bool:
    """Whether stale odometry is still inside ``odom_loss_grace_s`` (never-received is not)."""
    if odom.age_ns is None:
        return False
    lost_s = odom.age_ns / NS_PER_S - config.odom_timeout_s
    return lost_s <= config.odom_loss_grace_s and config.odom_loss_grace_s > 0


def _skew(stamp_ns: int, key_ns: int, max_skew_s: float) -> Stale | None:
    """None if ``stamp_ns`` is within ``max_skew_s`` of the key stamp, else how far it is."""
    skew_ns = abs(stamp_ns - key_ns)
    if skew_ns <= max_skew_s * NS_PER_S:
        return None
    return Stale(StaleKind.SKEW, age_ns=skew_ns, limit_s=max_skew_s)
