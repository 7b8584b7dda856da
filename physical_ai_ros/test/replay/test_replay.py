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

"""Replay: both storage formats, determinism, golden pass/fail, fault bags, report, CLI."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from rosbags.rosbag2 import Reader, StoragePlugin, Writer
import yaml

from physical_ai_ros.cli import main
from physical_ai_ros.core.messages.stamps import make_header
from physical_ai_ros.replay.events import EventKind, FaultKind
from physical_ai_ros.replay.golden import compare_bags, Tolerances
from physical_ai_ros.replay.runner import replay, ReplayOptions, ReplayResult
from physical_ai_ros.replay.typestore import TypestoreTypes
from physical_ai_ros.sim.sensors import CameraSpec, LidarSpec
from physical_ai_ros.sim.synthetic import ScenarioConfig, write_synthetic_bag

SMALL = ScenarioConfig(
    seconds=2.0,
    lidar=LidarSpec(channels=16, columns=256, max_range=100.0),
    camera=CameraSpec(width=160, height=90, fovy_deg=60.0),
)
CONFIG = Path(__file__).resolve().parents[2] / 'config' / 'mobile_base.yaml'


def small_params() -> dict[str, Any]:
    """The shipped mobile-base params, extrinsics from the bag's /tf_static, a smaller grid."""
    data: dict[str, Any] = yaml.safe_load(CONFIG.read_text())
    perception = data['perception_node']['ros__parameters']
    perception['lidar']['extrinsics'] = []
    perception['camera']['extrinsics'] = []
    perception['grid'].update(width=100, height=100)
    data['safety_node']['ros__parameters']['rate_hz'] = 20.0
    return data


