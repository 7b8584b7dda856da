"""Live benchmark under real ROS 2: the launched node graph at 10 Hz x 131k points.

Feeds a 64x2048 cloud (4.2 MB), a 1280x720 JPEG with its CameraInfo, 16 IoT readings (all at
10 Hz) and odometry (50 Hz) into ``bringup_launch.py`` with the shipped ``mobile_base.yaml``,
separate and composed, and reports for each mode:

- cloud stamp -> /cmd_vel: end to end at this observer (the first command after the policy's
  status for that cloud; conservative by up to one gate period) and as the gate measures it
  (observation stamp -> its output), p50/p99/max;
- the baseline: cloud stamp -> arrival of the same cloud at a bare (raw) subscriber here, the
  transport floor of the 4.2 MB message;
- grid age on arrival (the occupancy grid's stamp is its cloud's), and the cloud stamp -> the
  policy's first status for that grid (the step; its stamp is the grid's);
- CPU per node (% of one core) over the measured window;
- the gate's publish rate and largest gap (from its own stamps);
- a lowered ``max_velocity`` set with ``ros2 param``'s service: the first lower command after
  the request, whether any command after the answer kept the old speed, and the time until
  the speed is at the new limit (it comes down at max_decel);
- shutdown: exit codes after SIGINT twice, and whether the gate's last command was a stop.

First, the choice between rclpy's typed subscription and a raw one (``raw=True``) decoded
here: rclpy's deserialisation of the 4.2 MB cloud against rosbags' CDR decoder on the same
bytes, interleaved.

Skips (exit 0, with the reason) where ROS 2 is not sourced. Run: ``python bench/live.py``
in a shell where the workspace with physical_ai_ros is sourced (it also needs psutil:
``python3-psutil``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import signal
import subprocess
import sys
import time

import numpy as np

try:
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
except ImportError as exc:  # no ROS 2 here: nothing to measure
    print(f'bench/live.py skipped: {exc} (source a ROS 2 workspace with physical_ai_ros)')
    sys.exit(0)
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import TwistStamped
from nav_msgs.msg import OccupancyGrid, Odometry
import psutil
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from sensor_msgs.msg import CameraInfo, CompressedImage, PointCloud2

from physical_ai_ros.core.messages.image import array_to_compressed
from physical_ai_ros.core.messages.msgtypes import ImportedMessageTypes
from physical_ai_ros.core.messages.pointcloud import array_to_cloud
from physical_ai_ros.core.messages.stamps import make_header, ns_to_stamp, stamp_to_ns
from physical_ai_ros.sim.sensors import CameraSpec, LidarSpec
from physical_ai_ros.sim.synthetic import (
    camera_frame,
    camera_info,
    camera_intrinsics,
    factory_aisle,
    iot_reading,
    lidar_scan,
    odometry_message,
    ScenarioConfig,
)
from physical_ai_ros_interfaces.msg import IotReading, PolicyStatus

PARAMS = Path(__file__).resolve().parents[1] / 'physical_ai_ros' / 'config' / 'mobile_base.yaml'
NODES = ('perception_node', 'policy_node', 'safety_node', 'physical_ai_node')
SCENE = ScenarioConfig(
    lidar=LidarSpec(channels=64, columns=2048, max_range=100.0),
    camera=CameraSpec(width=1280, height=720, fovy_deg=60.0),
)


def percentiles(values: list[float]) -> str:
    if not values:
        return 'none'
    a = np.asarray(values)
    return f'p50 {np.median(a):7.1f}  p99 {np.percentile(a, 99):7.1f}  max {a.max():7.1f}'


class Rig:
    """The sensors (a publisher per topic) and the observer (subscriptions) in one node."""

    def __init__(self) -> None:
        self.node = rclpy.create_node('live_bench')
        types = ImportedMessageTypes()
        world = factory_aisle(0)
        pose = (2.0, 0.0, 0.0)
        scan = lidar_scan(world, pose, SCENE, np.random.default_rng(0))
        self.cloud = array_to_cloud(scan, make_header(0, 'lidar_link', types), types)
        header = make_header(0, 'camera_optical', types)
        frame = camera_frame(world, pose, SCENE)
        self.jpeg = array_to_compressed(frame, 'jpeg', header, types, encoding='rgb8')
        self.info = camera_info(types, header, SCENE.camera, *camera_intrinsics(SCENE))
        self.readings = [iot_reading(types, 0, k, 22.0 + k) for k in range(16)]
        self.odom = odometry_message(types, 0, (0.0, 0.0, 0.0), 0.0, 0.0)
        node = self.node
        self.pubs = {
            'cloud': node.create_publisher(PointCloud2, 'lidar/points', 1),
            'jpeg': node.create_publisher(CompressedImage, 'camera/image_raw/compressed', 1),
            'info': node.create_publisher(CameraInfo, 'camera/camera_info', 1),
            'iot': node.create_publisher(IotReading, 'iot/readings', 20),
            'odom': node.create_publisher(Odometry, 'odom', 10),
        }
        self.recording = False
        self.raw_arrivals: list[tuple[int, int]] = []  # (stamp, arrival) of the bare subscriber
        self.grids: list[tuple[int, int]] = []
        self.statuses: list[tuple[int, int, int]] = []  # (stamp, arrival, state)
        self.commands: list[tuple[int, int, float]] = []  # (gate stamp, arrival, linear.x)
        self.gate_latency: dict[str, str] = {}
        node.create_subscription(PointCloud2, 'lidar/points', self._raw, 1, raw=True)
        node.create_subscription(OccupancyGrid, 'occupancy', self._grid, 10)
        node.create_subscription(PolicyStatus, 'policy/status', self._status, 10)
        node.create_subscription(TwistStamped, 'cmd_vel', self._command, 100)
        node.create_subscription(DiagnosticArray, '/diagnostics', self._diagnostics, 10)
        node.create_timer(0.1, self._sensors)
        node.create_timer(0.02, self._odometry)
        self.sent: list[int] = []

    def now(self) -> int:
        """ROS time [ns]."""
        return int(self.node.get_clock().now().nanoseconds)

    def _sensors(self) -> None:
        now = self.now()
        stamp = ns_to_stamp(now, ImportedMessageTypes())
        for msg in (self.jpeg, self.info):
            msg.header.stamp = stamp
        self.pubs['jpeg'].publish(self.jpeg)
        self.pubs['info'].publish(self.info)
        for reading in self.readings:
            reading.header.stamp = stamp
            self.pubs['iot'].publish(reading)
        self.cloud.header.stamp = stamp
        self.pubs['cloud'].publish(self.cloud)
        self.sent.append(now)

    def _odometry(self) -> None:
        self.odom.header.stamp = ns_to_stamp(self.now(), ImportedMessageTypes())
        self.pubs['odom'].publish(self.odom)

    def _raw(self, data: bytes) -> None:
        if self.recording:  # the stamp is the first 8 bytes after the CDR header
            sec, nanosec = np.frombuffer(data, dtype='<i4', count=2, offset=4)
            self.raw_arrivals.append((int(sec) * 10**9 + int(nanosec), self.now()))

    def _grid(self, msg: OccupancyGrid) -> None:
        if self.recording:
            self.grids.append((stamp_to_ns(msg.header.stamp), self.now()))

    def _status(self, msg: PolicyStatus) -> None:
        if self.recording:
            self.statuses.append((stamp_to_ns(msg.header.stamp), self.now(), msg.state))

    def _command(self, msg: TwistStamped) -> None:
        self.commands.append((stamp_to_ns(msg.header.stamp), self.now(), msg.twist.linear.x))

    def _diagnostics(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.name.endswith('safety'):
                self.gate_latency = {
                    kv.key: kv.value for kv in status.values if kv.key.startswith('latency')
                }


def node_processes(launch: subprocess.Popen[bytes]) -> dict[str, psutil.Process]:
    out = {}
    for child in psutil.Process(launch.pid).children(recursive=True):
        cmd = ' '.join(child.cmdline())
        for name in NODES:
            if name in cmd and 'ros2' not in child.name():
                out[name] = child
    return out


def spin_for(executor: SingleThreadedExecutor, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        executor.spin_once(timeout_sec=0.01)


def params_file(monitor: bool) -> Path:
    """The shipped params, or a copy with the collision monitor off (the baseline)."""
    if monitor:
        return PARAMS
    import tempfile

    import yaml

    data = yaml.safe_load(PARAMS.read_text())
    data['safety_node']['ros__parameters']['monitor']['enabled'] = False
    path = Path(tempfile.mkdtemp(prefix='live_')) / 'monitor_off.yaml'
    path.write_text(yaml.safe_dump(data))
    return path


def run_mode(composed: bool, seconds: float, domain: int, monitor: bool = True) -> None:
    mode = ('composed' if composed else 'separate') + (', monitor ' + ('on' if monitor else 'off'))
    env = {**os.environ, 'ROS_DOMAIN_ID': str(domain)}
    launch = subprocess.Popen(
        ['ros2', 'launch', 'physical_ai_ros', 'bringup_launch.py', f'composed:={composed}',
         f'params_file:={params_file(monitor)}', 'dds_profile:=cyclonedds', 'log_level:=warn'],
        env=env, start_new_session=True,
    )  # fmt: skip
    os.environ['ROS_DOMAIN_ID'] = str(domain)
    rclpy.init()
    rig = Rig()
    executor = SingleThreadedExecutor()
    executor.add_node(rig.node)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(c[2] > 0.05 for c in rig.commands):
            executor.spin_once(timeout_sec=0.05)
        if not any(c[2] > 0.05 for c in rig.commands):
            print(f'[{mode}] the robot never moved; no figures')
            return
        spin_for(executor, 3.0)  # warm-up
        processes = node_processes(launch)
        cpu0 = {n: p.cpu_times() for n, p in processes.items()}
        rig.recording, first = True, len(rig.commands)
        t0 = time.monotonic()
        spin_for(executor, seconds)
        wall = time.monotonic() - t0
        rig.recording = False
        cpu = {
            n: 100.0 * (sum(p.cpu_times()[:2]) - sum(cpu0[n][:2])) / wall
            for n, p in processes.items()
        }
        report(mode, rig, rig.commands[first:], cpu)
        limit_change(mode, rig, executor)
    finally:
        shutdown(mode, launch, rig, executor)
        executor.remove_node(rig.node)
        rig.node.destroy_node()
        rclpy.shutdown()


def report(
    mode: str, rig: Rig, commands: list[tuple[int, int, float]], cpu: dict[str, float]
) -> None:
    arrivals = [c[1] for c in commands]
    end_to_end, seen = [], set()
    for stamp, arrival, state in rig.statuses:
        if state != 1 or stamp in seen:  # a watchdog step on the same grid is not new
            continue
        seen.add(stamp)
        after = np.searchsorted(arrivals, arrival)
        if after < len(arrivals):
            end_to_end.append((arrivals[after] - stamp) / 1e6)
    floor = [(arrival - stamp) / 1e6 for stamp, arrival in rig.raw_arrivals]
    steps: dict[int, int] = {}  # the first step on each grid
    for stamp, arrival, state in rig.statuses:
        if state == 1:
            steps.setdefault(stamp, arrival)
    step_ages = [(arrival - stamp) / 1e6 for stamp, arrival in steps.items()]
    ages = [(arrival - stamp) / 1e6 for stamp, arrival in rig.grids]
    gate = np.asarray([c[0] for c in commands], dtype=np.int64)
    gaps = np.diff(gate) / 1e6
    rate = (len(gate) - 1) / ((gate[-1] - gate[0]) / 1e9) if len(gate) > 1 else 0.0
    print(f'\n[{mode}] {len(rig.raw_arrivals)} clouds in the window')
    print(f'  cloud stamp -> /cmd_vel here [ms]      {percentiles(end_to_end)}')
    print(f'  baseline: cloud stamp -> raw sub [ms]  {percentiles(floor)}')
    p50, p99 = rig.gate_latency.get('latency_ms/p50'), rig.gate_latency.get('latency_ms/p99')
    print(f'  gate: observation -> output [ms]       p50 {p50}  p99 {p99}')
    print(f'  grid age on arrival [ms]               {percentiles(ages)}')
    print(f'  cloud stamp -> policy status here [ms] {percentiles(step_ages)}')
    print(f'  gate rate {rate:.2f} Hz, largest gap {gaps.max():.1f} ms, gaps > 30 ms: '
          f'{int((gaps > 30).sum())} of {len(gaps)}')  # fmt: skip
    print('  CPU [% of one core]: ' + ', '.join(f'{n} {v:.0f}%' for n, v in sorted(cpu.items())))


def limit_change(mode: str, rig: Rig, executor: SingleThreadedExecutor) -> None:
    client = rig.node.create_client(SetParameters, '/safety_node/set_parameters')
    if not client.wait_for_service(timeout_sec=5.0):
        print(f'  [{mode}] no parameter service')
        return
    before = rig.commands[-1][2]
    new_limit = 0.3
    request = SetParameters.Request(
        parameters=[
            Parameter(
                name='max_velocity',
                value=ParameterValue(
                    type=ParameterType.PARAMETER_DOUBLE_ARRAY,
                    double_array_value=[new_limit, 1.0],
                ),
            )
        ]
    )
    requested = rig.now()
    future = client.call_async(request)
    while not future.done():
        executor.spin_once(timeout_sec=0.01)
    answered = rig.now()
    ok = future.result().results[0].successful
    spin_for(executor, 1.5)
    after = [(stamp, x) for stamp, _, x in rig.commands if stamp > requested]
    if not ok or not after:
        print(f'  [{mode}] max_velocity not set: {future.result().results[0].reason}')
        return
    down = next((s for s, x in after if x < before - 1e-6), None)
    # the node applies the value before it answers: no command after the answer at the old speed
    held = [x for s, x in after if s > answered and x >= before - 1e-6]
    reached = next((s for s, x in after if x <= new_limit + 1e-6), None)

    def since(stamp: int | None) -> str:
        return 'never' if stamp is None else f'{(stamp - requested) / 1e6:.1f} ms'

    print(
        f'  max_velocity 0.8 -> {new_limit} m/s at {before:.3f} m/s: answered after '
        f'{since(answered)}; first lower command {since(down)} after the request, '
        f'{len(held)} commands after the answer at the old speed; at the limit after '
        f'{since(reached)} (max_decel 1.5 m/s2 needs {(before - new_limit) / 1.5 * 1e3:.0f} ms)'
    )


def shutdown(
    mode: str, launch: subprocess.Popen[bytes], rig: Rig, executor: SingleThreadedExecutor
) -> None:
    """SIGINT twice (as a terminal's Ctrl-C plus launch's own), then read the exit codes."""
    os.killpg(launch.pid, signal.SIGINT)
    spin_for(executor, 0.05)
    os.killpg(launch.pid, signal.SIGINT)
    deadline = time.monotonic() + 30
    while launch.poll() is None and time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.05)
    if launch.poll() is None:
        os.killpg(launch.pid, signal.SIGKILL)
    code = launch.wait()
    last = rig.commands[-1][2] if rig.commands else float('nan')
    print(f"  [{mode}] after SIGINT x2: ros2 launch exit code {code}, the gate's last "
          f'command linear.x = {last:.3f}')  # fmt: skip


def deserialization(runs: int = 100) -> None:
    """Time the typed deserialisation of the bench cloud against a raw decode, interleaved."""
    from rclpy.serialization import deserialize_message, serialize_message

    from physical_ai_ros.replay.typestore import TypestoreTypes

    types = ImportedMessageTypes()
    scan = lidar_scan(factory_aisle(0), (2.0, 0.0, 0.0), SCENE, np.random.default_rng(0))
    raw = serialize_message(array_to_cloud(scan, make_header(0, 'lidar_link', types), types))
    store = TypestoreTypes()
    cases = {
        'rclpy deserialize_message (typed subscription)': lambda: deserialize_message(
            raw, PointCloud2
        ),
        'rosbags deserialize_cdr (raw subscription)': lambda: store.deserialize(
            raw, 'sensor_msgs/msg/PointCloud2'
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, case in cases.items():
            start = time.perf_counter()
            case()
            times[name].append((time.perf_counter() - start) * 1e3)
    print(f'deserialising the {len(raw) / 1e6:.1f} MB cloud, {runs} runs interleaved [ms]:')
    for name, values in times.items():
        print(f'  {name:48s} {percentiles(values)}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seconds', type=float, default=20.0, help='measured window per mode')
    parser.add_argument('--modes', default='separate,composed')
    parser.add_argument(
        '--monitor',
        default='on,off',
        help='collision monitor on, off, or both in turn (off: the baseline)',
    )
    parser.add_argument('--rounds', type=int, default=1, help='repeat the modes, alternated')
    args = parser.parse_args()
    os.environ.setdefault(
        'CYCLONEDDS_URI', f'file://{PARAMS.parent / "cyclonedds.xml"}'
    )  # this process publishes the clouds: it needs the buffers too
    print(f'ROS_DISTRO {os.environ.get("ROS_DISTRO", "?")}, RMW '
          f'{os.environ.get("RMW_IMPLEMENTATION", "default")}, {os.cpu_count()} CPUs')  # fmt: skip
    deserialization()
    runs = [
        (mode == 'composed', monitor == 'on')
        for _ in range(args.rounds)
        for mode in args.modes.split(',')
        for monitor in args.monitor.split(',')
    ]
    for k, (composed, monitor) in enumerate(runs):  # A/B in turn: the machine's noise is shared
        run_mode(composed, args.seconds, domain=60 + k % 40, monitor=monitor)


if __name__ == '__main__':
    main()
