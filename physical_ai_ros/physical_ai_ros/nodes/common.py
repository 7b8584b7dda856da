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

"""What every node shares: the lifecycle base, QoS, throttled warnings, diagnostics, main."""

from __future__ import annotations

from collections.abc import Callable, Sequence
import os
import signal
import threading
import time
from typing import Any, TypeVar

from diagnostic_msgs.msg import DiagnosticArray
import rclpy
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.publisher import Publisher
from rclpy.qos import (
    HistoryPolicy,
    qos_profile_sensor_data,
    QoSProfile,
    ReliabilityPolicy,
)
from rclpy.service import Service
from rclpy.signals import SignalHandlerOptions
from rclpy.subscription import Subscription
from rclpy.timer import Timer

from physical_ai_ros.core.messages.diagnostics import diagnostic_array
from physical_ai_ros.core.messages.msgtypes import ImportedMessageTypes

TYPES = ImportedMessageTypes()
SENSOR_QOS = qos_profile_sensor_data
#: Clouds and images: the newest one only, never a backlog of multi-MB messages.
LATEST_SENSOR = QoSProfile(
    depth=1, history=HistoryPolicy.KEEP_LAST, reliability=ReliabilityPolicy.BEST_EFFORT
)
#: Grid and commands: keep only the newest, delivered reliably.
LATEST_RELIABLE = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
Entity = TypeVar('Entity')


