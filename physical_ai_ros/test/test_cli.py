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

"""Bad command lines end with a one-line reason and exit code 2, and leave nothing behind."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
import re
import sys
from typing import Any

import pytest

from physical_ai_ros.cli import build_parser, main
from physical_ai_ros.policies.reference import SHIPPED


def run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse refuses a bad argument this way
        return int(exc.code or 0)


@pytest.mark.parametrize(
    ('argv', 'reason'),
    [
        (['sim', 'record', '--scenario', 'nope', '--out', '{tmp}/bag'], "invalid choice: 'nope'"),
        (['sim', 'record', '--seconds', '-1', '--out', '{tmp}/bag'], '-1 must be > 0'),
        (['sim', 'eval', '--episodes', '0'], '0 must be > 0'),
        (['params', '--output', '{tmp}/missing/params.md'], 'No such file or directory'),
        (['check-config', '{tmp}/missing.yaml'], 'no such file'),
        (['replay', '{tmp}/bag', '--grid-rate', '-1'], '-1 must be >= 0'),
        (['make-demo-bag', '{tmp}/bag', '--seconds', 'nan'], 'nan must be > 0'),
        (
            [
                'sim',
                'eval',
                '--adversarial',
                'forward',
                '--model',
                '{tmp}/m.onnx',
                '--out-dir',
                '{tmp}/eval',
            ],
            '--adversarial and --model: choose one policy',
        ),
        (['sim', 'eval', '--adversarial', 'reckless'], "invalid choice: 'reckless'"),
        (['replay', '{tmp}/bag', '--out', '{tmp}/out'], '/bag: does not exist'),
        (
            ['replay', '{demo}', '--out', '{tmp}/out', '--golden', '{tmp}/golden'],
            'no such golden bag; record one first with --update-golden',
        ),
        (
            ['replay', '{demo}', '--out', '{tmp}/out', '--junit', '{tmp}/j.xml'],
            '--junit reports the golden comparison or the deadline',
        ),
        (
            [
                'replay',
                '{demo}',
                '--out',
                '{tmp}/out',
                '--fail-on-deadline',
                '--junit',
                '{tmp}/missing/j.xml',
            ],
            'missing does not exist',
        ),
        (
            ['replay', '{demo}', '--out', '{tmp}/out', '--params', '{tmp}/broken.yaml'],
            "broken.yaml:4: not valid YAML: expected ',' or ']', but got ':'",
        ),
        (
            [
                'iot',
                'record',
                '--mapping',
                '{tmp}/map.yaml',
                '--opcua',
                'opc.tcp://:::garbage:::',
                '--out',
                '{tmp}/out',
                '--seconds',
                '1',
            ],
            "--opcua 'opc.tcp://:::garbage:::': expected opc.tcp://HOST:PORT[/PATH]",
        ),
    ],
)
def test_a_bad_command_line_is_one_line_and_exit_2(
    argv: list[str], reason: str, tmp_path: Path, capsys: Any
) -> None:
    demo = tmp_path / 'demo.mcap'
    demo.write_bytes(b'')  # exists: the checks come before it is opened
    (tmp_path / 'map.yaml').write_text(
        'mqtt:\n  - {topic: a/b, sensor_id: s, quantity: temperature, unit: degC}\n'
    )
    (tmp_path / 'broken.yaml').write_text(
        'safety_node:\n  ros__parameters:\n    x: [1, 2\n   y: 3\n'
    )
    code = run([a.replace('{tmp}', str(tmp_path)).replace('{demo}', str(demo)) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and reason in err[-1] and 'Traceback' not in '\n'.join(err)
    for left in ('bag', 'eval', 'out'):  # nothing left behind
        assert not (tmp_path / left).exists(), left


def test_version_names_every_library(capsys: Any) -> None:
    assert run(['version']) == 0
    out = capsys.readouterr().out
    assert re.search(r'rosbags \d+\.\d+', out), out


def test_iot_check_names_each_route_or_every_problem(tmp_path: Path, capsys: Any) -> None:
    good = tmp_path / 'bridge.yaml'
    good.write_text(
        "mqtt:\n  - {topic: f/+/t, sensor_id: 't_{1}', quantity: temperature, unit: degF,"
        ' to_unit: degC}\n'
    )
    assert main(['iot', 'check', str(good)]) == 0
    assert (
        'f/+/t -> t_{1} (temperature, degF -> degC, json, receipt time)' in capsys.readouterr().out
    )
    bad = tmp_path / 'bad.yaml'
    bad.write_text(
        'mqtt:\n  - {topic: f, sensor_id: s, quantity: q, unit: degC, scale: x}\n'
        '  - {topic: g, sensor_id: t, quantity: temprature, unit: degC}\n'
        '  - {topic: h, sensor_id: u, quantity: temperature, unit: Pa}\n'
    )
    # every problem, one line each, then the count; exit 1 as check-config does
    assert main(['iot', 'check', str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith(f"{bad}:2: mqtt[0].scale='x'")
    assert err[1] == (
        f"{bad}:3: mqtt[1].quantity='temprature': not a known quantity; did you mean "
        "'temperature'? (known: temperature, pressure, relative_humidity, illuminance, "
        'vibration_rms)'
    )
    assert err[2] == f"{bad}:4: mqtt[2].unit='Pa': temperature is measured in degC, K, degF"
    assert err[3] == f'{bad}: 3 problem(s)'
    assert main(['check-config', str(good)]) == 1  # a params file's problems: exit 1 as well
    capsys.readouterr()
    bad.write_text('mqtt:\n  - {topic: f, sensor_id: t_{1}}\n')  # not YAML: one line, exit 2
    assert main(['iot', 'check', str(bad)]) == 2
    err = capsys.readouterr().err
    assert 'bad.yaml:2:' in err and len(err.strip().splitlines()) == 1


def test_iot_check_shows_which_routes_each_sample_topic_feeds(tmp_path: Path, capsys: Any) -> None:
    mapping = tmp_path / 'bridge.yaml'
    mapping.write_text(
        "mqtt:\n  - {topic: f/+/t, sensor_id: 't_{1}', quantity: temperature, unit: degF,"
        ' to_unit: degC}\n'
        "  - {topic: f/#, sensor_id: 'any_{1}', quantity: temperature, unit: degC}\n"
        '  - {topic: spBv1.0/plant1/DDATA/edge7/press3, sensor_id: press3, quantity: pressure,'
        ' unit: bar, payload: {format: sparkplug, metric: P}}\n'
    )
    topics = ['f/o7/t', 'spBv1.0/plant1/DBIRTH/edge7/press3']
    assert main(['iot', 'check', str(mapping), *(x for t in topics for x in ('--topic', t))]) == 0
    out = capsys.readouterr().out
    # both routes on one topic apply, in the file's order; a birth feeds its DATA's routes
    assert 'topic f/o7/t feeds mqtt[0] f/+/t -> t_o7' in out
    assert 'topic f/o7/t feeds mqtt[1] f/# -> any_o7' in out
    assert 'topic spBv1.0/plant1/DBIRTH/edge7/press3 feeds mqtt[2]' in out
    assert main(['iot', 'check', str(mapping), '--topic', 'g/o7/t']) == 1
    err = capsys.readouterr().err
    assert "topic 'g/o7/t' matches no route" in err and err.strip().endswith('1 problem(s)')


def _parsers(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, Any]]:
    """Every parser of ``physical-ai`` with its command path."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, f'{path} {name}')


