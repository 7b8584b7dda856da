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


"""The collision monitor's parameters (``monitor.*`` of safety_node) and its config.

Zones are a string array, one YAML flow mapping per zone, so that a params file, ``ros2 param
set`` and check-config all take them as they are (Nav2's Jazzy collision_monitor writes its
polygon points as a string for the same reason)::

    monitor:
      zones: ['{name: slow, action: slowdown, ratio: 0.5,
                polygon: [[0.3, -0.5], [1.6, -0.5], [1.6, 0.5], [0.3, 0.5]]}']

A wrong zone is refused with its key (``monitor.zones[0].ratio``), the value and what is
allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
import math
from typing import Any

import numpy as np
import yaml

from physical_ai_ros.core.files import load_yaml_limited
from physical_ai_ros.core.params.spec import CrossCheck, ParamError, ParamSpec
from physical_ai_ros.core.perception.transforms import extrinsic
from physical_ai_ros.core.safety.kinematics import stopping_distance
from physical_ai_ros.core.safety.monitor import MonitorConfig, Zone, ZoneAction
from physical_ai_ros.core.safety.shapes import Circle, Polygon, polygon_problem, Shape
from physical_ai_ros.core.safety.sources import Band, SourceConfig, SourceKind

P = ParamSpec
NODE = 'safety_node'

# fmt: off
MONITOR_PARAMS = (
    P('monitor.enabled', 'bool', False, 'Check the raw range sensors against the protective '
      'field and the zones (a mobile base: config/mobile_base.yaml turns it on).',
      read_only=True),
    P('monitor.linear_axis', 'string', 'linear.x', 'The axis the protective field moves along.',
      read_only=True),
    P('monitor.angular_axis', 'string', 'angular.z', 'The turning axis; "" for none.',
      read_only=True),
    P('monitor.clouds', 'string_array', ['lidar'], 'PointCloud2 sources: subscribes to '
      '<name>/points.', read_only=True),
    P('monitor.scans', 'string_array', [], 'LaserScan sources: <name>/scan.', read_only=True),
    P('monitor.ranges', 'string_array', [], 'Range sources (ultrasonic, ToF): <name>/range.',
      read_only=True),
    P('monitor.extrinsics', 'double_array', [], 'x y z roll pitch yaw per source (clouds, '
      'then scans, then ranges); empty = from TF.', 'm, rad', read_only=True),
    P('monitor.source_timeout_s', 'double', 0.3, 'A source without a message for this long '
      'is silent: a stop.', 's', 0.01, 5.0),
    P('monitor.min_returns', 'int', 50, 'A cloud or scan with fewer returns is blind: a stop '
      '(a Range needs one); 0 = never blind.', '', 0, 10_000_000),
    P('monitor.min_height', 'double', 0.1, 'Lowest obstacle return above the floor (base '
      'frame z).', 'm', -1.0, 5.0),
    P('monitor.max_height', 'double', 2.0, 'Highest obstacle return (the robot and some).', 'm',
      0.0, 10.0),
    P('monitor.reach', 'double', 5.0, 'Returns farther than this along x or y from the base '
      'are ignored; the field at max_velocity must fit inside it.', 'm', 0.5, 50.0),
    P('monitor.footprint', 'double_array', [], 'The robot outline: x y pairs in the base '
      'frame; empty = a circle of footprint_radius.', 'm'),
    P('monitor.footprint_radius', 'double', 0.35, 'Radius of a round robot (footprint empty).',
      'm', 0.0, 10.0),
    P('monitor.body_padding', 'double', 0.0, 'Returns this close outside the footprint are the '
      "robot's own body (mounts, bumpers).", 'm', 0.0, 1.0),
    P('monitor.reaction_time_s', 'double', 0.2, 'From a return to the gate braking (a sensor '
      'period, transport, a gate period): the field covers what the robot travels meanwhile.',
      's', 0.0, 2.0),
    P('monitor.margin', 'double', 0.1, 'How far beyond its stopping point the field reaches.',
      'm', 0.0, 5.0),
    P('monitor.lateral_margin', 'double', 0.03, 'Clearance of the field beside the swept '
      'footprint.', 'm', 0.0, 2.0),
    P('monitor.mover_speed', 'double', 0.0, 'How fast a person or vehicle may come at the '
      'robot: the speed is capped so that none could reach the braking path first (ISO 13855 '
      'approach speed); 0 = off.', 'm/s', 0.0, 3.0),
    P('monitor.mover_min_speed', 'double', 0.1, 'The lowest speed the mover field tries; '
      'where even that one is not clear, the robot stands until it is.', 'm/s', 0.01, 1.0),
    P('monitor.min_points', 'int', 3, 'Returns inside the protective field before it stops '
      "(also the zones' default).", '', 1, 100_000),
    P('monitor.resume', 'string', 'clear', 'After a stop: resume once clear for release_time_s, '
      'or stay stopped until ~/reset.', choices=('clear', 'latched')),
    P('monitor.release_time_s', 'double', 0.5, 'How long the field must be clear before '
      'moving on.', 's', 0.0, 60.0),
    P('monitor.zones', 'string_array', [], 'Hand-drawn zones, one YAML mapping each: name, '
      'action (stop | slowdown | limit | approach), polygon [[x, y], ...] or circle [x, y, r], '
      'and ratio (slowdown), linear / angular (limit), time_before_collision (approach), '
      'min_points, enabled.'),
)
# fmt: on

ZONE_KEYS = frozenset({'name', 'action', 'polygon', 'circle', 'min_points', 'ratio', 'linear',
                       'angular', 'time_before_collision', 'enabled'})  # fmt: skip


def footprint(values: Mapping[str, Any]) -> Shape:
    """The robot's outline: the polygon of ``monitor.footprint``, else a circle."""
    flat = values['monitor.footprint']
    if flat:
        return Polygon(tuple(zip(flat[0::2], flat[1::2], strict=True)))
    return Circle(0.0, 0.0, values['monitor.footprint_radius'])