@pytest.fixture(scope='module')
def bags(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp('bags')
    return {
        storage: write_synthetic_bag(root / storage, SMALL, storage=storage)
        for storage in ('mcap', 'sqlite3')
    }


@pytest.fixture(scope='module')
def params(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp('params') / 'params.yaml'
    path.write_text(yaml.safe_dump(small_params()))
    return path


def assert_gate_rate(
    cmd_vel: list[tuple[int, bytes]], commands: list[tuple[int, bytes]], seconds: float, hz: float
) -> None:
    """The gate published at ``hz`` (commands take ticks' slots), no gap over 1.1 periods."""
    times = [t for t, _ in cmd_vel]
    periodic = int(seconds * hz) + 1  # both ends
    assert 0.95 * periodic <= len(times) <= periodic + len(commands)
    assert max(b - a for a, b in itertools.pairwise(times)) <= 1.1e9 / hz


def messages(bag: Path) -> dict[str, list[tuple[int, bytes]]]:
    out: dict[str, list[tuple[int, bytes]]] = {}
    with Reader(bag) as reader:
        for connection, t, raw in reader.messages():
            out.setdefault(connection.topic, []).append((t, bytes(raw)))
    return out


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_replay_writes_every_output_topic(
    bags: dict[str, Path], params: Path, tmp_path: Path, storage: str
) -> None:
    result = replay(bags[storage], tmp_path, ReplayOptions(params=params))
    assert result.updates == 20 and result.policy_steps >= 18
    assert not result.faults
    out = messages(result.out_bag)
    assert set(out) == {
        '/monitor/field',  # the collision monitor's protective field, for RViz
        '/grid',
        '/occupancy',
        '/policy/command',
        '/policy/status',
        '/cmd_vel',
        '/diagnostics',
    }
    assert_gate_rate(out['/cmd_vel'], out['/policy/command'], result.duration_s, 20.0)
    assert len(out['/grid']) == 2  # 1 Hz full grid, OccupancyGrid at every update
    assert len(out['/occupancy']) == 20
    with Reader(result.out_bag) as reader:
        assert reader.ros_distro is not None
        assert {c.msgtype for c in reader.connections} >= {
            'physical_ai_ros_interfaces/msg/SpatialGrid', 'geometry_msgs/msg/TwistStamped',
            'diagnostic_msgs/msg/DiagnosticArray',
        }  # fmt: skip
    moving = [v for _, v, reason in result.commands if reason == 'NONE']
    assert moving and max(v[0] for v in moving) > 0.3  # the reference policy drove


def test_replay_is_byte_for_byte_deterministic(
    bags: dict[str, Path], params: Path, tmp_path: Path
) -> None:
    first = replay(bags['mcap'], tmp_path / 'a', ReplayOptions(params=params))
    second = replay(bags['mcap'], tmp_path / 'b', ReplayOptions(params=params))
    assert messages(first.out_bag) == messages(second.out_bag)


def test_golden_pass_and_fail_on_a_changed_parameter(
    bags: dict[str, Path], params: Path, tmp_path: Path
) -> None:
    golden = replay(bags['mcap'], tmp_path / 'golden', ReplayOptions(params=params)).out_bag
    same = replay(bags['mcap'], tmp_path / 'same', ReplayOptions(params=params)).out_bag
    assert compare_bags(same, golden).passed
    changed = tmp_path / 'changed.yaml'
    data = yaml.safe_load(params.read_text())
    data['safety_node']['ros__parameters']['max_velocity'] = [0.5, 1.0]  # a deliberate change
    changed.write_text(yaml.safe_dump(data))
    other = replay(bags['mcap'], tmp_path / 'other', ReplayOptions(params=changed)).out_bag
    comparison = compare_bags(other, golden)
    assert not comparison.passed
    first = comparison.first
    assert first is not None and first.topic in ('/cmd_vel', '/policy/status', '/diagnostics')
    cmd = next(t for t in comparison.topics if t.topic == '/cmd_vel')
    assert cmd.divergence is not None and cmd.divergence.field == 'twist.linear.x'
    assert cmd.divergence.got == pytest.approx(0.5) and cmd.divergence.expected > 0.5
    loose = tmp_path / 'tol.yaml'
    loose.write_text(
        yaml.safe_dump(
            {
                'topics': {
                    '/cmd_vel': {'abs': 1.0},
                    '/diagnostics': {'skip': True},
                    '/policy/status': {'skip': True},
                }
            }
        )
    )
    assert compare_bags(other, golden, Tolerances.load(loose)).passed


def test_cli_golden_flow_exit_codes_and_junit(
    bags: dict[str, Path], params: Path, tmp_path: Path, capsys: Any
) -> None:
    bag, golden, out = str(bags['mcap']), str(tmp_path / 'golden'), str(tmp_path / 'out')
    args = ['replay', bag, '--params', str(params), '--out', out, '--golden', golden]
    assert main([*args, '--update-golden']) == 0
    assert main(args) == 2  # the first run's OUT/output is there: replaced only when asked
    assert main([*args, '--force']) == 0
    text = capsys.readouterr()
    assert 'golden: PASS' in text.out and 'replaying [' not in text.err  # no bar when not a TTY
    suite = ET.parse(Path(out) / 'junit.xml').getroot()
    assert suite.get('failures') == '0' and int(suite.get('tests', '0')) == 7  # a topic each
    changed = tmp_path / 'changed.yaml'
    data = yaml.safe_load(params.read_text())
    data['safety_node']['ros__parameters']['max_accel'] = [0.2, 2.0]
    changed.write_text(yaml.safe_dump(data))
    rerun = ['replay', bag, '--params', str(changed), '--out', out, '--golden', golden]
    assert main([*rerun, '--force']) == 1
    text = capsys.readouterr().out
    assert 'golden: FAIL' in text and 'first divergence: t=' in text and '/cmd_vel' in text
    suite = ET.parse(Path(out) / 'junit.xml').getroot()
    failures = suite.findall('.//failure')
    assert int(suite.get('failures', '0')) == len(failures) >= 1
    html = (Path(out) / 'report.html').read_text()
    assert 'Golden comparison: FAIL' in html and html.count('data:image/png;base64,') == 4
    assert main(['replay', str(tmp_path / 'nope'), '--out', out]) == 2


def write_fault_bag(path: Path, types: Any) -> None:
    """Odometry and lidar with a corrupt cloud, an unknown type, a gap and stamps going back."""
    good = write_synthetic_bag(path.parent / 'source', SMALL)
    with Reader(good) as reader:
        source = [(c.topic, c.msgtype, t, bytes(raw)) for c, t, raw in reader.messages()]
    writer = Writer(path, version=9, storage_plugin=StoragePlugin.MCAP)
    writer.open()
    connections: dict[str, Any] = {}

    def write(topic: str, msgtype: str, t: int, raw: bytes) -> None:
        if topic not in connections:
            connections[topic] = writer.add_connection(topic, msgtype, typestore=types.store)
        writer.write(connections[topic], t, raw)

    unknown = writer.add_connection(
        '/acme/widget', 'acme_msgs/msg/Widget', msgdef='', rihs01='RIHS01_' + '0' * 64
    )
    start = source[0][2]
    for topic, msgtype, t, raw in source:
        if start + 600_000_000 < t < start + 1_800_000_000 and topic == '/lidar/points':
            continue  # a 1.2 s gap in the lidar
        if topic == '/lidar/points' and t == start + 300_000_000:
            raw = raw[: len(raw) // 3]  # truncated in transit
        write(topic, msgtype, t, raw)
    writer.write(unknown, start + 100, b'\x00\x01\x00\x00\x07\x00\x00\x00')
    # an odometry message whose stamp jumps 5 s back, and a duplicate one
    odom = types.get('nav_msgs/msg/Odometry')
    back = types.deserialize(
        next(raw for topic, _, _, raw in source if topic == '/odom'), 'nav_msgs/msg/Odometry'
    )
    back.header = make_header(start - 5_000_000_000, 'odom', types)
    write('/odom', odom.__msgtype__, start + 1_900_000_000, types.serialize(back))
    writer.close()


def test_fault_bag_is_reported_never_fatal(params: Path, tmp_path: Path, types: Any) -> None:
    bag = tmp_path / 'faulty'
    write_fault_bag(bag, types)
    result = replay(bag, tmp_path / 'out', ReplayOptions(params=params))
    kinds = {kind for (_, kind) in result.faults}
    expected = {FaultKind.CORRUPT, FaultKind.UNKNOWN_TYPE, FaultKind.GAP, FaultKind.CLOCK_JUMP}
    assert expected <= kinds
    assert result.faults[('/lidar/points', FaultKind.CORRUPT)] == 1
    faults = [e for e in result.events if e.kind is EventKind.FAULT]
    assert all(e.consequence for e in faults), faults  # each got the gate's state after it
    gap = next(e for e in faults if e.fault is FaultKind.GAP)
    assert gap.detail.startswith('gap: no message for')
    assert gap.consequence.startswith('gate stopping')  # a 1.2 s lidar gap stops the robot
    assert result.stops  # and the stops are counted
    out = messages(result.out_bag)  # the gate kept publishing through the faults
    assert_gate_rate(out['/cmd_vel'], out.get('/policy/command', []), result.duration_s, 20.0)


def test_missing_params_and_bad_model_are_typed_errors(
    bags: dict[str, Path], tmp_path: Path
) -> None:
    from physical_ai_ros.core.errors import ModelError
    from physical_ai_ros.core.params.spec import ParamError

    bad = tmp_path / 'bad.yaml'
    bad.write_text('safety_node:\n  ros__parameters:\n    rate_hz: 0.1\n')
    with pytest.raises(ParamError, match=r'rate_hz=0\.1'):
        replay(bags['mcap'], tmp_path / 'x', ReplayOptions(params=bad))
    with pytest.raises(ModelError, match='cannot read it'):
        replay(bags['mcap'], tmp_path / 'y', ReplayOptions(model=tmp_path / 'absent.onnx'))


def test_outputs_are_stamped_with_bag_time(
    bags: dict[str, Path], params: Path, tmp_path: Path, types: Any
) -> None:
    result = replay(bags['mcap'], tmp_path, ReplayOptions(params=params))
    with Reader(result.out_bag) as reader:
        for connection, t, raw in reader.messages():
            if connection.topic == '/cmd_vel':
                msg = types.deserialize(raw, connection.msgtype)
                assert msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec == t
    assert result.start_ns == 1_700_000_000 * 10**9
    assert np.isclose(result.duration_s, 2.0, atol=0.1)


def test_the_policy_and_gate_answer_a_grid_at_its_own_time(
    params: Path, tmp_path: Path, types: Any
) -> None:
    bag = write_synthetic_bag(tmp_path / 'bag', SMALL)
    result = replay(bag, tmp_path / 'out', ReplayOptions(params=params))
    out = messages(result.out_bag)
    grids = {t for t, _ in out['/occupancy']}
    commands = [t for t, _ in out['/policy/command']]
    assert commands and set(commands) <= grids  # each step at the time of a new grid
    cmd_vel = {t for t, _ in out['/cmd_vel']}
    assert set(commands) <= cmd_vel  # and the gate sent it on at that very time


def test_a_policy_slower_than_its_deadline_fails_ci_when_asked(
    bags: dict[str, Path], params: Path, tmp_path: Path, capsys: Any
) -> None:
    data = yaml.safe_load(params.read_text())
    data['policy_node']['ros__parameters']['deadline_ms'] = 0.0001  # no step is this fast
    strict = tmp_path / 'strict.yaml'
    strict.write_text(yaml.safe_dump(data))
    out = tmp_path / 'out'
    args = ['replay', str(bags['mcap']), '--params', str(strict), '--out', str(out), '--no-report']
    assert main(args) == 0  # reported, not failed, unless asked
    assert 'steps over it on this machine' in capsys.readouterr().out
    assert main([*args, '--force', '--fail-on-deadline']) == 1
    case = ET.parse(out / 'junit.xml').getroot().find(".//testcase[@name='policy deadline']")
    assert case is not None and case.find('failure') is not None
    data['policy_node']['ros__parameters']['deadline_ms'] = 10000.0
    strict.write_text(yaml.safe_dump(data))
    assert main([*args, '--force', '--fail-on-deadline']) == 0


def test_a_chunked_policy_is_played_between_steps_deterministically(
    tmp_path: Path, types: Any
) -> None:
    from onnx import helper, numpy_helper, TensorProto

    from physical_ai_ros.core.policy.contract import METADATA_KEY

    horizon = 20  # 0.4 s of commands, 0.02 s apart: (0.01 k, 0)
    k = np.arange(horizon, dtype=np.float32)
    chunk = numpy_helper.from_array(np.column_stack([0.01 * k, 0 * k])[None], 'chunk')
    zero = numpy_helper.from_array(np.zeros((1, 1), np.float32), 'zero')
    graph = helper.make_graph(
        [helper.make_node('ReduceSum', ['grid'], ['total'], keepdims=0),
         helper.make_node('Mul', ['total', 'zero'], ['nothing']),
         helper.make_node('Add', ['chunk', 'nothing'], ['action'])],
        'chunky',
        [helper.make_tensor_value_info('grid', TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info('action', TensorProto.FLOAT, [1, horizon, 2])],
        [zero, chunk],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], ir_version=7)
    contract = {
        'name': 'chunky',
        'inputs': [{'tensor': 'grid', 'source': 'grid', 'layers': ['occupancy'],
                    'size': [8, 8], 'resolution': 0.1}],
        'output': {'tensor': 'action', 'command': 'cmd_vel', 'fields': ['linear.x', 'angular.z'],
                   'horizon': horizon, 'step_s': 0.02},
    }  # fmt: skip
    helper.set_model_props(model, {METADATA_KEY: yaml.safe_dump(contract)})
    data = small_params()
    data['policy_node']['ros__parameters']['control_rate_hz'] = 50.0  # ticks between grids
    params = tmp_path / 'params.yaml'
    params.write_text(yaml.safe_dump(data))
    path = tmp_path / 'chunky.onnx'
    path.write_bytes(model.SerializeToString())
    bag = write_synthetic_bag(tmp_path / 'bag', SMALL)
    runs = [
        replay(bag, tmp_path / f'out{n}', ReplayOptions(params=params, model=path))
        for n in range(2)
    ]
    first, second = (messages(r.out_bag) for r in runs)
    assert first == second  # byte for byte
    # a step on every 10 Hz grid sends the chunk's step 0; the 50 Hz control ticks play steps
    # 1 to 5, each in its own 20 ms slot (the tick at the next grid's time comes first)
    sent = [
        round(float(types.deserialize(raw, 'std_msgs/msg/Float64MultiArray').data[0]), 6)
        for _, raw in first['/policy/command']
    ]
    assert set(sent) == {0.0, 0.01, 0.02, 0.03, 0.04, 0.05}
    assert runs[0].policy_steps > 0


def _constant_policy(path: Path, value: tuple[float, float]) -> Path:
    """The reference policy's contract on a model that always answers ``value``."""
    from onnx import helper, numpy_helper, TensorProto

    from physical_ai_ros.core.policy.contract import METADATA_KEY
    from physical_ai_ros.policies.reference import CONTRACT

    answer = numpy_helper.from_array(np.array([value], np.float32), 'answer')
    zero = numpy_helper.from_array(np.zeros((1, 1), np.float32), 'zero')
    graph = helper.make_graph(
        [helper.make_node('ReduceSum', ['grid'], ['total'], keepdims=0),
         helper.make_node('Mul', ['total', 'zero'], ['nothing']),
         helper.make_node('Add', ['answer', 'nothing'], ['action'])],
        'constant',
        [helper.make_tensor_value_info('grid', TensorProto.FLOAT, [1, 1, 40, 40])],
        [helper.make_tensor_value_info('action', TensorProto.FLOAT, [1, 2])],
        [zero, answer],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], ir_version=7)
    helper.set_model_props(model, {METADATA_KEY: yaml.safe_dump(CONTRACT)})
    path.write_bytes(model.SerializeToString())
    return path


def test_a_modelled_link_decides_deterministically_who_answers(
    bags: dict[str, Path], params: Path, tmp_path: Path
) -> None:
    remote = _constant_policy(tmp_path / 'remote.onnx', (0.25, 0.0))
    up, down, flaky = (tmp_path / f'{name}.yaml' for name in ('up', 'down', 'flaky'))
    up.write_text('latency_ms: {median: 5.0, p99: 5.0}\n')
    down.write_text('outages: [[0.0, 100.0]]\n')
    flaky.write_text('seed: 2\nlatency_ms: {median: 20.0, p99: 200.0}\ndrop_rate: 0.1\n')

    def run(name: str, **options: Any) -> tuple[ReplayResult, dict[str, list[tuple[int, bytes]]]]:
        result = replay(bags['mcap'], tmp_path / name, ReplayOptions(params=params, **options))
        return result, messages(result.out_bag)

    local_only = run('local')[1]['/policy/command']
    remote_only = run('remote', model=remote)[1]['/policy/command']
    result_up, out_up = run('up', link=up, remote_model=remote)
    assert out_up['/policy/command'] == remote_only  # the link always delivered in time
    assert 'answered remotely' in result_up.link and ' 0 lost and 0 late' in result_up.link
    assert run('down', link=down, remote_model=remote)[1]['/policy/command'] == local_only
    first, out_a = run('flaky_a', link=flaky, remote_model=remote)
    _, out_b = run('flaky_b', link=flaky, remote_model=remote)
    assert out_a == out_b  # byte for byte, diagnostics included
    commands = out_a['/policy/command']
    assert commands != local_only and commands != remote_only  # some of each
    assert not first.nondeterministic
    # whoever answered, nothing outside the gate's limits reached the robot
    gate = small_params()['safety_node']['ros__parameters']
    types = TypestoreTypes()
    for _, raw in out_a['/cmd_vel']:
        twist = types.deserialize(raw, 'geometry_msgs/msg/TwistStamped').twist
        assert gate['min_velocity'][0] <= twist.linear.x <= gate['max_velocity'][0]
        assert gate['min_velocity'][1] <= twist.angular.z <= gate['max_velocity'][1]


def test_a_modelled_link_has_the_live_breaker_and_status_names_who_answered(
    bags: dict[str, Path], tmp_path: Path
) -> None:
    """An outage, and the breaker as live: 2 failures, then no request for 0.3 s of bag time.

    Every step the local model answered is a fallback; each status names its model.
    """
    from physical_ai_ros.core.policy.runtime import sha256_of

    remote = _constant_policy(tmp_path / 'remote.onnx', (0.25, 0.0))
    data = small_params()
    data['policy_node']['ros__parameters'].update(
        {'remote': {'breaker_failures': 2, 'breaker_backoff_s': 0.3}})  # fmt: skip
    (tmp_path / 'params.yaml').write_text(yaml.safe_dump(data))
    (tmp_path / 'link.yaml').write_text('latency_ms: {median: 5.0, p99: 5.0}\n'
                                        'outages: [[0.5, 1.5]]\n')  # fmt: skip
    options = ReplayOptions(params=tmp_path / 'params.yaml', link=tmp_path / 'link.yaml',
                            remote_model=remote)  # fmt: skip
    result = replay(bags['mcap'], tmp_path / 'out', options)
    assert ' while the breaker was open' in result.link
    breaker = int(result.link.split(' and ')[-1].split(' while')[0])
    assert breaker > 0  # requests the outage's steps did not send
    types = TypestoreTypes()
    statuses = [types.deserialize(raw, 'physical_ai_ros_interfaces/msg/PolicyStatus')
                for _, raw in messages(result.out_bag)['/policy/status']]  # fmt: skip
    hashes = {'remote': sha256_of(remote.read_bytes()), 'local': result.model_sha256}
    answered = [s for s in statuses if s.action.size]  # statuses of steps (not degraded ones)
    assert {s.backend for s in answered} == {'remote', 'local'}
    for status in answered:
        assert status.model_sha256 == hashes[status.backend], status.backend
    local_steps = sum(s.backend == 'local' for s in answered)
    assert answered[-1].fallbacks == local_steps  # breaker-open steps counted too


def test_a_replay_calling_a_live_server_is_marked_non_deterministic(
    bags: dict[str, Path], tmp_path: Path
) -> None:
    pytest.importorskip('tritonclient.grpc', reason='tritonclient[grpc] is not installed')
    data = small_params()
    data['policy_node']['ros__parameters'].update(
        backend='hybrid', remote={'endpoint': '127.0.0.1:9', 'model_name': 'policy'}
    )
    hybrid = tmp_path / 'hybrid.yaml'
    hybrid.write_text(yaml.safe_dump(data))
    result = replay(bags['mcap'], tmp_path / 'out', ReplayOptions(params=hybrid))
    assert 'live server' in result.nondeterministic
    from physical_ai_ros.replay.report import summary

    assert 'NOT DETERMINISTIC' in summary(result, None, None)


def test_a_replay_answered_by_a_remote_server_says_so_in_policy_status(
    bags: dict[str, Path], tmp_path: Path
) -> None:
    pytest.importorskip('tritonclient.grpc', reason='tritonclient[grpc] is not installed')
    from physical_ai_ros.inference.server import start_server
    from physical_ai_ros.policies.reference import CONTRACT, SHIPPED

    (tmp_path / 'contract.yaml').write_text(yaml.safe_dump(CONTRACT))
    server, port = start_server(SHIPPED, port=0)
    try:
        data = small_params()
        data['policy_node']['ros__parameters'].update(
            backend='remote', contract_path=str(tmp_path / 'contract.yaml'),
            remote={'endpoint': f'127.0.0.1:{port}', 'model_name': 'policy'},
        )  # fmt: skip
        (tmp_path / 'remote.yaml').write_text(yaml.safe_dump(data))
        result = replay(
            bags['mcap'], tmp_path / 'out', ReplayOptions(params=tmp_path / 'remote.yaml')
        )
    finally:
        server.stop(grace=None)
    types = TypestoreTypes()
    statuses = [types.deserialize(raw, 'physical_ai_ros_interfaces/msg/PolicyStatus')
                for _, raw in messages(result.out_bag)['/policy/status']]  # fmt: skip
    answered = [s for s in statuses if s.action.size]
    assert answered and {s.backend for s in answered} == {'remote'}  # was 'local'
    assert answered[-1].fallbacks == 0 and answered[-1].round_trip_p50_ms > 0.0
    # the server names the model that answered (a parameter of its answers)
    from physical_ai_ros.core.policy.runtime import sha256_of

    assert {s.model_sha256 for s in answered} == {sha256_of(SHIPPED.read_bytes())}


def test_the_collision_monitor_reports_its_interventions_and_nearest_return(
    bags: dict[str, Path], params: Path, tmp_path: Path
) -> None:
    from physical_ai_ros.replay.report import summary

    wide = tmp_path / 'wide.yaml'  # a slowdown zone reaching the racks beside the aisle
    data = yaml.safe_load(params.read_text())
    data['safety_node']['ros__parameters']['monitor']['zones'] = [
        '{name: wide, action: slowdown, ratio: 0.5, '
        'polygon: [[0.4, -2.2], [5.0, -2.2], [5.0, 2.2], [0.4, 2.2]]}'
    ]
    wide.write_text(yaml.safe_dump(data))
    result = replay(bags['mcap'], tmp_path / 'on', ReplayOptions(params=wide))
    assert result.monitor_interventions is not None
    assert result.monitor_interventions.get('wide', 0) >= 1
    assert 'lidar' not in result.monitor_interventions  # waiting for the first cloud: start-up
    assert result.monitor_nearest_m is not None and 0.0 < result.monitor_nearest_m < 5.0
    line = next(x for x in summary(result, None, None).splitlines() if 'collision monitor' in x)
    total = sum(result.monitor_interventions.values())
    assert line.startswith(f'  collision monitor: {total} intervention(s), ')
    assert f'nearest return {result.monitor_nearest_m:.2f} m' in line
    off = tmp_path / 'off.yaml'
    data['safety_node']['ros__parameters']['monitor']['enabled'] = False
    off.write_text(yaml.safe_dump(data))
    without = replay(bags['mcap'], tmp_path / 'off', ReplayOptions(params=off))
    assert without.monitor_interventions is None
    assert 'collision monitor' not in summary(without, None, None)
