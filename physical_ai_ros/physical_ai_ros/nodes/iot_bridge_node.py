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

"""iot_bridge_node: the factory's MQTT sensors in, IotReading out (what perception reads)."""

from __future__ import annotations

from typing import Any

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.lifecycle import LifecycleState, TransitionCallbackReturn

from physical_ai_ros.core.errors import PhysicalAiError
from physical_ai_ros.core.messages.diagnostics import OK, status, WARN
from physical_ai_ros.core.messages.payloads import robot_state_payload
from physical_ai_ros.core.messages.sparkplug_edge import robot_state_metrics
from physical_ai_ros.core.messages.stamps import make_header
from physical_ai_ros.core.params.iot_mapping import load_mapping
from physical_ai_ros.core.params.schema import IOT_BRIDGE
from physical_ai_ros.core.params.spec import ParamError
from physical_ai_ros.core.perception.bridge import IotBridge
from physical_ai_ros.core.perception.iot import Reading, SCALAR_TYPES, STATUS_OK, STATUS_WARN
from physical_ai_ros.iot.clients import mqtt_client, opcua_client
from physical_ai_ros.nodes.common import spin, StageNode, TYPES
from physical_ai_ros.nodes.ros_params import declare, values
from physical_ai_ros_interfaces.msg import IotReading

READINGS_DEPTH = 100  # a burst of sensors reporting together is not dropped