def parse_zones(texts: list[str], default_min_points: int) -> tuple[Zone, ...]:
    """The zones of ``monitor.zones``.

    Raises:
        ParamError: a zone that is not a mapping, or a key, value or shape that is wrong.
    """
    zones = []
    for k, text in enumerate(texts):
        refuse = _refuser(f'monitor.zones[{k}]')
        too_large = _too_large(refuse, text)
        try:
            data = load_yaml_limited(text, too_large, 10_000)
        except yaml.YAMLError:
            data = None
        if not isinstance(data, dict):
            raise refuse('', text, 'a YAML mapping such as {name: slow, action: ...}')
        zones.append(_zone(data, refuse, default_min_points))
    names = [z.name for z in zones]
    if len(set(names)) != len(names):
        raise ParamError(NODE, 'monitor.zones', names, 'each zone a different name')
    return tuple(zones)


def _too_large(refuse: Any, text: str) -> Any:
    """The error of a zone whose YAML expands past the node limit."""

    def error(reason: str) -> ParamError:
        result: ParamError = refuse('', text, reason)
        return result

    return error


def _refuser(where: str) -> Any:
    """A ParamError factory for the keys of one zone."""

    def refuse(key: str, value: Any, allowed: str) -> ParamError:
        return ParamError(NODE, f'{where}.{key}' if key else where, value, allowed)

    return refuse


def _zone(data: dict[Any, Any], refuse: Any, default_min_points: int) -> Zone:
    unknown = sorted(map(str, set(data) - ZONE_KEYS))
    if unknown:
        raise refuse(unknown[0], data[unknown[0]], f'one of {", ".join(sorted(ZONE_KEYS))}')
    name = data.get('name')
    if not isinstance(name, str) or not name.replace('_', '').isalnum():
        raise refuse('name', name, 'a name of letters, digits and _')
    actions = [a.value for a in ZoneAction]
    action = data.get('action')
    if action not in actions:
        raise refuse('action', action, f'one of {", ".join(actions)}')
    kind = ZoneAction(action)
    shape = _shape(data, kind, refuse)

    def number(key: str, default: float, low: float, high: float, allowed: str) -> float:
        value = data.get(key, default)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or not (low <= float(value) <= high) or not math.isfinite(float(value)):
            raise refuse(key, value, allowed)
        return float(value)

    min_points = data.get('min_points', default_min_points)
    if not isinstance(min_points, int) or isinstance(min_points, bool) or min_points < 1:
        raise refuse('min_points', min_points, 'an integer >= 1')
    enabled = data.get('enabled', True)
    if not isinstance(enabled, bool):
        raise refuse('enabled', enabled, 'true or false')
    zone = Zone(name, kind, shape, min_points, enabled=enabled)
    if kind is ZoneAction.SLOWDOWN:
        ratio: Any = data.get('ratio')
        ok = isinstance(ratio, (int, float)) and not isinstance(ratio, bool)
        if not ok or not 0.0 < float(ratio) <= 1.0:
            raise refuse('ratio', ratio, 'a ratio in (0, 1]')
        return replace(zone, ratio=float(ratio))
    if kind is ZoneAction.LIMIT:
        if 'linear' not in data and 'angular' not in data:
            raise refuse('linear', None, 'linear and/or angular: the speed caps of a limit zone')
        linear = number('linear', math.inf, 0.0, math.inf, 'a speed >= 0 [m/s]')
        angular = number('angular', math.inf, 0.0, math.inf, 'a turn rate >= 0 [rad/s]')
        return replace(zone, linear_limit=linear, angular_limit=angular)
    if kind is ZoneAction.APPROACH:
        horizon = number('time_before_collision', math.nan, 0.05, 10.0,
                         'a look-ahead in [0.05, 10] s')  # fmt: skip
        return replace(zone, time_before_collision_s=horizon)
    return zone


