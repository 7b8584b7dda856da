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

"""Running one fault scenario end to end: messages built in code, a bag, replay, a verdict.

A scenario starts from the synthetic factory aisle (lidar, compressed camera, IoT, odometry,
/tf_static; the reference policy drives the robot down the aisle), changes the messages
from ``FAULT_AT`` on, writes them to a bag and replays it through the very pipeline the
nodes run. The verdict reads what the robot got: the gate's commands and why it held them,
the faults replay counted, and the /diagnostics the nodes published.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from physical_ai_ros.core.messages.stamps import NS_PER_S
from physical_ai_ros.replay.bagwriter import BagWriter
from physical_ai_ros.replay.runner import replay, ReplayOptions, ReplayResult
from physical_ai_ros.replay.typestore import TypestoreTypes
from physical_ai_ros.sim.sensors import CameraSpec, LidarSpec
from physical_ai_ros.sim.synthetic import ScenarioConfig, synthetic_messages

CONFIG = Path(__file__).resolve().parents[2] / 'config' / 'mobile_base.yaml'
SCENE = ScenarioConfig(
    seconds=5.0,
    lidar=LidarSpec(channels=16, columns=256, max_range=100.0),
    camera=CameraSpec(width=160, height=90, fovy_deg=60.0),
)
START_NS = 1_700_000_000 * NS_PER_S
FAULT_AT = START_NS + 2 * NS_PER_S  # the fault starts here
#: Time the stack may take to bring the robot to rest: a source timeout (0.5 s; lost odometry
#: then leaves the grid to age past grid_timeout_s, 0.5 s more), a grid period, and the gate's
#: ramp down at max_decel (0.8 m/s at 1.5 m/s^2: 0.53 s).
REACTION_NS = 1_700_000_000
END_NS = START_NS + int(SCENE.seconds * NS_PER_S)


@dataclass
class Message:
    """One message on its way to the bag: a message object, or raw bytes of ``msgtype``."""

    topic: str
    log_ns: int
    msg: Any = None
    raw: bytes | None = None
    msgtype: str = ''

    @property
    def faulty(self) -> bool:
        """Whether the fault applies to it (logged at or after ``FAULT_AT``)."""
        return self.log_ns >= FAULT_AT


#: A fault: changes the scene's messages (in place, or returns a new list).
Fault = Callable[[list[Message], TypestoreTypes], list[Message]]


def scene(types: TypestoreTypes) -> list[Message]:
    """The fault-free scene's messages, in log-time order."""
    return [Message(topic, t, msg) for topic, msg, t in synthetic_messages(SCENE, types)]


def params(**overrides: Any) -> dict[str, Any]:
    """The shipped mobile-base params with a small grid and /tf_static extrinsics.

    ``overrides`` are ``node__dotted_name=value`` (``perception_node__lidar__min_returns``).
    """
    data: dict[str, Any] = yaml.safe_load(CONFIG.read_text())
    perception = data['perception_node']['ros__parameters']
    perception['lidar']['extrinsics'] = []
    perception['camera']['extrinsics'] = []
    perception['grid'].update(width=100, height=100)
    data['safety_node']['ros__parameters']['rate_hz'] = 20.0
    # the catalogue names the gate's reason for perception and policy faults; the collision
    # monitor (which would stop first, as SENSOR_BLIND) has its own tests
    data['safety_node']['ros__parameters']['monitor']['enabled'] = False
    for key, value in overrides.items():
        node, *path = key.split('__')
        target = data.setdefault(node, {}).setdefault('ros__parameters', {})
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value
    return data


@dataclass
class Outcome:
    """What the robot got, read from a replay."""

    result: ReplayResult
    #: every /diagnostics status: (time, name, level, message, key-values)
    diagnostics: list[tuple[int, str, int, str, dict[str, str]]] = field(default_factory=list)

    def commands(self, since_ns: int) -> list[tuple[int, list[float], str]]:
        """The gate's commands from ``since_ns`` on: (time, values, reason held)."""
        return [c for c in self.result.commands if c[0] >= since_ns]

    def stopped_since(self, since_ns: int) -> bool:
        """Every command from ``since_ns`` to the end is zero on every axis."""
        after = self.commands(since_ns)
        return bool(after) and all(all(v == 0.0 for v in values) for _, values, _ in after)

    def drove_after(self, since_ns: int) -> bool:
        """Some command from ``since_ns`` on moves the robot."""
        return any(any(v != 0.0 for v in values) for _, values, _ in self.commands(since_ns))

    def reasons(self, since_ns: int) -> Counter[str]:
        """Why the gate held, counted over the commands from ``since_ns`` on."""
        return Counter(reason for _, _, reason in self.commands(since_ns) if reason != 'NONE')

    def diagnostics_since(
        self, since_ns: int, status: str
    ) -> list[tuple[int, str, dict[str, str]]]:
        """(level, message, key-values) of the ``status`` statuses published from ``since_ns``."""
        return [
            (level, message, values)
            for t, name, level, message, values in self.diagnostics
            if t >= since_ns and name.endswith(status)
        ]

    def reported(self, since_ns: int, status: str, key: str, text: str = '') -> str | None:
        """The last ``key=value`` in ``status`` from ``since_ns`` on, or None.

        ``key`` is a prefix; the value must contain ``text``.
        """
        found = None
        for _, _, values in self.diagnostics_since(since_ns, status):
            for k, v in values.items():
                if k.startswith(key) and text in v:
                    found = f'{k}={v}'
        return found


def run(
    tmp: Path,
    fault: Fault | None = None,
    *,
    param_overrides: dict[str, Any] | None = None,
    model: Path | None = None,
) -> Outcome:
    """Build the scene, apply ``fault``, write the bag and replay it."""
    types = TypestoreTypes()
    messages = scene(types)
    if fault is not None:
        messages = fault(messages, types)
    messages.sort(key=lambda m: m.log_ns)
    bag = tmp / 'bag'
    with BagWriter(bag, types) as writer:
        for m in messages:
            if m.raw is not None:
                writer.write_raw(m.topic, m.msgtype or m.msg.__msgtype__, m.raw, m.log_ns)
            else:
                writer.write(m.topic, m.msg, m.log_ns)
    params_file = tmp / 'params.yaml'
    params_file.write_text(yaml.safe_dump(params(**(param_overrides or {}))))
    result = replay(bag, tmp / 'out', ReplayOptions(params=params_file, model=model))
    return Outcome(result, read_diagnostics(result.out_bag, types))


def read_diagnostics(
    bag: Path, types: TypestoreTypes
) -> list[tuple[int, str, int, str, dict[str, str]]]:
    """Every /diagnostics status of the output bag: (time, name, level, message, values)."""
    from rosbags.rosbag2 import Reader

    out = []
    with Reader(bag) as reader:
        wanted = [c for c in reader.connections if c.topic == '/diagnostics']
        for connection, t, raw in reader.messages(connections=wanted):
            for status in types.deserialize(raw, connection.msgtype).status:
                values = {kv.key: kv.value for kv in status.values}
                out.append((t, status.name, int(status.level), status.message, values))
    return out


def on(topic: str, messages: list[Message]) -> Iterator[Message]:
    """The faulty messages of ``topic``."""
    return (m for m in messages if m.topic == topic and m.faulty)
