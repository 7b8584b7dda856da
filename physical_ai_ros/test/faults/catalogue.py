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

"""The fault catalogue: per scenario, what goes wrong and what the robot must do.

Each scenario changes the factory-aisle scene from ``FAULT_AT`` on (see :mod:`harness`) and
states the expected outcome: the robot stops (every command zero once the stack has had
``REACTION_NS`` to notice, and the gate's reason), or it keeps driving (a fault that must be
tolerated: one bad message among good ones); and where the fault is reported (a
/diagnostics key, or a fault replay counted). Classes follow the field-hardening issue:
1 freshness and blindness, 3 bounded work on hostile input, 4 no crash on any input,
5 no silent wrong result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import math
import struct
from typing import Any
import zlib

from harness import Fault, FAULT_AT, Message, on, REACTION_NS
import numpy as np

from physical_ai_ros.core.messages.image import array_to_compressed
from physical_ai_ros.core.messages.pointcloud import array_to_cloud
from physical_ai_ros.core.messages.stamps import make_header, NS_PER_S
from physical_ai_ros.replay.events import FaultKind
from physical_ai_ros.replay.typestore import TypestoreTypes
from physical_ai_ros.sim.synthetic import iot_reading

HOUR_NS = 3600 * NS_PER_S
CLOUD = '/lidar/points'
IMAGE = '/camera/image_raw/compressed'
INFO = '/camera/camera_info'
ODOM = '/odom'
IOT = '/iot/readings'


@dataclass(frozen=True)
class Scenario:
    """One fault and the robot's required answer.

    Attributes:
        name: what goes wrong, as a test id.
        klass: the issue's class (1, 3, 4, 5).
        fault: how the scene's messages change.
        robot: ``stop`` (held at zero from FAULT_AT + reaction to the end) or ``drive`` (still
            moving after the fault).
        gate: the gate's reason while stopped (a StopReason name).
        report: (status, key prefix[, text in its value]) that /diagnostics must carry
            after the fault.
        replay_fault: (topic, kind) replay must count.
        params: parameter overrides (see :func:`harness.params`).
        model: a model builder (onnx) replacing the reference policy.
        from_start: the fault is there from the first message (a model, a parameter): the
            robot must never move.
        driving_until: a stop that must not come before this time (a grace period).
        reaction_ns: time the stack may take to bring the robot to rest.
    """

    name: str
    klass: int
    fault: Fault | None
    robot: str
    gate: str | None = None
    report: tuple[str, ...] | None = None
    replay_fault: tuple[str, FaultKind] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    model: Callable[[Any], bytes] | None = None
    from_start: bool = False
    driving_until: int | None = None
    reaction_ns: int = REACTION_NS


# --- fault builders -------------------------------------------------------------------------


def restamp(topic: str, shift_ns: int, *, once: bool = False) -> Fault:
    """Shift the header stamp of ``topic``'s faulty messages (only the first, with ``once``)."""

    def fault(messages: list[Message], types: TypestoreTypes) -> list[Message]:
        for m in on(topic, messages):
            header = m.msg.header
            stamp = header.stamp.sec * NS_PER_S + header.stamp.nanosec + shift_ns
            m.msg.header = make_header(max(stamp, 0), header.frame_id, types)
            if once:
                break
        return messages

    return fault


def freeze_stamps(topic: str) -> Fault:
    """Every faulty message of ``topic`` repeats the stamp of the first one (a hung driver)."""

    def fault(messages: list[Message], types: TypestoreTypes) -> list[Message]:
        frozen = None
        for m in on(topic, messages):
            frozen = frozen or m.msg.header
            m.msg.header = make_header(
                frozen.stamp.sec * NS_PER_S + frozen.stamp.nanosec, frozen.frame_id, types
            )
        return messages

    return fault


def silence(topic: str) -> Fault:
    """``topic`` goes silent at FAULT_AT."""

    def fault(messages: list[Message], types: TypestoreTypes) -> list[Message]:
        return [m for m in messages if not (m.topic == topic and m.faulty)]

    return fault


