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

"""check-config: every bad value is refused with node, parameter, value, what is allowed, line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from physical_ai_ros.cli import main
from physical_ai_ros.core.params.config_check import (
    check_params_file,
    check_params_text,
    for_any_namespace,
    load_node_params,
)
from physical_ai_ros.core.params.docs import markdown
from physical_ai_ros.core.params.schema import NODES, perception_config, resolve, safety_config
from physical_ai_ros.core.params.spec import ParamError

REPO = Path(__file__).resolve().parents[4]
CONFIGS = sorted((REPO / 'physical_ai_ros' / 'config').glob('*.yaml'))


def section(node: str, body: str) -> str:
    indented = '\n'.join('    ' + line for line in body.strip().splitlines())
    return f'{node}:\n  ros__parameters:\n{indented}\n'


P, S, N = 'perception_node', 'safety_node', 'policy_node'
BAD = [
    (
        section(P, 'grid:\n  resolution: -0.1'),
        'perception_node: grid.resolution=-0.1: expected double in [0.01, 2] m',
        4,
    ),
    (section(P, 'grid:\n  resolution: fine'), "grid.resolution='fine': expected double", 4),
    (
        section(P, 'grid:\n  resolution: 1'),
        'grid.resolution=1: write 1.0 (ROS 2 does not turn integers into doubles)',
        4,
    ),
    (section(P, 'grid:\n  width: 20.5'), 'grid.width=20.5: expected int in [10, 2000] cells', 4),
    (section(P, 'grid:\n  width: 5'), 'grid.width=5: expected int in [10, 2000]', 4),
    (section(P, 'grid:\n  width: true'), 'grid.width=True: expected int', 4),
    (section(P, 'grid:\n  resolution: .nan'), 'grid.resolution=nan: must be finite', 4),
    (
        section(P, 'lidar:\n  timeout_s: 0.0'),
        'lidar.timeout_s=0.0: expected double in [0.01, 60] s',
        4,
    ),
    (section(P, 'lidar:\n  names: lidar'), "lidar.names='lidar': expected string array", 4),
    (
        section(P, 'lidar:\n  names: [front, 3]'),
        "lidar.names=['front', 3]: expected string array",
        4,
    ),
    (section(P, 'lidar:\n  names: []'), 'lidar.names=[]: at least one lidar name', 4),
    (
        section(P, 'lidar:\n  names: [a, a]'),
        "lidar.names=['a', 'a']: at least one lidar name, no repeats",
        4,
    ),
    (
        section(P, 'lidar:\n  key_source: rear'),
        "lidar.key_source='rear': \"\" or one of ['lidar']",
        4,
    ),
    (
        section(P, 'lidar:\n  extrinsics: [0.0, 0.0, 1.0]'),
        'lidar.extrinsics=[0.0, 0.0, 1.0]: empty (TF) or 6 values per lidar (6)',
        4,
    ),
    (
        section(P, 'lidar:\n  box_min: [0, 0]'),
        'lidar.box_min=[0, 0]: expected double array of length 3',
        4,
    ),
    (
        section(P, 'lidar:\n  box_min: [0.0, 0.0, 3.0]'),
        'lidar.box_max=[10.0, 10.0, 2.5]: each coordinate above lidar.box_min',
        None,
    ),
    (
        section(P, 'lidar:\n  min_range: 5.0\n  max_range: 4.0'),
        'lidar.max_range=4.0: more than lidar.min_range (5.0)',
        5,
    ),
    (
        section(P, 'lidar:\n  voxl_size: 0.1'),
        "lidar.voxl_size=0.1: unknown parameter; did you mean 'lidar.voxel_size'?",
        4,
    ),
    (
        section(P, 'mapping:\n  miss_log_odds: 0.4'),
        'mapping.miss_log_odds=0.4: expected double in [-10, 0]',
        4,
    ),
    (
        section(P, 'mapping:\n  min_obstacle_height: 3.0'),
        'mapping.max_obstacle_height=2.0: more than mapping.min_obstacle_height',
        None,
    ),
    (
        section(P, 'ground:\n  max_slope_deg: 60.0'),
        'ground.max_slope_deg=60.0: expected double in [0, 45] deg',
        4,
    ),
    (
        section(P, 'camera:\n  names: [cam]\n  extrinsics: [1.0, 2.0, 3.0, 4.0, 5.0]'),
        'camera.extrinsics=[1.0, 2.0, 3.0, 4.0, 5.0]: empty (TF) or 6 values per camera (6)',
        5,
    ),
    (
        section(P, 'iot:\n  sensor_ids: [t1]\n  quantities: []'),
        'iot.quantities=[]: one entry per sensor in iot.sensor_ids (1)',
        5,
    ),
    (
        section(
            P,
            'iot:\n  sensor_ids: [t1]\n  quantities: [temperature]\n  units: [degC]\n'
            '  min_values: [10.0]\n  max_values: [0.0]',
        ),
        'iot.max_values=[0.0]: each above its iot.min_values entry',
        8,
    ),
    (
        section(
            P,
            'iot:\n  sensor_ids: [t1]\n  quantities: [temperature]\n  units: [degC]\n'
            '  min_values: [0.0]\n  max_values: [9.0]\n  positions: [1.0, 2.0]',
        ),
        'iot.positions=[1.0, 2.0]: empty or 3 values per sensor (3)',
        9,
    ),
    (
        section(S, 'output_type: twist_stampd'),
        "safety_node: output_type='twist_stampd': "
        "expected string, one of 'twist', 'twist_stamped'",
        3,
    ),
    (
        section(S, 'stop_mode: brake'),
        "stop_mode='brake': expected string, one of 'decelerate', 'immediate'",
        3,
    ),
    (section(S, 'max_velocity: [0.8]'), 'max_velocity=[0.8]: one value per axis (2)', 3),
    (
        section(S, 'min_velocity: [0.1, -1.0]'),
        'min_velocity=[0.1, -1.0]: values <= 0 (zero must be allowed)',
        3,
    ),
    (section(S, 'max_accel: [0.0, 1.0]'), 'max_accel=[0.0, 1.0]: values > 0', 3),
    (section(S, 'max_jerk: [1.0]'), 'max_jerk=[1.0]: empty or one value per axis (2)', 3),
    (
        section(S, 'axes: [linear.x, yaw]'),
        "axes=['linear.x', 'yaw']: twist_stamped has no field 'yaw'",
        3,
    ),
    (section(S, 'rate_hz: 0.5'), 'rate_hz=0.5: expected double in [1, 1000] Hz', 3),
    (section(S, 'command_timeout_s: []'), 'command_timeout_s=[]: expected double', 3),
    (
        section(N, 'providers: [cpu, tpu]'),
        "policy_node: providers=['cpu', 'tpu']: "
        "expected string array, one of 'tensorrt', 'cuda', 'openvino', 'cpu'",
        3,
    ),
    (
        section(N, 'control_rate_hz: 0.0'),
        'control_rate_hz=0.0: expected double in [0.5, 1000] Hz',
        3,
    ),
    (section(N, 'deadline_ms: -5.0'), 'deadline_ms=-5.0: expected double in [0, 10000] ms', 3),
    (section(N, 'intra_op_threads: 0'), 'intra_op_threads=0: expected int in [1, 64]', 3),
    (
        'fusion_node:\n  ros__parameters:\n    x: 1\n',
        "fusion_node: <node>='fusion_node': unknown node; known: perception_node",
        1,
    ),
    (
        'safety_node:\n  rate_hz: 10\n',
        "safety_node: ros__parameters={'rate_hz': 10}: expected a ros__parameters mapping",
        1,
    ),
    ('safety_node:\n  ros__parameters: [1, 2]\n', 'expected a ros__parameters mapping', 1),
    ('- just\n- a list\n', "<root>='list': expected node names mapping to ros__parameters", 1),
    (
        'safety_node:\n  ros__parameters:\n    rate_hz: [unclosed\n',
        'not valid YAML: expected',
        4,
    ),
]


@pytest.mark.parametrize(('text', 'message', 'line'), BAD)
def test_bad_params_are_refused_with_their_message(
    text: str, message: str, line: int | None
) -> None:
    problems = check_params_text(text)
    assert problems, 'the bad value was accepted'
    formatted = [p.format('f.yaml') for p in problems]
    assert any(message in f for f in formatted), formatted
    if line is not None:
        assert any(p.line == line for p in problems), [(p.line, p.name) for p in problems]


def test_there_are_at_least_thirty_bad_cases() -> None:
    assert len(BAD) >= 30


@pytest.mark.parametrize('path', CONFIGS, ids=[p.name for p in CONFIGS])
def test_shipped_configs_pass_and_build_core_configs(path: Path) -> None:
    assert check_params_text(path.read_text()) == []
    perception = perception_config(
        resolve('perception_node', load_node_params(path, 'perception_node'))
    )
    assert perception.lidars
    safety = safety_config(resolve('safety_node', load_node_params(path, 'safety_node')))
    assert len(safety.axes) == len(safety.max_velocity)


def test_namespaced_and_wildcard_sections(tmp_path: Path) -> None:
    text = (
        '/**:\n  ros__parameters:\n    use_sim_time: true\n    rate_hz: 20.0\n'
        '/robot1/safety_node:\n  ros__parameters:\n'
        '    use_sim_time: true\n    stop_mode: immediate\n'
    )
    assert check_params_text(text) == []
    path = tmp_path / 'p.yaml'
    path.write_text(text)
    assert load_node_params(path, 'safety_node') == {'rate_hz': 20.0, 'stop_mode': 'immediate'}
    assert load_node_params(path, 'policy_node') == {}


def test_load_refuses_a_bad_file_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / 'p.yaml'
    path.write_text(section(S, 'rate_hz: 0.5'))
    with pytest.raises(ParamError) as refused:
        load_node_params(path, 'safety_node')
    message = str(refused.value)  # said once, with where: not the problem twice over
    assert message.startswith('safety_node: rate_hz=0.5: ') and message.endswith(f'({path}:3)')
    assert message.count('rate_hz') == 1


def test_cli_check_config_exit_codes(tmp_path: Path, capsys: Any) -> None:
    good, bad = tmp_path / 'good.yaml', tmp_path / 'bad.yaml'
    good.write_text(section(S, 'rate_hz: 20.0'))
    bad.write_text(section(S, 'rate_hz: 0.5\nstop_mode: brake'))
    assert main(['check-config', str(good)]) == 0
    assert main(['check-config', str(good), str(bad)]) == 1
    err = capsys.readouterr().err
    assert (
        f'{bad}:3: safety_node: rate_hz=0.5' in err and f'{bad}:4: safety_node: stop_mode' in err
    )
    assert '2 problem(s)' in err


def test_resolve_refuses_required_and_unknown() -> None:
    with pytest.raises(ParamError, match="unknown parameter; did you mean 'rate_hz'"):
        resolve('safety_node', {'rate': 1.0})


def test_parameter_docs_are_current() -> None:
    docs = (REPO / 'docs' / 'parameters.md').read_text(encoding='utf-8')
    assert docs == markdown() + '\n', (
        'docs/parameters.md is stale: run `physical-ai params --output docs/parameters.md`'
    )
    for node, params in NODES.items():
        assert f'## {node}' in docs
        assert all(f'`{name}`' in docs for name in params.names())


def test_bare_node_sections_are_keyed_for_any_namespace(tmp_path: Path) -> None:
    data = {
        'perception_node': {'ros__parameters': {'grid': {'resolution': 0.2}}},
        '/robot2/safety_node': {'ros__parameters': {'rate_hz': 25.0}},
        '/**': {'ros__parameters': {'use_sim_time': True}},
    }
    rewritten = for_any_namespace(data)
    assert set(rewritten) == {'/**/perception_node', '/robot2/safety_node', '/**'}
    path = tmp_path / 'ns.yaml'
    path.write_text(yaml.safe_dump(rewritten), encoding='utf-8')
    assert load_node_params(path, 'perception_node') == {'grid.resolution': 0.2}
    assert check_params_file(path) == []


def test_a_safety_node_without_axes_is_refused() -> None:
    text = yaml.safe_dump(
        {
            'safety_node': {
                'ros__parameters': {
                    'axes': ['linear.x'],
                    'min_velocity': [-0.1],
                    'max_velocity': [0.5],
                    'max_accel': [1.0],
                    'max_decel': [1.0],
                }
            }
        }
    )
    assert check_params_text(text) == []
    problems = check_params_text(
        yaml.safe_dump({'safety_node': {'ros__parameters': {'axes': []}}})
    )
    assert any(p.name == 'axes' and 'at least one axis' in p.allowed for p in problems), problems


def test_wildcard_sections_are_checked_against_every_node() -> None:
    text = (
        '/**:\n'
        '  ros__parameters:\n'
        '    use_sim_time: true\n'
        '    deadline_ms: -5.0\n'  # policy_node declares it: out of range
        '    no_such_parameter: 1\n'
    )
    problems = check_params_text(text)
    assert {(p.node, p.name) for p in problems} == {
        ('policy_node', 'deadline_ms'),
        ('**', 'no_such_parameter'),
    }
    assert all(p.line in (4, 5) for p in problems)


def test_a_duplicate_key_is_reported_with_its_line() -> None:
    text = 'safety_node:\n  ros__parameters:\n    rate_hz: 50.0\n    rate_hz: 5.0\n'
    (problem,) = check_params_text(text)
    assert problem.name == 'safety_node.ros__parameters.rate_hz' and problem.line == 4
    assert 'duplicate key' in problem.allowed


@pytest.mark.parametrize(
    ('overrides', 'message'),
    [
        ({'mqtt.tls.cert': 'c.pem'}, 'mqtt.tls.cert'),
        ({'mqtt.sparkplug_host_id': 'plant/robot7'}, 'one topic level'),
        ({'mqtt.sparkplug_host_id': 'robot7', 'mqtt.state_topic': 'robots/7/state'},
         'one last will'),
        ({'opcua.endpoint': 'opc.tcp://:::garbage:::'}, 'opcua.endpoint'),
        ({'mqtt.sparkplug_node': 'robot7'}, 'set together with mqtt.sparkplug_node'),
        ({'mqtt.shared_group': 'a/b'}, 'mqtt.shared_group'),
        ({'mqtt.shared_group': 'bridges', 'mqtt.protocol': 311}, 'MQTT 5'),
        ({'mqtt.sparkplug_group': 'plant1', 'mqtt.sparkplug_node': 'robot7',
          'mqtt.state_topic': 'r/7'}, 'one last will'),
    ],
)  # fmt: skip
def test_a_bad_bridge_setting_is_one_line_naming_it(
    overrides: dict[str, Any], message: str
) -> None:
    from physical_ai_ros.core.params.schema import check_node, resolve

    values = resolve('iot_bridge_node', {'mapping_file': 'bridge.yaml'}) | overrides
    errors = check_node('iot_bridge_node', values)
    assert errors, overrides
    text = str(errors[0])
    assert message in text and '\n' not in text, text