def _shape(data: dict[Any, Any], kind: ZoneAction, refuse: Any) -> Shape | None:
    given = [key for key in ('polygon', 'circle') if key in data]
    if kind is ZoneAction.APPROACH:
        if given:
            raise refuse(given[0], data[given[0]], 'no shape: an approach zone is the '
                         'footprint swept along the command')  # fmt: skip
        return None
    if len(given) != 1:
        raise refuse('polygon', None, 'exactly one of polygon [[x, y], ...] or circle [x, y, r]')
    value = data[given[0]]
    if given[0] == 'circle':
        ok = isinstance(value, list) and len(value) == 3
        ok = ok and all(isinstance(v, (int, float)) and math.isfinite(v) for v in value)
        if not ok or value[2] <= 0:
            raise refuse('circle', value, '[x, y, radius] with radius > 0 [m]')
        return Circle(float(value[0]), float(value[1]), float(value[2]))
    points = (
        value[:-1]
        if isinstance(value, list) and len(value) > 3 and value[0] == value[-1]
        else value
    )
    problem = polygon_problem(points)
    if problem:
        raise refuse('polygon', value, f'a closed, simple polygon of [x, y] points: {problem}')
    return Polygon(tuple((float(x), float(y)) for x, y in points))


def source_configs(values: Mapping[str, Any]) -> tuple[SourceConfig, ...]:
    """The monitor's sources: clouds, then scans, then ranges (the order of extrinsics)."""
    kinds: list[tuple[str, SourceKind]] = [
        *((n, 'cloud') for n in values['monitor.clouds']),
        *((n, 'scan') for n in values['monitor.scans']),
        *((n, 'range') for n in values['monitor.ranges']),
    ]
    flat = values['monitor.extrinsics']
    out = []
    for k, (name, kind) in enumerate(kinds):
        matrix = extrinsic(flat[6 * k : 6 * k + 6]) if flat else None
        needed = 1 if kind == 'range' else values['monitor.min_returns']
        out.append(SourceConfig(name, kind, matrix, values['monitor.source_timeout_s'], needed))
    return tuple(out)


def band(values: Mapping[str, Any], zones: tuple[Zone, ...] | None = None) -> Band:
    """Which returns are obstacles: the height band, and the box the field and zones reach.

    The box is the square the protective field can sweep at the highest speed in any
    direction (and an approach zone look ahead), grown to hold every zone, within
    ``monitor.reach``: returns beyond it cannot change a verdict, so they are not looked at.
    """
    body = footprint(values)
    x0, y0, x1, y1 = body.bounds()
    extent = max(abs(x0), abs(y0), abs(x1), abs(y1))
    axes = list(values['axes'])
    k = axes.index(values['monitor.linear_axis']) if values['monitor.linear_axis'] in axes else 0
    vmax = max(abs(values['max_velocity'][k]), abs(values['min_velocity'][k]))
    t = values['monitor.reaction_time_s'] + vmax / values['max_decel'][k]
    if zones is None:
        zones = parse_zones(values['monitor.zones'], values['monitor.min_points'])
    look = max((z.time_before_collision_s for z in zones), default=0.0)
    # the speed gained while reacting, and a sampling step, on top
    v = vmax + values['max_accel'][k] * values['monitor.reaction_time_s']
    half = extent + max(v * t + values['monitor.margin'], v * look)
    # a mover this far out could reach the path before the robot stands
    half += values['monitor.mover_speed'] * (t + v / values['max_decel'][k])
    half += values['monitor.lateral_margin'] + 0.1
    box = [-half, -half, half, half]
    for zone in zones:
        if zone.shape is not None:
            zx0, zy0, zx1, zy1 = zone.shape.bounds()
            box = [min(box[0], zx0), min(box[1], zy0), max(box[2], zx1), max(box[3], zy1)]
    reach = values['monitor.reach']
    return Band(
        min_height=values['monitor.min_height'],
        max_height=values['monitor.max_height'],
        box=(max(box[0], -reach), max(box[1], -reach), min(box[2], reach), min(box[3], reach)),
        body=body,
        body_padding=values['monitor.body_padding'],
    )