def test_every_option_and_argument_has_help_text() -> None:
    missing = [
        f'{path} {action.dest}'
        for path, parser in _parsers(build_parser(), 'physical-ai')
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction)
        and action.help != argparse.SUPPRESS
        and not (action.help or '').strip()
    ]
    assert not missing, missing


def test_the_generated_cli_reference_names_every_command_and_option() -> None:
    from physical_ai_ros.cli.reference import markdown

    page = markdown()
    for path, parser in _parsers(build_parser(), 'physical-ai'):
        if any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
            continue  # a group: its commands have sections
        assert f'## `{path}`' in page, path
        for action in parser._actions:
            if action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
                continue
            name = (
                action.option_strings[0]
                if action.option_strings
                else action.metavar or action.dest
            )
            assert f'`{name}' in page.split(f'## `{path}`')[1].split('\n## ')[0], (path, name)


def test_help_shows_the_defaults(capsys: Any) -> None:
    assert run(['sim', 'eval', '--help']) == 0
    out = ' '.join(capsys.readouterr().out.split())
    assert 'seed of the first episode (default: 0)' in out
    assert 'number of episodes (seeds) (default: 5)' in out
    assert '(default: None)' not in out and '(default: False)' not in out


def test_no_cli_module_is_over_300_lines() -> None:
    from physical_ai_ros import cli

    folder = Path(cli.__file__).parent
    sizes = {p.name: len(p.read_text().splitlines()) for p in folder.glob('*.py')}
    assert len(sizes) >= 8 and max(sizes.values()) <= 300, sizes