class IotBridgeNode(StageNode):
    """Bridges an MQTT broker and an OPC UA server into ``iot/readings``.

    See core/perception/bridge.py. Readings arrive on paho's network thread and asyncua's
    event loop thread and are published from there; the mapping is checked at configure (a
    wrong file fails the transition with file:line), the connections are open while active.
    The broker is connected when the mapping has mqtt: routes or a state topic is set, the
    OPC UA server when it has opcua: routes.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__('iot_bridge_node', **kwargs)
        declare(self, IOT_BRIDGE)
        self.scalars: dict[str, tuple[str, Any, Any]] = {}
        self.bridge: IotBridge | None = None
        self.client: Any = None  # MQTT
        self.opcua: Any = None

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Lifecycle transition: check the parameters and the mapping, prepare the clients."""
        try:
            config = values(self, IOT_BRIDGE)
            mapping = load_mapping(config['mapping_file'])
            self.bridge = IotBridge(mapping.mqtt, mapping.opcua, retained=config['mqtt.retained'])
            northbound = config['mqtt.state_topic'] or config['mqtt.sparkplug_node']
            if mapping.mqtt or northbound:
                self.client = mqtt_client(self.bridge, config, self._publish, clock_ns=self.now_ns)
            if mapping.opcua:
                self.opcua = opcua_client(self.bridge, config, self._publish, clock_ns=self.now_ns)
        except (ParamError, PhysicalAiError) as exc:
            self.get_logger().error(f'cannot configure: {exc}')
            return TransitionCallbackReturn.FAILURE
        self.readings = self.own(
            self.create_lifecycle_publisher(IotReading, 'iot/readings', READINGS_DEPTH)
        )
        # sensor_msgs scalars where the mapping asks (publish_as), one topic per sensor
        self.scalars = {
            sensor: (SCALAR_TYPES[msgtype][0], TYPES.get(msgtype), self.own(
                self.create_lifecycle_publisher(TYPES.get(msgtype), f'iot/{sensor}', 10)
            ))
            for sensor, msgtype in self.bridge.scalar_outputs().items()
        }  # fmt: skip
        self.diagnostics_timer(self._diagnostics)
        if northbound:  # the stack's own /diagnostics, summarised: JSON or Sparkplug metrics
            self.own(self.create_subscription(
                DiagnosticArray, '/diagnostics', self.guarded(self._state, 'state'), 10,
                callback_group=self.group,
            ))  # fmt: skip
        return TransitionCallbackReturn.SUCCESS

    def _state(self, msg: DiagnosticArray) -> None:
        """Publish the robot's state from the safety, policy and perception statuses."""
        if not self.active or self.client is None:
            return
        by_name = {item.name: item for item in msg.status}
        safety = by_name.get('physical_ai_ros: safety')
        if safety is None:
            return  # another node's diagnostics: the gate's come every second
        values = {kv.key: kv.value for kv in safety.values}
        stops = {k.split('/', 1)[1]: int(v) for k, v in values.items() if k.startswith('stops/')}
        policy = by_name.get('physical_ai_ros: policy')
        backend = 'local'
        if policy is not None:
            backend = {kv.key: kv.value for kv in policy.values}.get('backend', 'local')
        perception = by_name.get('physical_ai_ros: perception')
        out_of_range = sorted({
            kv.key.split('/')[1] for kv in (perception.values if perception else [])
            if kv.key.startswith('iot_rejected/') and kv.key.endswith('/out of range')
        })  # fmt: skip
        state = {'gate': safety.message, 'stopping': _level(safety.level) != OK, 'stops': stops,
                 'backend': backend, 'iot_out_of_range': out_of_range}  # fmt: skip
        self.client.publish_state(robot_state_payload(self.now_ns(), **state))
        self.client.publish_metrics(robot_state_metrics(**state))

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Lifecycle transition: connect (paho and asyncua keep reconnecting)."""
        for client in self._connections():
            client.start()
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Lifecycle transition: disconnect."""
        for client in self._connections():
            client.stop()
        return super().on_deactivate(state)

    def on_exit(self) -> None:
        """Disconnect on the way out."""
        if self.active:
            for client in self._connections():
                client.stop()

    def _connections(self) -> list[Any]:
        return [c for c in (self.client, self.opcua) if c is not None]

    def _publish(self, reading: Reading) -> None:
        header = make_header(reading.stamp_ns, 'odom', TYPES)
        self.readings.publish(IotReading(
            header=header, sensor_id=reading.sensor_id, quantity=reading.quantity,
            value=reading.value, unit=reading.unit, variance=0.0, status=reading.status,
        ))  # fmt: skip
        scalar = self.scalars.get(reading.sensor_id)
        if scalar is not None and reading.status in (STATUS_OK, STATUS_WARN):
            field, cls, publisher = scalar  # a scalar cannot say "bad": only usable values
            publisher.publish(cls(header=header, **{field: reading.value}, variance=0.0))

    def _diagnostics(self, now: int) -> Any:
        if self.bridge is None:
            return status(TYPES, 'physical_ai_ros: iot bridge', WARN, 'not configured', {})
        counts = self.bridge.status
        found: dict[str, Any] = {'accepted': counts.accepted}
        found.update({f'stamped_by/{k}': v for k, v in sorted(counts.stamped.items())})
        found.update({f'rejected/{k}': v for k, v in sorted(counts.rejected.items())})
        if counts.last_rejection:
            found['last_rejection'] = counts.last_rejection
        problems = []
        if self.client is not None:
            found['mqtt_connected'] = self.client.connected
            if not self.client.connected:
                problems.append('broker not connected')
        if self.opcua is not None:
            found['opcua_connected'] = self.opcua.connected
            if self.opcua.last_error:
                found['opcua_error'] = self.opcua.last_error
            if self.opcua.bad_nodes:
                found['opcua_bad_nodes'] = ', '.join(sorted(self.opcua.bad_nodes))[:200]
            if not self.opcua.connected:
                problems.append('OPC UA server not connected')
        level = WARN if problems else OK
        return status(TYPES, 'physical_ai_ros: iot bridge', level, '; '.join(problems) or 'ok',
                      found)  # fmt: skip


def _level(level: Any) -> int:
    """A DiagnosticStatus level as an int (rclpy gives the ``byte`` field as bytes)."""
    return level[0] if isinstance(level, (bytes, bytearray)) else int(level)


def main(args: list[str] | None = None) -> None:
    """Run iot_bridge_node until shutdown."""
    spin([[IotBridgeNode]], args)