def monitor_config(values: Mapping[str, Any]) -> MonitorConfig:
    """The :class:`MonitorConfig` of resolved safety_node values (limits from the gate's)."""
    axes = list(values['axes'])
    linear = axes.index(values['monitor.linear_axis'])
    angular_axis = values['monitor.angular_axis']
    angular = axes.index(angular_axis) if angular_axis else None
    return MonitorConfig(
        footprint=footprint(values),
        reaction_time_s=values['monitor.reaction_time_s'],
        margin_m=values['monitor.margin'],
        lateral_margin_m=values['monitor.lateral_margin'],
        min_points=values['monitor.min_points'],
        decel=values['max_decel'][linear],
        angular_decel=values['max_decel'][angular] if angular is not None else 1.0,
        accel=values['max_accel'][linear],
        angular_accel=values['max_accel'][angular] if angular is not None else 0.0,
        zones=parse_zones(values['monitor.zones'], values['monitor.min_points']),
        resume=values['monitor.resume'],
        release_time_s=values['monitor.release_time_s'],
        mover_speed=values['monitor.mover_speed'],
        mover_min_speed=values['monitor.mover_min_speed'],
    )


def check_monitor(check: CrossCheck) -> None:
    """Cross checks of the ``monitor.*`` values (appended to ``check.errors``)."""
    values = check.values
    if not values['monitor.enabled']:
        return
    axes = list(values['axes'])
    check.need('monitor.linear_axis', values['monitor.linear_axis'] in axes,
               f'one of the axes {axes} (or monitor.enabled: false for an arm)')  # fmt: skip
    check.need('monitor.angular_axis', values['monitor.angular_axis'] in ('', *axes),
               f'"" or one of the axes {axes}')  # fmt: skip
    names = [*values['monitor.clouds'], *values['monitor.scans'], *values['monitor.ranges']]
    check.need('monitor.clouds', len(names) >= 1 and len(set(names)) == len(names),
               'at least one source (clouds, scans or ranges), each name once')  # fmt: skip
    check.need('monitor.extrinsics', len(values['monitor.extrinsics']) in (0, 6 * len(names)),
               f'empty (TF) or 6 values per source ({6 * len(names)})')  # fmt: skip
    check.need('monitor.max_height', values['monitor.max_height'] > values['monitor.min_height'],
               'more than monitor.min_height')  # fmt: skip
    flat = values['monitor.footprint']
    problem = ''
    if flat:
        problem = (
            'x y pairs'
            if len(flat) % 2
            else polygon_problem(list(zip(flat[0::2], flat[1::2], strict=True)))
        )
    check.need('monitor.footprint', not problem, f'a simple polygon of x y pairs: {problem}')
    check.need('monitor.footprint_radius', bool(flat) or values['monitor.footprint_radius'] > 0,
               '> 0 when monitor.footprint is empty (the robot needs an outline)')  # fmt: skip
    linear = values['monitor.linear_axis']
    if values['monitor.mover_speed'] > 0 and linear in axes:
        top = values['max_velocity'][axes.index(linear)]
        check.need('monitor.mover_min_speed', values['monitor.mover_min_speed'] < top,
                   f'less than the max_velocity of {linear} ({top:g} m/s): the mover field '
                   'tries the speeds between the two')  # fmt: skip
    if check.errors:
        return
    try:
        zones = parse_zones(values['monitor.zones'], values['monitor.min_points'])
    except ParamError as exc:
        check.errors.append(exc)
        return
    body = footprint(values)
    for zone in zones:
        if zone.shape is not None and _inside(zone.shape, body):
            check.errors.append(ParamError(NODE, f'monitor.zones[{zone.name}]', zone.name,
                                           'a zone reaching outside the footprint (inside it, '
                                           'returns are the robot itself)'))  # fmt: skip
    _check_field_fits(check, body)


def _inside(shape: Shape, body: Shape) -> bool:
    """Whether ``shape`` lies inside ``body`` (its outline's points all are)."""
    outline = np.asarray(shape.outline(), dtype=np.float64)
    return bool((body.signed_distance(outline) <= 0.0).all())


def _check_field_fits(check: CrossCheck, body: Shape) -> None:
    """The field at max_velocity must lie within the reach the sources are read to."""
    values = check.values
    axes = list(values['axes'])
    k = axes.index(values['monitor.linear_axis'])
    vmax = max(abs(values['max_velocity'][k]), abs(values['min_velocity'][k]))
    x0, y0, x1, y1 = body.bounds()
    extent = max(abs(x0), abs(y0), abs(x1), abs(y1))
    t = values['monitor.reaction_time_s']
    needed = extent + stopping_distance(vmax, t, values['max_decel'][k]) + values['monitor.margin']
    check.need('max_velocity', needed <= values['monitor.reach'],
               f'a speed whose protective field fits within monitor.reach '
               f'({values["monitor.reach"]:g} m): at {vmax:g} m/s it reaches {needed:.2f} m; '
               'lower the speed or raise the reach')  # fmt: skip
