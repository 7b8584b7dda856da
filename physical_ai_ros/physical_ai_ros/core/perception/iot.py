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

"""Industrial IoT readings: checked, kept fresh, turned into features and spatial fields.

Each configured sensor has an expected quantity and unit, a valid range, a maximum age and,
optionally, a mounting position (in a fixed frame such as ``odom``) that turns its reading
into a field on the grid. A reading that fails a check is rejected with a
:class:`~physical_ai_ros.core.perception.reasons.Drop` and counted, never used.
``IotReading`` and the scalar sensor_msgs types (Temperature, RelativeHumidity,
FluidPressure, Illuminance) are accepted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
import math
from typing import Any

import numpy as np

from physical_ai_ros.core.errors import IotReadingError, message_boundary
from physical_ai_ros.core.messages.stamps import NS_PER_S, stamp_to_ns
from physical_ai_ros.core.perception.grid import GridGeometry
from physical_ai_ros.core.perception.reasons import Drop, DropKind

STATUS_OK, STATUS_WARN, STATUS_ERROR, STATUS_STALE = 0, 1, 2, 3

#: Unknown sensor ids counted one by one; the rest are counted together under OTHERS.
MAX_UNKNOWN_SENSORS = 16
OTHERS = 'others'

#: sensor_msgs scalar types: the field holding the value, the quantity and its unit.
SCALAR_TYPES: dict[str, tuple[str, str, str]] = {
    'sensor_msgs/msg/Temperature': ('temperature', 'temperature', 'degC'),
    'sensor_msgs/msg/RelativeHumidity': ('relative_humidity', 'relative_humidity', '1'),
    'sensor_msgs/msg/FluidPressure': ('fluid_pressure', 'pressure', 'Pa'),
    'sensor_msgs/msg/Illuminance': ('illuminance', 'illuminance', 'lx'),
}


@dataclass(frozen=True)
class IotSensorConfig:
    """What is expected of one sensor.

    Attributes:
        sensor_id: the id readings carry (or the name given to a scalar topic).
        quantity: what it measures, e.g. ``temperature``; the grid layer is ``iot_<quantity>``.
        unit: the unit readings must be in.
        min_value: lowest plausible value; below it a reading is rejected.
        max_value: highest plausible value; above it a reading is rejected.
        max_age_s: a reading older than this is stale [s].
        position: mounting position in ``frame`` [m], or None when unknown.
        frame: the fixed frame of ``position`` (the odometry frame).
        falloff_radius: how far the reading's field reaches on the grid [m].
    """

    sensor_id: str
    quantity: str
    unit: str
    min_value: float
    max_value: float
    max_age_s: float = 2.0
    position: tuple[float, float, float] | None = None
    frame: str = 'odom'
    falloff_radius: float = 2.0


@dataclass(frozen=True)
class Reading:
    """A reading reduced to what the tracker needs."""

    sensor_id: str
    quantity: str
    value: float
    unit: str
    stamp_ns: int
    status: int = STATUS_OK


@message_boundary(IotReadingError)
def reading_from_msg(msg: Any, sensor_id: str = '') -> Reading:
    """Turn an ``IotReading`` or a scalar sensor_msgs message into a :class:`Reading`.

    ``sensor_id`` names the sensor for scalar types, which carry no id.

    Raises:
        IotReadingError: the message is neither kind, or a field is missing or mistyped
            (a ValueError too, as callers caught before).
    """
    stamp = stamp_to_ns(msg.header.stamp)
    msgtype = getattr(msg, '__msgtype__', '') or _rclpy_type(msg)
    if msgtype in SCALAR_TYPES:
        field, quantity, unit = SCALAR_TYPES[msgtype]
        return Reading(
            sensor_id or msg.header.frame_id, quantity, float(getattr(msg, field)), unit, stamp
        )
    if hasattr(msg, 'sensor_id') and hasattr(msg, 'quantity'):
        return Reading(
            str(msg.sensor_id),
            str(msg.quantity),
            float(msg.value),
            str(msg.unit),
            stamp,
            int(msg.status),
        )
    raise IotReadingError('<type>', type(msg).__name__, 'not an IoT reading')


def _rclpy_type(msg: Any) -> str:
    module = type(msg).__module__.split('.')
    return f'{module[0]}/msg/{type(msg).__name__}' if module and module[0] else ''


class IotTracker:
    """Keeps the latest valid reading of each configured sensor."""

    def __init__(self, sensors: list[IotSensorConfig], max_future_s: float = 0.2) -> None:
        ids = [s.sensor_id for s in sensors]
        if len(set(ids)) != len(ids):
            raise ValueError(f'IoT sensor ids repeat: {ids}')
        self.sensors = {s.sensor_id: s for s in sensors}
        self.order = ids
        self.latest: dict[str, Reading] = {}
        self.rejections: Counter[tuple[str, DropKind]] = Counter()
        self.last_rejection: dict[str, Drop] = {}
        self._unknown: set[str] = set()
        #: how far a reading's stamp may lie ahead of the receiving clock [s]
        self.max_future_s = max_future_s

    def accept(self, reading: Reading, received_ns: int | None = None) -> Drop | None:
        """Check and keep a reading; returns None, or why it was rejected (and counts it).

        With ``received_ns`` (the receiving clock), a reading stamped more than
        ``max_future_s`` ahead of it is rejected: it would stay "fresh" for ever.

        Counters are kept per sensor for the configured ones and the first
        :data:`MAX_UNKNOWN_SENSORS` unknown ids; readings of any further unknown id are
        counted together under ``others``, so a flood of ids cannot grow the diagnostics.
        """
        rejection = self._check(reading, received_ns)
        if rejection is not None:
            key = self._counter_key(reading.sensor_id)
            self.rejections[(key, rejection.kind)] += 1
            self.last_rejection[key] = rejection
            return rejection
        self.latest[reading.sensor_id] = reading
        return None

    def _counter_key(self, sensor_id: str) -> str:
        if sensor_id in self.sensors or sensor_id in self._unknown:
            return sensor_id
        if len(self._unknown) < MAX_UNKNOWN_SENSORS:
            self._unknown.add(sensor_id)
            return sensor_id
        return OTHERS

    def _check(self, reading: Reading, received_ns: int | None) -> Drop | None:
        sensor = reading.sensor_id
        if (
            received_ns is not None
            and reading.stamp_ns - received_ns > self.max_future_s * NS_PER_S
        ):
            ahead = reading.stamp_ns - received_ns
            return Drop(sensor, DropKind.FUTURE_STAMP, got=ahead, expected=self.max_future_s)
        config = self.sensors.get(sensor)
        if config is None:
            return Drop(sensor, DropKind.UNKNOWN_SENSOR)
        if reading.quantity != config.quantity:
            return Drop(sensor, DropKind.WRONG_QUANTITY, reading.quantity, config.quantity)
        if reading.unit != config.unit:
            return Drop(sensor, DropKind.WRONG_UNIT, reading.unit, config.unit)
        if reading.status in (STATUS_ERROR, STATUS_STALE):
            status = 'error' if reading.status == STATUS_ERROR else 'stale'
            return Drop(sensor, DropKind.SENSOR_STATUS, status)
        if not math.isfinite(reading.value):
            return Drop(sensor, DropKind.NOT_FINITE, reading.value)
        if not config.min_value <= reading.value <= config.max_value:
            limits = (config.min_value, config.max_value, config.unit)
            return Drop(sensor, DropKind.OUT_OF_RANGE, reading.value, limits)
        previous = self.latest.get(sensor)
        if previous is not None and reading.stamp_ns <= previous.stamp_ns:
            kind = (
                DropKind.DUPLICATE
                if reading.stamp_ns == previous.stamp_ns
                else DropKind.OUT_OF_ORDER
            )
            return Drop(sensor, kind, reading.stamp_ns, previous.stamp_ns)
        return None

    def fresh(self, now_ns: int) -> dict[str, Reading]:
        """Readings no older than their sensor's max age at ``now_ns``."""
        out = {}
        for sensor_id, reading in self.latest.items():
            age = (now_ns - reading.stamp_ns) / NS_PER_S
            if age <= self.sensors[sensor_id].max_age_s:
                out[sensor_id] = reading
        return out

    def stale(self, now_ns: int) -> list[str]:
        """Configured sensors with no fresh reading at ``now_ns``."""
        fresh = self.fresh(now_ns)
        return [s for s in self.order if s not in fresh]

    def features(self, now_ns: int) -> dict[str, float]:
        """Fresh readings normalised to 0..1 over each sensor's valid range, by sensor id."""
        out = {}
        for sensor_id, reading in self.fresh(now_ns).items():
            config = self.sensors[sensor_id]
            span = config.max_value - config.min_value
            out[sensor_id] = (reading.value - config.min_value) / span if span > 0 else 0.0
        return out

    def feature_vector(self, now_ns: int) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Features in configuration order; NaN for a stale or missing sensor."""
        features = self.features(now_ns)
        return np.array([features.get(s, np.nan) for s in self.order], np.float32)

    def quantities(self) -> list[str]:
        """Quantities of the spatial sensors, each a grid layer ``iot_<quantity>``."""
        seen: list[str] = []
        for config in self.sensors.values():
            if config.position is not None and config.quantity not in seen:
                seen.append(config.quantity)
        return seen

    def fields(
        self, geometry: GridGeometry, pose: tuple[float, float, float], now_ns: int
    ) -> dict[str, np.ndarray[Any, np.dtype[np.float32]]]:
        """Spatial fields per quantity on the grid around the robot at ``pose`` (x, y, yaw).

        Each fresh, mounted sensor spreads its value with a Gaussian weight that reaches zero at
        its falloff radius; a cell is the weighted mean of the sensors that reach it, NaN where
        none does.
        """
        xs, ys = geometry.cell_centres()
        x0, y0, yaw = pose
        c, s = math.cos(yaw), math.sin(yaw)
        weights: dict[str, np.ndarray[Any, Any]] = {}
        sums: dict[str, np.ndarray[Any, Any]] = {}
        for sensor_id, reading in self.fresh(now_ns).items():
            config = self.sensors[sensor_id]
            if config.position is None:
                continue
            # sensor position in the base frame of the robot
            dx, dy = config.position[0] - x0, config.position[1] - y0
            bx, by = c * dx + s * dy, -s * dx + c * dy
            radius = config.falloff_radius
            # only the cells within the falloff radius are touched
            cols = np.flatnonzero(np.abs(xs - bx) < radius)
            rows = np.flatnonzero(np.abs(ys - by) < radius)
            if cols.size == 0 or rows.size == 0:
                continue
            window = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
            d2 = (xs[window[1]][None, :] - bx) ** 2 + (ys[window[0]][:, None] - by) ** 2
            w = np.where(d2 < radius**2, np.exp(-4.5 * d2 / radius**2), 0.0)
            if config.quantity not in weights:
                weights[config.quantity] = np.zeros((geometry.height, geometry.width))
                sums[config.quantity] = np.zeros((geometry.height, geometry.width))
            weights[config.quantity][window] += w
            sums[config.quantity][window] += w * reading.value
        out = {}
        for quantity in self.quantities():
            if quantity not in weights:
                out[quantity] = np.full((geometry.height, geometry.width), np.nan, np.float32)
                continue
            w = weights[quantity]
            with np.errstate(invalid='ignore', divide='ignore'):
                out[quantity] = np.where(w > 1e-6, sums[quantity] / w, np.nan).astype(np.float32)
        return out
