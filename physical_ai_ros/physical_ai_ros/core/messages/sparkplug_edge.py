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

"""The robot as a Sparkplug B 3.0 edge node: its state as NBIRTH, NDATA and NDEATH.

So that Ignition and other Sparkplug host applications discover the robot as they discover a
PLC: an NDEATH (the MQTT last will, carrying the session's ``bdSeq``), then an NBIRTH
declaring every metric with its data type (``seq`` 0, the same ``bdSeq``, ``Node
Control/Rebirth``), then NDATA with the metrics that changed (``seq`` 1..255, wrapping to 0).
A metric the birth did not declare, or a host's ``Node Control/Rebirth`` command, makes a new
birth. Each new MQTT session (a reconnect) counts ``bdSeq`` up. The robot's state is the
same as the JSON on ``mqtt.state_topic`` (:func:`~.payloads.robot_state_payload`), as metrics
(:func:`robot_state_metrics`). Encoded as Tahu's encoders do, with the schema of
:mod:`.sparkplug`.
"""

from __future__ import annotations

from typing import Any

from physical_ai_ros.core.messages.sparkplug import _payload_class, NAMESPACE

#: sparkplug_b.proto DataType: the ones the robot's state uses.
INT64, DOUBLE, BOOLEAN, STRING = 4, 10, 11, 12
REBIRTH = 'Node Control/Rebirth'

Value = bool | int | float | str


def robot_state_metrics(
    *, gate: str, stopping: bool, stops: dict[str, int], backend: str,
    iot_out_of_range: list[str],
) -> dict[str, Value]:  # fmt: skip
    """The robot's state (as :func:`~.payloads.robot_state_payload` has it) as metrics."""
    metrics: dict[str, Value] = {
        'Gate/Stopping': stopping,
        'Gate/Message': gate,
        'Policy/Backend': backend,
        'IoT/OutOfRange': ','.join(sorted(iot_out_of_range)),
    }
    metrics.update({f'Gate/Stops/{reason}': int(n) for reason, n in sorted(stops.items())})
    return metrics


def datatype(value: Value) -> int:
    """The Sparkplug data type a value is sent as."""
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INT64
    if isinstance(value, float):
        return DOUBLE
    return STRING


class EdgeNode:
    """One edge node's session state: ``bdSeq``, ``seq`` and what its birth declared."""

    def __init__(self, group: str, node: str) -> None:
        """``group`` and ``node``: the group id and edge node id (one topic level each).

        Raises:
            ValueError: an id that is not one topic level.
        """
        for name, value in (('group', group), ('node', node)):
            if not value or any(c in value for c in '/+#'):
                raise ValueError(f'sparkplug {name} id {value!r}: one topic level, no / + #')
        self.group, self.node = group, node
        self.bd_seq = -1  # counted up by each session; the first is 0
        self._seq = 0
        self._declared: dict[str, int] = {}  # name -> data type
        self._last: dict[str, Value] = {}

    def topic(self, kind: str) -> str:
        """``spBv1.0/<group>/<kind>/<node>`` (kind: NBIRTH, NDATA, NDEATH or NCMD)."""
        return f'{NAMESPACE}/{self.group}/{kind}/{self.node}'

    def new_session(self, timestamp_ms: int) -> bytes:
        """Start a session (an MQTT connect): the next ``bdSeq``, and its NDEATH (the will)."""
        self.bd_seq = (self.bd_seq + 1) % 256
        message = _payload_class()()
        message.timestamp = timestamp_ms
        _metric(message, 'bdSeq', self.bd_seq, timestamp_ms, INT64)
        return bytes(message.SerializeToString())

    def birth(self, metrics: dict[str, Value], timestamp_ms: int) -> bytes:
        """An NBIRTH declaring ``metrics`` (``seq`` 0, the session's ``bdSeq``)."""
        self._seq = 0
        self._declared = {name: datatype(value) for name, value in metrics.items()}
        self._last = dict(metrics)
        message = _payload_class()()
        message.timestamp, message.seq = timestamp_ms, 0
        _metric(message, 'bdSeq', self.bd_seq, timestamp_ms, INT64)
        _metric(message, REBIRTH, False, timestamp_ms, BOOLEAN)
        for name, value in metrics.items():
            _metric(message, name, value, timestamp_ms, self._declared[name])
        return bytes(message.SerializeToString())

    def update(self, metrics: dict[str, Value], timestamp_ms: int) -> tuple[str, bytes] | None:
        """What to publish for the state ``metrics``: (topic, payload), or None (no change).

        NDATA with the metrics that changed; an NBIRTH of them all when one is new or its
        data type changed (a host drops data it cannot name) or no birth was sent yet.
        """
        if not self._declared or any(
            self._declared.get(name) != datatype(value) for name, value in metrics.items()
        ):
            return self.topic('NBIRTH'), self.birth(metrics, timestamp_ms)
        changed = {n: v for n, v in metrics.items() if self._last.get(n) != v}
        if not changed:
            return None
        self._last.update(changed)
        self._seq = (self._seq + 1) % 256
        message = _payload_class()()
        message.timestamp, message.seq = timestamp_ms, self._seq
        for name, value in changed.items():
            _metric(message, name, value, timestamp_ms, self._declared[name])
        return self.topic('NDATA'), bytes(message.SerializeToString())

    def rebirth(self, timestamp_ms: int) -> tuple[str, bytes]:
        """A new NBIRTH of the last state (a host asked, or a new session began)."""
        return self.topic('NBIRTH'), self.birth(dict(self._last), timestamp_ms)


def is_rebirth_command(payload: bytes) -> bool:
    """Whether an NCMD payload asks for ``Node Control/Rebirth`` (true)."""
    message = _payload_class()()
    try:
        message.ParseFromString(payload)
    except Exception:  # protobuf's DecodeError: not a Sparkplug payload
        return False
    return any(
        m.name == REBIRTH and m.WhichOneof('value') == 'boolean_value' and m.boolean_value
        for m in message.metrics
    )


def _metric(message: Any, name: str, value: Value, timestamp_ms: int, kind: int) -> None:
    metric = message.metrics.add()
    metric.name, metric.timestamp, metric.datatype = name, timestamp_ms, kind
    if kind == BOOLEAN:
        metric.boolean_value = bool(value)
    elif kind == INT64:  # two's complement in long_value, as Tahu sends a negative one
        metric.long_value = int(value) & 0xFFFF_FFFF_FFFF_FFFF
    elif kind == DOUBLE:
        metric.double_value = float(value)
    else:
        metric.string_value = str(value)
