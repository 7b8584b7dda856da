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


"""Factory IoT commands: ``iot check`` (a bridge mapping) and ``iot record`` (into a bag)."""

from __future__ import annotations

import argparse
from pathlib import Path
import sys
from typing import Any, TYPE_CHECKING

from physical_ai_ros.cli.arguments import needs, positive, positive_int
from physical_ai_ros.core.errors import PhysicalAiError

if TYPE_CHECKING:
    from physical_ai_ros.cli.arguments import Commands


def register(commands: Commands) -> None:
    """Add ``iot check`` and ``iot record``."""
    iot = commands.add_parser('iot', help='the factory IoT bridge (MQTT, Sparkplug B, OPC UA)')
    iot_commands = iot.add_subparsers(dest='iot_command', required=True, metavar='COMMAND')
    iot_check = iot_commands.add_parser('check', help='check a bridge mapping file')
    iot_check.add_argument('mapping', help='mapping YAML (mqtt: and opcua: routes)')
    iot_check.add_argument(
        '--topic',
        action='append',
        default=[],
        metavar='TOPIC',
        help='a topic a device publishes on: which routes it feeds, and the sensor id each '
        'gives (repeatable); a topic no route takes is a problem',
    )
    iot_check.set_defaults(handler=_check)
    iot_record = iot_commands.add_parser(
        'record', help='record the bridged readings of a broker into a rosbag2'
    )
    iot_record.add_argument(
        '--params',
        default='',
        help="params YAML: iot_bridge_node's connection (MQTT TLS, client certificate, "
        'username and password_env; OPC UA security, certificates, server pinning) and '
        'mapping_file, as the node uses them',
    )
    iot_record.add_argument(
        '--mapping', default='', help="mapping YAML (mqtt:, opcua:); default: the params' file"
    )
    iot_record.add_argument(
        '--broker',
        default='',
        help="host:port of the broker (default: the params', else 127.0.0.1:1883)",
    )
    iot_record.add_argument(
        '--opcua',
        default='',
        help='OPC UA server of the opcua: routes (opc.tcp://HOST:PORT/PATH; default: the '
        "params' opcua.endpoint)",
    )
    iot_record.add_argument('--out', required=True, help='bag to write (must not exist)')
    iot_record.add_argument('--seconds', type=positive, required=True, help='how long [s]')
    iot_record.add_argument(
        '--max-readings',
        type=positive_int,
        default=None,
        help='stop earlier, after this many readings',
    )
    iot_record.add_argument('--topic', default='/iot/readings', help='bag topic')
    iot_record.add_argument(
        '--client-id', default='physical_ai_ros_iot_record', help='MQTT client id'
    )
    iot_record.add_argument('--force', action='store_true', help='replace an existing bag')
    iot_record.set_defaults(handler=_record)
    needs(iot_record, 'paho')


def _check(args: argparse.Namespace) -> int:
    """Check an IoT bridge mapping file: one line per route, or every problem (exit 1).

    As ``check-config``: problems on stderr, one per line, then their count; exit 1. A file
    that cannot be read at all is bad input (exit 2).
    """
    from physical_ai_ros.core.params.iot_mapping import check_mapping

    mapping, problems = check_mapping(args.mapping)
    if mapping is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f'{args.mapping}: {len(problems)} problem(s)', file=sys.stderr)
        return 1
    for route in mapping.mqtt:
        rate = f', at most {route.max_rate_hz:g} Hz' if route.max_rate_hz else ''
        spec = route.payload
        what = f'sparkplug metric {spec.metric!r}' if spec.format == 'sparkplug' else spec.format
        stamp = 'device time' if spec.format == 'sparkplug' or spec.timestamp else 'receipt time'
        print(
            f'{route.topic} -> {route.sensor_id} ({route.quantity}, {route.unit} -> '
            f'{route.to_unit}, {what}, {stamp}{rate})'
        )
    for node in mapping.opcua:
        rate = f', at most {node.max_rate_hz:g} Hz' if node.max_rate_hz else ''
        print(
            f'opcua {node.node_id} -> {node.sensor_id} ({node.quantity}, {node.unit} -> '
            f'{node.to_unit}, sampled every {node.sampling_interval_ms:g} ms, SourceTimestamp'
            f'{rate})'
        )
    unrouted = _show_topics(mapping, args.topic)
    if unrouted:
        for topic in unrouted:
            print(f'{args.mapping}: topic {topic!r} matches no route: its messages would be '
                  "counted as 'unknown topic' and dropped", file=sys.stderr)  # fmt: skip
        print(f'{args.mapping}: {len(unrouted)} problem(s)', file=sys.stderr)
        return 1
    print(f'{args.mapping}: {len(mapping.mqtt)} MQTT and {len(mapping.opcua)} OPC UA route(s) ok')
    return 0


