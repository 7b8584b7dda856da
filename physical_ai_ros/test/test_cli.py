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
from typing import Any

import pytest

from physical_ai_ros.cli import build_parser, main


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


def test_iot_check_names_each_route_or_the_first_problem(tmp_path: Path, capsys: Any) -> None:
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
    bad.write_text('mqtt:\n  - {topic: f, sensor_id: s, quantity: q, unit: degC, scale: x}\n')
    assert main(['iot', 'check', str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:2: mqtt[0].scale='x'" in err and len(err.strip().splitlines()) == 1
    bad.write_text('mqtt:\n  - {topic: f, sensor_id: t_{1}}\n')  # not YAML: one line too
    assert main(['iot', 'check', str(bad)]) == 2
    err = capsys.readouterr().err
    assert 'bad.yaml:2:' in err and len(err.strip().splitlines()) == 1


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
