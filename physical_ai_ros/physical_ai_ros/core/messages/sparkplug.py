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

"""Sparkplug B on MQTT: topics, births and metrics, decoded with the protobuf runtime.

Sparkplug B (Eclipse Tahu) puts protobuf payloads on ``spBv1.0/GROUP/TYPE/EDGE[/DEVICE]``.
An edge node or device announces its metrics in a BIRTH (names, data types, aliases and first
values), then sends DATA messages that may name metrics by alias only and leave out their
data types, and a DEATH when it goes away: its metrics are then STALE until the next BIRTH.

The Sparkplug libraries on PyPI pin paho-mqtt 1.x or protobuf 3.x, which the rest of the
stack has left behind, so the payload schema is declared here, field by field as the published
``sparkplug_b.proto`` numbers them (the part a consumer reads; protobuf skips the rest), and
decoded by Google's protobuf runtime. Tests check it against payloads another implementation
(pysparkplug 0.6.1) encoded.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import math
from typing import Any

from physical_ai_ros.core.messages.payloads import MAX_PAYLOAD_BYTES, PayloadError

NAMESPACE = 'spBv1.0'
BIRTHS = ('NBIRTH', 'DBIRTH')
DATA = ('NDATA', 'DDATA')
DEATHS = ('NDEATH', 'DDEATH')


@dataclass(frozen=True)
class SparkplugTopic:
    """A Sparkplug B topic: ``spBv1.0/group/kind/edge_node[/device]``."""

    group: str
    kind: str
    edge_node: str
    device: str = ''

    @property
    def source(self) -> tuple[str, str, str]:
        """Who sent it: (group, edge node, device or '' for the node itself)."""
        return (self.group, self.edge_node, self.device)

    def as_data(self) -> str:
        """The DATA topic of the same sender (what mapping routes name)."""
        kind = 'DDATA' if self.device else 'NDATA'
        tail = f'/{self.device}' if self.device else ''
        return f'{NAMESPACE}/{self.group}/{kind}/{self.edge_node}{tail}'


def parse_topic(topic: str) -> SparkplugTopic | None:
    """The Sparkplug topic ``topic`` is, or None if it is not one (STATE, other namespaces)."""
    parts = topic.split('/')
    if len(parts) not in (4, 5) or parts[0] != NAMESPACE:
        return None
    kind = parts[2]
    device_level = len(parts) == 5
    if kind not in BIRTHS + DATA + DEATHS or (kind[0] == 'D') != device_level:
        return None
    return SparkplugTopic(parts[1], kind, parts[3], parts[4] if device_level else '')


def subscriptions(data_topic_filter: str) -> list[str]:
    """The filters that carry a DATA route's births, data and deaths.

    ``spBv1.0/g/DDATA/e/d`` needs ``spBv1.0/g/+/e/d`` (DBIRTH, DDATA, DDEATH) and the node's
    ``spBv1.0/g/NDEATH/e`` (a node's death is its devices' death too).
    """
    parts = data_topic_filter.split('/')
    device_level = len(parts) == 5
    own = '/'.join([*parts[:2], '+', *parts[3:]])
    if not device_level:
        return [own]
    return [own, '/'.join([*parts[:2], 'NDEATH', parts[3]])]


#: Sparkplug B data types (sparkplug_b.proto DataType) that carry a number, and where.
#: Sparkplug integer datatypes: (bits, signed). Int8/16/32, UInt8/16/32, Int64, UInt64 and
#: DateTime (ms, unsigned 64).
_INTEGER_BITS = {
    1: (8, True), 2: (16, True), 3: (32, True), 4: (64, True),
    5: (8, False), 6: (16, False), 7: (32, False), 8: (64, False), 13: (64, False),
}  # fmt: skip
_FLOAT, _DOUBLE, _BOOLEAN = 9, 10, 11


#: The ``Quality`` property's values (as Ignition and OPC DA write them): 0 Bad, 192 Good;
#: anything else is uncertain.
QUALITY_BAD, QUALITY_GOOD = 0, 192


@dataclass(frozen=True)
class Metric:
    """One metric of a payload: its name, value as a float (None if null), its stamp (ms).

    ``quality`` is the metric's ``Quality`` property (None when it has none); ``historical``
    says the value is a stored one being sent late, not a current one.
    """

    name: str
    value: float | None
    timestamp_ms: int | None
    quality: int | None = None
    historical: bool = False


@dataclass(frozen=True)
class Decoded:
    """A decoded Sparkplug payload: its timestamp (ms), metrics and ``seq`` (None: none)."""

    timestamp_ms: int
    metrics: tuple[Metric, ...]
    seq: int | None = None

    @property
    def bd_seq(self) -> int | None:
        """The ``bdSeq`` metric (an NBIRTH's session number), None without one."""
        value = next((m.value for m in self.metrics if m.name == 'bdSeq'), None)
        return int(value) if value is not None and math.isfinite(value) else None


@dataclass(frozen=True)
class Birth:
    """What a BIRTH declared: names by alias, data types by name."""

    names: dict[int, str]
    types: dict[str, int]


def decode(topic: SparkplugTopic, payload: bytes, birth: Birth | None) -> tuple[Decoded, Birth]:
    """Decode a BIRTH or DATA payload; returns it and the birth to keep for this sender.

    ``birth`` is the sender's last BIRTH as returned before (None if none seen): DATA
    messages are decoded against it (aliases to names, omitted data types).

    Raises:
        PayloadError: not a Sparkplug B payload (``bad payload``), or DATA that needs a
            BIRTH not seen (``no birth``: aliases that cannot be named).
    """
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError('payload too large', f'{len(payload)} bytes > {MAX_PAYLOAD_BYTES}')
    message = _payload_class()()
    try:
        message.ParseFromString(payload)
    except Exception as exc:  # protobuf's DecodeError (its module differs between versions)
        raise PayloadError('bad payload', f'not Sparkplug B ({type(exc).__name__})') from None
    if not message.HasField('timestamp'):
        raise PayloadError('bad payload', 'not Sparkplug B (no payload timestamp)')
    is_birth = topic.kind in BIRTHS
    if is_birth:
        birth = Birth(
            {m.alias: m.name for m in message.metrics if m.HasField('alias')},
            {m.name: m.datatype for m in message.metrics},
        )
    metrics = []
    for metric in message.metrics:
        name = metric.name
        if not metric.HasField('name'):
            if birth is None or metric.alias not in birth.names:
                raise PayloadError('no birth', f'{topic.as_data()}: metric alias {metric.alias} '
                                   'that no BIRTH named')  # fmt: skip
            name = birth.names[metric.alias]
        datatype = metric.datatype or (birth.types.get(name, 0) if birth is not None else 0)
        value = None if metric.is_null else _number(metric, datatype)
        stamp = metric.timestamp if metric.HasField('timestamp') else None
        metrics.append(Metric(name, value, stamp, _quality(metric), bool(metric.is_historical)))
    if birth is None:  # DATA from a sender never born, that named all its metrics
        birth = Birth({}, {})
    seq = int(message.seq) if message.HasField('seq') else None
    return Decoded(int(message.timestamp), tuple(metrics), seq), birth


def _quality(metric: Any) -> int | None:
    """The metric's ``Quality`` property, as an integer (None without one)."""
    if not metric.HasField('properties'):
        return None
    for key, value in zip(metric.properties.keys, metric.properties.values, strict=False):
        if key == 'Quality' and not value.is_null:
            field = value.WhichOneof('value')
            if field in ('int_value', 'long_value'):
                raw = int(getattr(value, field))
                return raw - (1 << 32) if field == 'int_value' and raw >= 1 << 31 else raw
    return None


def death_bd_seq(payload: bytes) -> int | None:
    """The ``bdSeq`` metric of an NDEATH payload (None if it has none or cannot be read)."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return None
    message = _payload_class()()
    try:
        message.ParseFromString(payload)
    except Exception:  # protobuf's DecodeError: a death without a readable payload
        return None
    for metric in message.metrics:
        if metric.name == 'bdSeq' and metric.WhichOneof('value') in ('int_value', 'long_value'):
            return int(getattr(metric, metric.WhichOneof('value')))
    return None


def encode_rebirth(timestamp_ms: int) -> bytes:
    """An NCMD payload asking an edge node to send its births again (``Node Control/Rebirth``).

    What a host application sends on a ``seq`` gap or a metric alias it cannot name
    (Sparkplug 3.0, host application's duties); encoded as Tahu's encoders do.
    """
    message = _payload_class()()
    message.timestamp = timestamp_ms
    metric = message.metrics.add()
    metric.name, metric.datatype, metric.timestamp = 'Node Control/Rebirth', _BOOLEAN, timestamp_ms
    metric.boolean_value = True
    return bytes(message.SerializeToString())


def host_state_topic(host_id: str) -> str:
    """Where a host application says it is online (Sparkplug 3.0: ``spBv1.0/STATE/<id>``)."""
    return f'{NAMESPACE}/STATE/{host_id}'


def host_state_payload(online: bool, timestamp_ms: int) -> bytes:
    """A host application's STATE: ``{"online":true,"timestamp":<ms>}`` (JSON, Sparkplug 3.0).

    The birth (online, published retained once subscribed) and the will (offline) carry the
    same timestamp, so an edge node can tell which session a STATE belongs to.
    """
    state = {'online': online, 'timestamp': timestamp_ms}
    return json.dumps(state, separators=(',', ':')).encode()


def host_state_online(payload: bytes) -> bool | None:
    """Whether a STATE payload says online (None: not a STATE payload)."""
    try:
        value = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    online = value.get('online') if isinstance(value, dict) else None
    return online if isinstance(online, bool) else None


def _number(metric: Any, datatype: int) -> float:
    """The metric's value as a float; NaN when it is not a number (a string, a dataset)."""
    field = metric.WhichOneof('value')
    if datatype in _INTEGER_BITS and field in ('int_value', 'long_value'):
        width = 32 if field == 'int_value' else 64
        return _integer(getattr(metric, field), *_INTEGER_BITS[datatype], width)
    if datatype in (_FLOAT, _DOUBLE) and field in ('float_value', 'double_value'):
        value = float(getattr(metric, field))
        return value if math.isfinite(value) else math.nan
    if datatype == _BOOLEAN and field == 'boolean_value':
        return float(metric.boolean_value)
    return math.nan


def _integer(raw: int, bits: int, signed: bool, width: int) -> float:
    """An integer metric from its unsigned field (``width`` bits); NaN outside its type.

    Encoders differ for signed types narrower than the field: Eclipse Tahu's Java encoder
    sign-extends (Int8 -5 arrives as 0xFFFFFFFB in ``int_value``), its Python encoder adds
    2^bits (251). Both read as -5. Unsigned types may come in either field (a UInt32 in
    ``long_value`` as some encoders send it).
    """
    if signed:
        if raw >= 1 << (width - 1):
            raw -= 1 << width  # sign-extended to the field
        elif bits < width and 1 << (bits - 1) <= raw < 1 << bits:
            raw -= 1 << bits  # two's complement in the type's own bits
        low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    else:
        low, high = 0, (1 << bits) - 1
    return float(raw) if low <= raw <= high else math.nan


_CLASS: list[Any] = []


def _scalar_fields(
    message: Any, first_value: int, fields: tuple[tuple[int, str, int], ...]
) -> None:
    """Declare optional scalar ``fields``; those numbered from ``first_value`` form a oneof."""
    from google.protobuf import descriptor_pb2

    optional = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
    for number, name, kind in fields:
        field = message.field.add(name=name, number=number, type=kind, label=optional)
        if number >= first_value:
            field.oneof_index = 0
    message.oneof_decl.add(name='value')


def _payload_class() -> Any:
    """The Payload message class, built once from the schema below."""
    if _CLASS:
        return _CLASS[0]
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool
    except ImportError:
        raise PayloadError(
            'bad payload', 'Sparkplug B needs protobuf (pip install protobuf)'
        ) from None
    optional = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
    repeated = descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
    kinds = descriptor_pb2.FieldDescriptorProto
    schema = descriptor_pb2.FileDescriptorProto(
        name='physical_ai_ros/sparkplug_b_consumer.proto', package='org.eclipse.tahu.protobuf',
        syntax='proto2',
    )  # fmt: skip
    payload = schema.message_type.add(name='Payload')
    metric = payload.nested_type.add(name='Metric')
    _scalar_fields(metric, 10, (
        (1, 'name', kinds.TYPE_STRING), (2, 'alias', kinds.TYPE_UINT64),
        (3, 'timestamp', kinds.TYPE_UINT64), (4, 'datatype', kinds.TYPE_UINT32),
        (5, 'is_historical', kinds.TYPE_BOOL), (6, 'is_transient', kinds.TYPE_BOOL),
        (7, 'is_null', kinds.TYPE_BOOL), (10, 'int_value', kinds.TYPE_UINT32),
        (11, 'long_value', kinds.TYPE_UINT64), (12, 'float_value', kinds.TYPE_FLOAT),
        (13, 'double_value', kinds.TYPE_DOUBLE), (14, 'boolean_value', kinds.TYPE_BOOL),
        (15, 'string_value', kinds.TYPE_STRING), (16, 'bytes_value', kinds.TYPE_BYTES),
    ))  # fmt: skip
    metric.field.add(name='properties', number=8, type=kinds.TYPE_MESSAGE, label=optional,
                     type_name='.org.eclipse.tahu.protobuf.Payload.PropertySet')  # fmt: skip
    properties = payload.nested_type.add(name='PropertySet')
    properties.field.add(name='keys', number=1, type=kinds.TYPE_STRING, label=repeated)
    properties.field.add(name='values', number=2, type=kinds.TYPE_MESSAGE, label=repeated,
                         type_name='.org.eclipse.tahu.protobuf.Payload.PropertyValue')  # fmt: skip
    value = payload.nested_type.add(name='PropertyValue')
    _scalar_fields(value, 3, (
        (1, 'type', kinds.TYPE_UINT32), (2, 'is_null', kinds.TYPE_BOOL),
        (3, 'int_value', kinds.TYPE_UINT32), (4, 'long_value', kinds.TYPE_UINT64),
        (5, 'float_value', kinds.TYPE_FLOAT), (6, 'double_value', kinds.TYPE_DOUBLE),
        (7, 'boolean_value', kinds.TYPE_BOOL), (8, 'string_value', kinds.TYPE_STRING),
    ))  # fmt: skip
    payload.field.add(name='timestamp', number=1, type=kinds.TYPE_UINT64, label=optional)
    payload.field.add(name='metrics', number=2, type=kinds.TYPE_MESSAGE, label=repeated,
                      type_name='.org.eclipse.tahu.protobuf.Payload.Metric')  # fmt: skip
    payload.field.add(name='seq', number=3, type=kinds.TYPE_UINT64, label=optional)
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(schema.SerializeToString())
    descriptor = pool.FindMessageTypeByName('org.eclipse.tahu.protobuf.Payload')
    try:
        from google.protobuf.message_factory import GetMessageClass

        cls = GetMessageClass(descriptor)
    except ImportError:  # protobuf < 4.22 (Ubuntu 22.04's python3-protobuf)
        from google.protobuf.message_factory import MessageFactory

        cls = MessageFactory(pool).GetPrototype(descriptor)
    _CLASS.append(cls)
    return cls


__all__ = [
    'BIRTHS', 'DATA', 'DEATHS', 'NAMESPACE', 'QUALITY_BAD', 'QUALITY_GOOD', 'Birth', 'Decoded',
    'Metric', 'SparkplugTopic', 'death_bd_seq', 'decode', 'encode_rebirth', 'parse_topic',
    'subscriptions',
]  # fmt: skip