def _show_topics(mapping: Any, topics: list[str]) -> list[str]:
    """Print, per sample topic, every route it feeds (all apply, in file order); the unrouted.

    A Sparkplug topic feeds the routes of its sender's DATA topic (births and deaths too).
    """
    from physical_ai_ros.core.messages import sparkplug
    from physical_ai_ros.core.messages.payloads import topic_matches
    from physical_ai_ros.core.perception.bridge import sensor_id_of

    unrouted = []
    for topic in topics:
        spb = sparkplug.parse_topic(topic)
        target = spb.as_data() if spb is not None else topic
        fed = [
            (k, route) for k, route in enumerate(mapping.mqtt)
            if (route.payload.format == 'sparkplug') == (spb is not None)
            and topic_matches(route.topic, target)
        ]  # fmt: skip
        if not fed:
            unrouted.append(topic)
            continue
        for k, route in fed:
            sensor = sensor_id_of(route.sensor_id, target)
            print(f'topic {topic} feeds mqtt[{k}] {route.topic} -> '
                  f'{sensor if sensor is not None else "no sensor id (template)"}')  # fmt: skip
    return unrouted


def _record(args: argparse.Namespace) -> int:
    """Record the bridged readings of a broker into a rosbag2 (iot/readings, IotReading)."""
    import queue
    import time

    from physical_ai_ros.core.messages.stamps import make_header
    from physical_ai_ros.core.params.iot_bridge_params import opcua_endpoint_ok
    from physical_ai_ros.core.params.iot_mapping import load_mapping
    from physical_ai_ros.core.perception.bridge import IotBridge
    from physical_ai_ros.core.perception.iot import Reading
    from physical_ai_ros.inference.tls import split_endpoint
    from physical_ai_ros.iot.clients import mqtt_client, opcua_client
    from physical_ai_ros.replay.bagwriter import BagWriter
    from physical_ai_ros.replay.outputs import prepare_bag_output
    from physical_ai_ros.replay.typestore import TypestoreTypes

    config = _bridge_params(args.params, args.mapping)
    mapping_file = config['mapping_file']
    broker = args.broker or f'{config["mqtt.host"]}:{config["mqtt.port"]}'
    host, port = split_endpoint(broker)
    endpoint = args.opcua or config['opcua.endpoint']
    mapping = load_mapping(mapping_file)
    bridge = IotBridge(mapping.mqtt, mapping.opcua, retained=config['mqtt.retained'])
    if mapping.opcua and not endpoint:
        raise PhysicalAiError(f'{mapping_file} has opcua: routes: name the server with '
                              '--opcua (or opcua.endpoint in --params)')  # fmt: skip
    if endpoint and not opcua_endpoint_ok(endpoint):
        raise PhysicalAiError(f'--opcua {endpoint!r}: expected opc.tcp://HOST:PORT[/PATH]')
    out = Path(args.out)
    prepare_bag_output(out, (), force=args.force)
    received: queue.Queue[tuple[int, Reading]] = queue.Queue()

    def put(reading: Reading) -> None:
        received.put((time.time_ns(), reading))

    clients: list[Any] = []
    if mapping.mqtt:  # a recording of its own: not the node's session, nor its state topic
        clients.append(mqtt_client(bridge, config, put, host=host, port=port,
                                   client_id=args.client_id, persistent=False,
                                   state_topic=''))  # fmt: skip
    if mapping.opcua:
        clients.append(opcua_client(bridge, config, put, endpoint=endpoint,
                                    mapping_file=mapping_file))  # fmt: skip
    types = TypestoreTypes()
    cls = types.get('physical_ai_ros_interfaces/msg/IotReading')
    count = 0
    came_up: set[int] = set()  # the clients that were connected at some point
    for client in clients:
        client.start()
    try:
        with BagWriter(out, types) as bag:
            deadline = time.monotonic() + args.seconds
            while time.monotonic() < deadline and count != args.max_readings:
                came_up.update(k for k, c in enumerate(clients) if c.connected)
                try:
                    receipt, r = received.get(timeout=0.1)
                except queue.Empty:
                    continue
                msg = cls(
                    header=make_header(r.stamp_ns, 'odom', types),
                    sensor_id=r.sensor_id,
                    quantity=r.quantity,
                    value=r.value,
                    unit=r.unit,
                    variance=0.0,
                    status=r.status,
                )
                bag.write(args.topic, msg, receipt)  # log time: when it arrived here
                count += 1
    finally:
        for client in clients:
            client.stop()
    rejected = ', '.join(f'{k} {v}' for k, v in sorted(bridge.status.rejected.items()))
    print(
        f'wrote {out}: {count} readings on {args.topic}'
        + (f'; refused: {rejected}' if rejected else '')
    )
    never = [c for k, c in enumerate(clients) if k not in came_up]
    for client in never:  # an empty bag from a server never reached is a failure, not a pass
        where = f'{host}:{port}' if hasattr(client, 'qos') else endpoint
        why = f': {client.last_error}' if client.last_error else ''
        print(f'physical-ai iot record: error: never connected to {where}{why}', file=sys.stderr)
    return 1 if never else 0


def _bridge_params(path: str, mapping: str) -> dict[str, Any]:
    """``iot_bridge_node``'s resolved values from a params file (defaults without one).

    ``mapping`` (``--mapping``), when given, replaces the file's ``mapping_file``.

    Raises:
        ParamError: a value the node would refuse (named, with file:line where known), or a
            combination check-config refuses.
    """
    from physical_ai_ros.core.params.config_check import load_node_params
    from physical_ai_ros.core.params.schema import check_node, resolve

    overrides = load_node_params(path, 'iot_bridge_node') if path else {}
    if mapping:
        overrides['mapping_file'] = mapping
    values = resolve('iot_bridge_node', overrides)
    problems = check_node('iot_bridge_node', values)
    if problems:
        raise problems[0]
    return values