def replace_clouds(points: Callable[[int], np.ndarray[Any, Any]], *, once: bool = False) -> Fault:
    """The faulty clouds carry ``points(n)`` (n: the original point count) instead."""

    def fault(messages: list[Message], types: TypestoreTypes) -> list[Message]:
        for m in on(CLOUD, messages):
            n = int(m.msg.width) * int(m.msg.height)
            xyz = points(n)
            cloud = np.zeros(len(xyz), np.dtype([(c, np.float32) for c in 'xyz']))
            for k, c in enumerate('xyz'):
                cloud[c] = xyz[:, k]
            m.msg = array_to_cloud(cloud, m.msg.header, types)
            if once:
                break
        return messages

    return fault


def mutate(
    topic: str, change: Callable[[Any, TypestoreTypes], None], *, once: bool = False
) -> Fault:
    """Apply ``change(msg, types)`` to the faulty messages of ``topic``."""

    def fault(messages: list[Message], types: TypestoreTypes) -> list[Message]:
        for m in on(topic, messages):
            change(m.msg, types)
            if once:
                break
        return messages

    return fault


def corrupt_cdr(topic: str, *, once: bool = False) -> Fault:
    """The faulty messages of ``topic`` arrive truncated to a third of their CDR bytes."""

    def fault(messages: list[Message], types: TypestoreTypes) -> list[Message]:
        for m in on(topic, messages):
            raw = types.serialize(m.msg)
            m.raw, m.msgtype = raw[: len(raw) // 3], m.msg.__msgtype__
            if once:
                break
        return messages

    return fault


def add(topic: str, build: Callable[[int, TypestoreTypes], Any], times: list[int]) -> Fault:
    """Add ``build(t, types)`` messages on ``topic`` at log times ``times``."""

    def fault(messages: list[Message], types: TypestoreTypes) -> list[Message]:
        return messages + [Message(topic, t, build(t, types)) for t in times]

    return fault


def unknown_type(messages: list[Message], types: TypestoreTypes) -> list[Message]:
    """A message of a type nobody knows, on a topic of its own."""
    m = Message('/acme/widget', FAULT_AT, raw=b'\x00\x01\x00\x00\x07\x00\x00\x00')
    m.msgtype = 'std_msgs/msg/Empty'  # registered as its own (empty) type: a wrong payload
    return [*messages, m]


def png_claiming(width: int, height: int) -> bytes:
    """A ~100-byte PNG whose header claims ``width`` x ``height`` (its data is one row)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body))

    header = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b'\x00' * 64)
    return (
        b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', idat) + chunk(b'IEND', b'')
    )


def set_image_bytes(data: bytes, fmt: str = 'png') -> Callable[[Any, TypestoreTypes], None]:
    def change(msg: Any, types: TypestoreTypes) -> None:
        msg.format = fmt
        msg.data = np.frombuffer(data, np.uint8).copy()

    return change


def image_of_other_size(msg: Any, types: TypestoreTypes) -> None:
    """A JPEG twice the size its CameraInfo says."""
    frame = np.full((180, 320, 3), 90, np.uint8)
    new = array_to_compressed(frame, 'jpeg', msg.header, types, encoding='rgb8', quality=85)
    msg.format, msg.data = new.format, new.data


def nan_odometry(msg: Any, types: TypestoreTypes) -> None:
    msg.pose.pose.position.x = math.nan


def zero_focal_length(msg: Any, types: TypestoreTypes) -> None:
    msg.k = np.zeros(9)


def iot_ghosts(count: int) -> Fault:
    """``count`` readings from sensors nobody configured, one id each."""

    def fault(messages: list[Message], types: TypestoreTypes) -> list[Message]:
        extra = []
        for k in range(count):
            reading = iot_reading(types, FAULT_AT, 0, 20.0)
            reading.sensor_id = f'ghost_{k:05d}'
            extra.append(Message(IOT, FAULT_AT + k * 1000, reading))
        return messages + extra

    return fault


def iot_value(value: float) -> Callable[[Any, TypestoreTypes], None]:
    def change(msg: Any, types: TypestoreTypes) -> None:
        msg.value = value

    return change


def estop(t: int, types: TypestoreTypes) -> Any:
    return types.get('std_msgs/msg/Bool')(data=True)


def cloud_frame(frame: str) -> Callable[[Any, TypestoreTypes], None]:
    def change(msg: Any, types: TypestoreTypes) -> None:
        header = msg.header
        msg.header = make_header(header.stamp.sec * NS_PER_S + header.stamp.nanosec, frame, types)

    return change


def broken_point_step(msg: Any, types: TypestoreTypes) -> None:
    msg.point_step = int(msg.point_step) + 3  # the rows no longer tile the data


def no_z_field(msg: Any, types: TypestoreTypes) -> None:
    msg.fields = [f for f in msg.fields if f.name != 'z']


def xyz_count_two(msg: Any, types: TypestoreTypes) -> None:
    for f in msg.fields:
        if f.name == 'x':
            f.count = 2


def nan_model(onnx: Any) -> bytes:
    """The reference policy's contract on a graph that answers NaN for every input."""
    from onnx import helper, TensorProto

    from physical_ai_ros.policies.reference import build_reference_policy

    model = build_reference_policy()
    graph = model.graph
    graph.initializer.append(helper.make_tensor('nan', TensorProto.FLOAT, [1, 2], [math.nan] * 2))
    del graph.node[:]
    graph.node.append(helper.make_node('Identity', ['nan'], ['action']))
    keep = [i for i in graph.initializer if i.name == 'nan']
    del graph.initializer[:]
    graph.initializer.extend(keep)
    return bytes(model.SerializeToString())


def _all(value: float) -> Callable[[int], np.ndarray[Any, Any]]:
    return lambda n: np.full((max(n, 1), 3), value)


def _few(n: int) -> np.ndarray[Any, Any]:
    return np.tile(np.array([[3.0, 0.0, 0.2]]), (20, 1))


def _empty(n: int) -> np.ndarray[Any, Any]:
    return np.zeros((0, 3))


# --- the catalogue --------------------------------------------------------------------------

SECOND = NS_PER_S
CATALOGUE: list[Scenario] = [
    Scenario('no fault', 1, None, 'drive'),
    # 1. freshness and blindness: the robot stops when it cannot see
    Scenario('lidar goes silent', 1, silence(CLOUD), 'stop', 'STALE_INPUT',
             ('perception', 'stale/lidar')),
    Scenario('one lidar message stamped an hour ahead', 1, restamp(CLOUD, HOUR_NS, once=True),
             'drive', report=('perception', 'dropped/lidar/stamped in the future')),
    Scenario('every lidar message stamped an hour ahead', 1, restamp(CLOUD, HOUR_NS), 'stop',
             'STALE_INPUT', ('perception', 'dropped/lidar/stamped in the future')),
    Scenario('lidar stamped 0.5 s ahead, over max_future_stamp_s', 1,
             restamp(CLOUD, SECOND // 2), 'stop', 'STALE_INPUT',
             ('perception', 'dropped/lidar/stamped in the future')),
    Scenario('lidar stamps frozen (hung driver)', 1, freeze_stamps(CLOUD), 'stop',
             'STALE_INPUT', ('perception', 'dropped/lidar/duplicate')),
    Scenario('one lidar stamp 5 s in the past', 1, restamp(CLOUD, -5 * SECOND, once=True),
             'drive', report=('perception', 'dropped/lidar/out of order')),
    Scenario('lidar stamps 2 s behind the clock', 1, restamp(CLOUD, -2 * SECOND), 'stop',
             'STALE_INPUT', ('perception', 'stale/lidar', 'old')),
    Scenario('lidar stamp at zero', 1, restamp(CLOUD, -FAULT_AT * 2), 'stop', 'STALE_INPUT',
             ('perception', 'dropped/lidar')),
    Scenario('lidar returns only NaN', 1, replace_clouds(_all(math.nan)), 'stop', 'STALE_INPUT',
             ('perception', 'stale/lidar')),
    Scenario('lidar returns only +Inf', 1, replace_clouds(_all(math.inf)), 'stop',
             'STALE_INPUT', ('perception', 'stale/lidar')),
    Scenario('lidar returns only points at the sensor origin', 1, replace_clouds(_all(0.0)),
             'stop', 'STALE_INPUT', ('perception', 'stale/lidar')),
    Scenario('lidar returns fewer points than lidar.min_returns', 1, replace_clouds(_few),
             'stop', 'STALE_INPUT', ('perception', 'stale/lidar')),
    Scenario('lidar sends empty clouds', 1, replace_clouds(_empty), 'stop', 'STALE_INPUT',
             ('perception', 'stale/lidar')),
    Scenario('one blind lidar frame among good ones', 1,
             replace_clouds(_all(math.nan), once=True), 'drive'),
    Scenario('lidar in a frame with no transform', 1, mutate(CLOUD, cloud_frame('nowhere')),
             'stop', 'STALE_INPUT', ('perception', 'last_error/lidar', 'wrong frame')),
    Scenario('odometry goes silent (odom_loss_grace_s 0: stop)', 1, silence(ODOM), 'stop',
             'STALE_INPUT', ('perception', 'stale/grid')),
    Scenario('odometry NaN pose', 1, mutate(ODOM, nan_odometry), 'stop', 'STALE_INPUT',
             ('perception', 'last_error/odom', 'non-finite pose')),
    Scenario('odometry goes silent, odom_loss_grace_s 0.8: maps on, then stops', 1,
             silence(ODOM), 'stop', 'STALE_INPUT', ('perception', 'stale/odom'),
             params={'perception_node__odom_loss_grace_s': 0.8},
             driving_until=FAULT_AT + 1_700_000_000, reaction_ns=2_600_000_000),
    Scenario('odometry stamped an hour ahead once', 1, restamp(ODOM, HOUR_NS, once=True),
             'drive', report=('perception', 'dropped/odom/stamped in the future')),
    Scenario('e-stop engaged', 1, add('/estop', estop, [FAULT_AT]), 'stop', 'ESTOP',
             ('safety', 'estop_latched')),
    Scenario('policy model answers NaN', 1, None, 'stop', 'NON_FINITE', model=nan_model,
             from_start=True),
    # 3. bounded work on hostile input
    Scenario('PNG header claiming 32000 x 32000 pixels', 3,
             mutate(IMAGE, set_image_bytes(png_claiming(32000, 32000))), 'drive',
             report=('perception', 'stale/camera')),
    Scenario('10,000 readings from unknown IoT sensors', 3, iot_ghosts(10_000), 'drive',
             report=('perception', 'iot_rejected/others')),
    # 4. no crash on any input a real message can carry
    Scenario('truncated lidar CDR', 4, corrupt_cdr(CLOUD), 'stop', 'STALE_INPUT',
             replay_fault=(CLOUD, FaultKind.CORRUPT)),
    Scenario('one truncated lidar message', 4, corrupt_cdr(CLOUD, once=True), 'drive',
             replay_fault=(CLOUD, FaultKind.CORRUPT)),
    Scenario('truncated odometry CDR', 4, corrupt_cdr(ODOM), 'stop', 'STALE_INPUT',
             replay_fault=(ODOM, FaultKind.CORRUPT)),
    Scenario('a message of the wrong type on a topic of its own', 4, unknown_type, 'drive'),
    Scenario('lidar point_step that does not tile the data', 4, mutate(CLOUD, broken_point_step),
             'stop', 'STALE_INPUT', ('perception', 'stale/lidar', 'malformed cloud')),
    Scenario('lidar without a z field', 4, mutate(CLOUD, no_z_field), 'stop', 'STALE_INPUT',
             ('perception', 'stale/lidar', 'malformed cloud')),
    Scenario('lidar x field with count 2', 4, mutate(CLOUD, xyz_count_two), 'stop',
             'STALE_INPUT', ('perception', 'stale/lidar', 'malformed cloud')),
    Scenario('garbage bytes as JPEG', 4, mutate(IMAGE, set_image_bytes(b'\xff\xd8junk', 'jpeg')),
             'drive', report=('perception', 'stale/camera')),
    Scenario('empty compressed image', 4, mutate(IMAGE, set_image_bytes(b'', 'jpeg')), 'drive',
             report=('perception', 'stale/camera')),
    Scenario('CameraInfo with a zero focal length', 4, mutate(INFO, zero_focal_length), 'drive',
             report=('perception', 'last_error/camera', 'malformed')),
    Scenario('IoT reading NaN', 4, mutate(IOT, iot_value(math.nan)), 'drive',
             report=('perception', 'iot_rejected')),
    Scenario('IoT reading +Inf', 4, mutate(IOT, iot_value(math.inf)), 'drive',
             report=('perception', 'iot_rejected')),
    # 5. no silent wrong result
    Scenario('image twice the size of its CameraInfo', 5, mutate(IMAGE, image_of_other_size),
             'drive', report=('perception', 'stale/camera')),
    Scenario('IoT reading far out of its range', 5, mutate(IOT, iot_value(1e9)), 'drive',
             report=('perception', 'iot_rejected')),
]  # fmt: skip