class StageNode(LifecycleNode):
    """A lifecycle node that knows whether it is active and releases what it created.

    Subclasses create their publishers, subscriptions, timers and services in
    ``on_configure`` through :meth:`own`, so ``on_cleanup`` can destroy them all.
    """

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        #: all of this node's callbacks: on any multi-threaded executor they never overlap
        self.group = MutuallyExclusiveCallbackGroup()
        self.active = False
        self._owned: list[Any] = []
        self._last_warning: dict[str, float] = {}
        self.exceptions: dict[str, int] = {}
        #: the SCHED_FIFO priority this node wants for its executor's thread (0: the normal
        #: scheduler); :func:`spin` applies it in that thread and calls :meth:`scheduled`
        self.thread_priority = 0
        self.scheduling = 'normal'

    def scheduled(self, scheduling: str, refused: bool) -> None:
        """The executor's thread now runs under ``scheduling`` (for logs and /diagnostics)."""
        self.scheduling = scheduling
        if refused:
            self.get_logger().warning(f'thread_priority: {scheduling}')
        else:
            self.get_logger().info(f'executor thread: {scheduling}')

    def guarded(self, callback: Callable[..., None], name: str) -> Callable[..., None]:
        """Wrap a callback so an unexpected exception is logged and counted, never fatal.

        Core raises typed errors for bad input and the stages turn them into drops and stops;
        this is the last line, so that nothing takes the node down.
        """

        def call(*args: Any) -> None:
            try:
                callback(*args)
            except Exception as exc:
                self.exceptions[name] = self.exceptions.get(name, 0) + 1
                self.warn(f'exception/{name}', f'{name}: {type(exc).__name__}: {exc}')

        return call

    @property
    def configured(self) -> bool:
        """Whether configure built the stage and its ROS interfaces (and no cleanup since)."""
        return bool(self._owned)

    def own(self, entity: Entity) -> Entity:
        """Remember an entity created at configure time, for cleanup."""
        self._owned.append(entity)
        return entity

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Lifecycle transition: start passing data through."""
        self.active = True
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Lifecycle transition: stop passing data through."""
        self.active = False
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Lifecycle transition: destroy what configure created."""
        destroy = {
            Timer: self.destroy_timer,
            Subscription: self.destroy_subscription,
            Publisher: self.destroy_publisher,
            Service: self.destroy_service,
        }
        for entity in reversed(self._owned):
            next(d for kind, d in destroy.items() if isinstance(entity, kind))(entity)
        self._owned.clear()
        return TransitionCallbackReturn.SUCCESS

    def now_ns(self) -> int:
        """ROS time (sim time when use_sim_time is set) in nanoseconds."""
        return int(self.get_clock().now().nanoseconds)

    def warn(self, key: str, text: str, period_s: float = 5.0) -> None:
        """Log a warning at most once per ``period_s`` per key.

        Bad input is normal on a factory floor; a flood of one kind must not hide another.
        """
        now = time.monotonic()  # log throttling only: never reaches core
        if now - self._last_warning.get(key, -period_s) >= period_s:
            self._last_warning[key] = now
            self.get_logger().warning(text)

    def diagnostics_timer(self, status: Callable[[int], Any]) -> None:
        """Publish ``status(now_ns)`` on the absolute /diagnostics topic once a second.

        On a timer, from the stage's state at that time: a source that went silent is reported
        without waiting for its next message, and a warning clears when its cause does.
        """
        publisher = self.own(self.create_publisher(DiagnosticArray, '/diagnostics', 10))

        def publish() -> None:
            now = self.now_ns()
            stage = status(now)
            key_value = TYPES.get('diagnostic_msgs/msg/KeyValue')
            stage.values.append(key_value(key='scheduling', value=self.scheduling))
            for name, count in self.exceptions.items():  # what the guard caught, if anything
                stage.values.append(key_value(key=f'exceptions/{name}', value=str(count)))
            publisher.publish(diagnostic_array(TYPES, now, [stage]))

        self.own(self.create_timer(1.0, publish, callback_group=self.group))

    def on_exit(self) -> None:
        """Last words before the node is destroyed (the gate sends a stop); nothing by default."""


def schedule_this_thread(priority: int) -> tuple[str, bool]:
    """Run the calling thread under SCHED_FIFO at ``priority`` (1-99), or normally (0).

    As ros2_control's controller_manager does with its ``thread_priority``: a real-time
    thread is woken first whatever else loads the CPUs, so a timer fires on time. It needs
    the right to (root, CAP_SYS_NICE, or an rtprio limit: see docs/realtime.md); without it the
    thread stays on the normal scheduler and the answer says so.

    Returns:
        What the thread runs under, and whether the request was refused.
    """
    if priority == 0:
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
        return 'normal', False
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except OSError as exc:
        return (
            f'normal (SCHED_FIFO {priority} refused: {exc.strerror}; allow it with an '
            'rtprio limit or CAP_SYS_NICE, or set thread_priority 0)'
        ), True
    return f'SCHED_FIFO {priority}', False


def spin(
    lanes: Sequence[Sequence[Callable[[], StageNode]]],
    args: list[str] | None = None,
    *,
    ready: Callable[[list[StageNode]], None] | None = None,
) -> None:
    """Run nodes until SIGINT or SIGTERM, then let each say its last words and exit cleanly.

    Each lane is a single-threaded executor in a thread of its own (the first in this one):
    nodes in different lanes never wait for each other's callbacks. A lane's thread runs at
    the highest ``thread_priority`` of its nodes (see :func:`schedule_this_thread`). rclpy's
    own signal handler is not installed: it would shut the context down before the gate can
    send its stop. A signal only sets a flag, which every lane reads at least every 0.1 s:
    nothing is thrown into a running callback (a terminal and launch both send SIGINT on
    Ctrl-C, and neither may interrupt the clean-up).
    """
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda signum, frame: stopping.set())
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    executors: list[tuple[SingleThreadedExecutor, list[StageNode]]] = []
    for lane in lanes:
        executor = SingleThreadedExecutor()  # made after init: it takes the context of then
        nodes = [cls() for cls in lane]
        for node in nodes:
            executor.add_node(node)
        executors.append((executor, nodes))
    everything = [node for _, nodes in executors for node in nodes]

    def run(executor: SingleThreadedExecutor, nodes: list[StageNode]) -> None:
        priority = 0  # as the thread started
        try:
            while rclpy.ok() and not stopping.is_set():
                wanted = max(node.thread_priority for node in nodes)  # set at configure
                if wanted != priority:  # in this thread: the scheduler's call is per thread
                    priority = wanted
                    scheduling, refused = schedule_this_thread(priority)
                    for node in nodes:
                        node.scheduled(scheduling, refused)
                # back here at least every 0.1 s, even while no timer runs (unconfigured)
                executor.spin_once(timeout_sec=0.1)
        except ExternalShutdownException:
            stopping.set()

    threads = [threading.Thread(target=run, args=lane, daemon=True) for lane in executors[1:]]
    try:
        if ready is not None:
            ready(everything)
        for thread in threads:
            thread.start()
        run(*executors[0])
    except KeyboardInterrupt:
        pass
    finally:
        stopping.set()
        for thread in threads:
            if thread.is_alive():
                thread.join(timeout=2.0)
        for executor, nodes in executors:  # no callback may run while the nodes go
            for node in nodes:
                executor.remove_node(node)
            executor.shutdown(timeout_sec=1.0)
        for node in everything:
            node.on_exit()
            node.destroy_node()
        rclpy.try_shutdown()
        # rclpy's shutdown restores the default handlers: a late signal must not kill the
        # process now that it exits cleanly anyway
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