def test_a_bad_hidden_layer_list_is_refused_by_argparse(capsys: Any) -> None:
    code = run(
        ['train', 'bc', '--dataset', 'd', '--contract', 'c', '--out', 'o', '--hidden', '64,x']
    )
    assert code == 2 and "'64,x': expected layer sizes" in capsys.readouterr().err


def test_iot_record_from_a_broker_never_reached_exits_1_saying_so(
    tmp_path: Path, capsys: Any
) -> None:
    import socket

    with socket.socket() as probe:  # a port where nobody listens
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    (tmp_path / 'map.yaml').write_text(
        'mqtt:\n  - {topic: a/b, sensor_id: s, quantity: temperature, unit: degC}\n'
    )
    mapping, bag = str(tmp_path / 'map.yaml'), str(tmp_path / 'bag')
    code = run(['iot', 'record', '--mapping', mapping, '--broker', f'127.0.0.1:{port}', '--out',
                bag, '--seconds', '1.5'])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1, err
    assert err[-1].startswith(
        f'physical-ai iot record: error: never connected to 127.0.0.1:{port}'
    )
    assert 'Connection refused' in err[-1]


def test_serve_on_a_port_in_use_is_one_line_and_exit_2(capsys: Any) -> None:
    import socket

    pytest.importorskip('grpc', reason='serve needs the remote extra')
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = run(['serve', str(SHIPPED), '--port', str(port)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert err[0] == (f'physical-ai serve: error: cannot listen on 127.0.0.1:{port}: the port is '
                      'in use or not ours to take (choose another with --port)')  # fmt: skip


def test_serve_refuses_plaintext_beyond_loopback_unless_insecure(capsys: Any) -> None:
    code = run(['serve', str(SHIPPED), '--host', '0.0.0.0', '--port', '0'])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith('physical-ai serve: error: --host 0.0.0.0 without TLS: the network')


@pytest.mark.parametrize(
    ('argv', 'module', 'extra'),
    [
        (['sim', 'record', '--out', '{tmp}/bag'], 'mujoco', 'sim'),
        (['serve', '{model}'], 'grpc', 'remote'),
        (['train', 'bc', '--dataset', '{tmp}/ds', '--contract', '{tmp}/c.yaml', '--out',
          '{tmp}/m.onnx'], 'sklearn', 'train'),
        (['dataset', 'export', '{tmp}/bag', '--params', '{tmp}/p.yaml', '--contract',
          '{tmp}/c.yaml', '--out', '{tmp}/ds'], 'pyarrow', 'train'),
        (['iot', 'record', '--mapping', '{tmp}/m.yaml', '--out', '{tmp}/bag', '--seconds', '1'],
         'paho', 'iot'),
    ],
)  # fmt: skip
def test_a_base_install_names_the_extra_to_install(
    argv: list[str], module: str, extra: str, tmp_path: Path, capsys: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    code = run([a.replace('{tmp}', str(tmp_path)).replace('{model}', str(SHIPPED)) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert (
        f"needs {module}, from the '{extra}' extra: pip install -e 'physical_ai_ros[{extra}]'"
        in (err[0])
    )
    assert not list(tmp_path.iterdir())  # checked before anything was written


def test_check_config_warns_on_a_valid_but_unlikely_value_without_refusing_it(
    tmp_path: Path, capsys: Any
) -> None:
    import yaml

    data = yaml.safe_load((SHIPPED.parents[2] / 'config' / 'mobile_base.yaml').read_text())
    safety = data['safety_node']['ros__parameters']
    safety['max_velocity'] = [8.0, 1.0]  # 0.8 was meant
    safety['monitor']['enabled'] = False  # (with it on, a field longer than its reach: refused)
    path = tmp_path / 'fast.yaml'
    path.write_text(yaml.safe_dump(data))
    assert run(['check-config', str(path)]) == 0  # allowed: a warning, not a refusal
    out, err = capsys.readouterr()
    assert out.strip() == f'{path}: OK (1 warning(s))'
    assert err.strip() == (
        f'{path}: warning: safety_node: max_velocity=[8.0, 1.0]: a linear limit above 3 m/s, '
        'faster than mobile bases run among people (config/mobile_base.yaml: 0.8); a '
        'misplaced decimal point?'
    )
    shipped = SHIPPED.parents[2] / 'config' / 'mobile_base.yaml'
    assert run(['check-config', str(shipped)]) == 0
    assert 'warning' not in capsys.readouterr().err  # the shipped files are plausible
