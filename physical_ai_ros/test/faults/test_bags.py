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

"""Bag-level faults: recordings cut short, lying metadata, empty bags, signals, unused topics.

Nothing is ever lost: a replay or recording stopped by SIGTERM finishes its bags, one killed
outright leaves an MCAP that ``info`` and ``replay`` read up to its last complete chunk, and a
bag's metadata.yaml never decides how long replay runs.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
import signal
import subprocess
import sys
import time
from typing import Any
import xml.etree.ElementTree as ET

from harness import params, SCENE
import pytest
from rosbags.rosbag2 import Reader
import yaml

from physical_ai_ros.cli import main
from physical_ai_ros.replay.baginfo import summarize_bag
from physical_ai_ros.replay.bagwriter import BagWriter
from physical_ai_ros.replay.runner import replay, ReplayOptions
from physical_ai_ros.replay.typestore import TypestoreTypes
from physical_ai_ros.sim.synthetic import write_synthetic_bag

SHORT = dataclasses.replace(SCENE, seconds=2.0)


@pytest.fixture(scope='module')
def bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_bag(tmp_path_factory.mktemp('bag') / 'bag', SHORT)


@pytest.fixture(scope='module')
def params_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp('params') / 'params.yaml'
    path.write_text(yaml.safe_dump(params()))
    return path


def cut_short(bag: Path, into: Path, fraction: float) -> Path:
    """A copy of ``bag`` as a hard kill leaves it: the MCAP cut at ``fraction``, no metadata."""
    into.mkdir()
    mcap = next(bag.glob('*.mcap'))
    data = mcap.read_bytes()
    (into / mcap.name).write_bytes(data[: int(len(data) * fraction)])
    return into


def count(bag: Path) -> int:
    with Reader(bag) as reader:
        return sum(1 for _ in reader.messages())


def test_a_cut_short_mcap_is_read_up_to_its_last_complete_chunk(
    bag: Path, params_file: Path, tmp_path: Path, capsys: Any
) -> None:
    cut = cut_short(bag, tmp_path / 'cut', 0.6)
    summary = summarize_bag(cut)
    assert 0 < summary.message_count < count(bag)
    assert 'cut short' in summary.recovered and summary.storage == 'mcap'
    result = replay(cut, tmp_path / 'out', ReplayOptions(params=params_file))
    assert result.recovered and result.updates > 0 and result.messages_in == summary.message_count
    assert count(result.out_bag) == result.messages_out > 0
    assert main(['info', str(cut)]) == 0
    assert 'recovered:' in capsys.readouterr().out


def test_bag_recover_writes_a_bag_that_rosbags_and_the_mcap_library_open(
    bag: Path, tmp_path: Path, capsys: Any
) -> None:
    from mcap.reader import make_reader

    cut = cut_short(bag, tmp_path / 'cut', 0.6)
    with pytest.raises(Exception):  # noqa: B017 (what rosbags raises is its own affair)
        count(cut)  # rosbags (and so ros2 bag and Foxglove) cannot open it
    assert main(['info', str(cut)]) == 0
    assert f'physical-ai bag recover {cut} OUT' in capsys.readouterr().out  # the hint
    assert main(['bag', 'recover', str(cut), str(tmp_path / 'fixed')]) == 0
    said = capsys.readouterr().out
    recovered = summarize_bag(cut).message_count
    assert f'{recovered} messages' in said
    fixed = tmp_path / 'fixed'
    assert count(fixed) == recovered and (fixed / 'metadata.yaml').is_file()
    with next(fixed.glob('*.mcap')).open('rb') as stream:  # indexed, with its summary
        reader = make_reader(stream)
        assert reader.get_summary() is not None
        assert sum(1 for _ in reader.iter_messages()) == recovered
    with Reader(fixed) as reader, Reader(bag) as original:
        got = [(c.topic, t, bytes(d)) for c, t, d in reader.messages()]
        whole = [(c.topic, t, bytes(d)) for c, t, d in original.messages()]
    assert got == whole[: len(got)]  # the same messages, bytes and log times, in order
    # a complete bag, or an output that exists: one line, exit 2, nothing written
    assert main(['bag', 'recover', str(bag), str(tmp_path / 'again')]) == 2
    assert 'is complete' in capsys.readouterr().err and not (tmp_path / 'again').exists()
    assert main(['bag', 'recover', str(cut), str(fixed)]) == 2
    assert 'exists' in capsys.readouterr().err


def test_an_mcap_cut_before_any_topic_is_refused_in_one_line(
    bag: Path, tmp_path: Path, capsys: Any
) -> None:
    cut = cut_short(bag, tmp_path / 'cut', 0.0001)
    assert main(['info', str(cut)]) == 2
    err = capsys.readouterr().err
    assert 'not a readable rosbag2' in err and len(err.strip().splitlines()) == 1


def _run_until(args: list[str], grows: Path, size: int) -> subprocess.Popen[bytes]:
    """Start ``physical-ai args`` and return once the MCAP in ``grows`` holds ``size`` bytes."""
    proc = subprocess.Popen(
        [sys.executable, '-c', 'import sys; from physical_ai_ros.cli import main; '
         'sys.exit(main(sys.argv[1:]))', *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=grows.parent.parent,
    )  # fmt: skip
    deadline = time.monotonic() + 60.0
    while time.monotonic() < deadline and proc.poll() is None:
        files = list(grows.glob('*.mcap')) if grows.is_dir() else []
        if files and files[0].stat().st_size >= size:
            return proc
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f'{args} did not write {size} bytes in time: {proc.communicate()}')


def test_sigterm_finishes_the_bag_being_written(tmp_path: Path) -> None:
    out = tmp_path / 'long'
    proc = _run_until(['make-demo-bag', str(out), '--seconds', '120'], out, 2_000_000)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert b'stopped by SIGTERM' in err
    assert (out / 'metadata.yaml').exists()  # finished: footer and metadata written
    assert count(out) > 0


def test_sigterm_stops_a_replay_with_its_output_whole(tmp_path: Path, params_file: Path) -> None:
    long_bag = write_synthetic_bag(tmp_path / 'long', dataclasses.replace(SCENE, seconds=30.0))
    out = tmp_path / 'out'
    proc = _run_until(
        ['replay', str(long_bag), '--params', str(params_file), '--out', str(out), '--quiet'],
        out / 'output',
        100_000,
    )
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip('the replay finished before the signal arrived')
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert (out / 'output' / 'metadata.yaml').exists()
    assert count(out / 'output') > 0


def test_a_hard_killed_recording_is_recovered(tmp_path: Path) -> None:
    out = tmp_path / 'killed'
    proc = _run_until(['make-demo-bag', str(out), '--seconds', '120'], out, 4_000_000)
    proc.kill()
    proc.communicate(timeout=60)
    assert not (out / 'metadata.yaml').exists()
    summary = summarize_bag(out)
    assert summary.message_count > 0 and summary.recovered


def test_metadata_claiming_a_huge_duration_is_not_trusted(
    bag: Path, params_file: Path, tmp_path: Path
) -> None:
    liar = tmp_path / 'liar'
    liar.mkdir()
    for file in bag.iterdir():
        (liar / file.name).write_bytes(file.read_bytes())
    meta = yaml.safe_load((liar / 'metadata.yaml').read_text())
    info = meta['rosbag2_bagfile_information']
    info['duration']['nanoseconds'] = 10**17  # three years
    info['starting_time']['nanoseconds_since_epoch'] -= 10**15  # and eleven days earlier
    (liar / 'metadata.yaml').write_text(yaml.safe_dump(meta))
    honest = replay(bag, tmp_path / 'a', ReplayOptions(params=params_file))
    lied = replay(liar, tmp_path / 'b', ReplayOptions(params=params_file))
    assert (lied.start_ns, lied.end_ns) == (honest.start_ns, honest.end_ns)
    assert lied.messages_out == honest.messages_out
    assert summarize_bag(liar).duration_s == pytest.approx(SHORT.seconds, abs=0.1)


def test_a_bag_without_messages(tmp_path: Path, params_file: Path, capsys: Any) -> None:
    with BagWriter(tmp_path / 'empty', TypestoreTypes()):
        pass
    result = replay(tmp_path / 'empty', tmp_path / 'out', ReplayOptions(params=params_file))
    assert result.duration_s == 0.0 and result.messages_out == 0
    assert main(['info', str(tmp_path / 'empty')]) == 0
    assert 'duration:  0.000 s' in capsys.readouterr().out


def test_a_bag_whose_topics_match_no_input_says_so_with_a_remap(
    bag: Path, tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / 'out'
    assert main(['replay', str(bag), '--namespace', 'robot1', '--out', str(out), '--quiet',
                 '--no-report']) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert 'match no input and were not read: (no perception update at all)' in text
    assert "/lidar/points (sensor_msgs/msg/PointCloud2)  -> --namespace ''" in text
    assert main(['replay', str(bag), '--remap', 'lidar/points:=/elsewhere', '--out',
                 str(tmp_path / 'out2'), '--quiet', '--no-report']) == 0  # fmt: skip
    assert '-> --remap lidar/points:=/lidar/points' in capsys.readouterr().out


def test_output_bags_offer_latched_tf_static_in_metadata_humble_reads(
    bag: Path, tmp_path: Path
) -> None:
    info = yaml.safe_load((bag / 'metadata.yaml').read_text())['rosbag2_bagfile_information']
    # Humble's rosbag2 reads versions up to 5's fields and offered_qos_profiles as a string;
    # version 9 made it a list, which Humble's YAML decoding refuses
    assert info['version'] == 8
    topics = {
        t['topic_metadata']['name']: t['topic_metadata'] for t in info['topics_with_message_count']
    }
    qos = topics['/tf_static']['offered_qos_profiles']
    assert isinstance(qos, str)
    (profile,) = yaml.safe_load(qos)
    assert profile['durability'] == 1 and profile['reliability'] == 1  # transient local
    assert profile['history'] == 1 and profile['depth'] == 1
    assert topics['/lidar/points']['offered_qos_profiles'] == ''


def test_junit_names_the_bag_gives_times_and_bag_relative_divergences(
    bag: Path, params_file: Path, tmp_path: Path
) -> None:
    golden = tmp_path / 'golden'
    base = ['replay', str(bag), '--quiet', '--no-report', '--golden', str(golden)]
    assert main([*base, '--params', str(params_file), '--out', str(tmp_path / 'a'),
                 '--update-golden']) == 0  # fmt: skip
    changed = params(safety_node__max_velocity=[0.3, 1.0])
    other = tmp_path / 'other.yaml'
    other.write_text(yaml.safe_dump(changed))
    junit = tmp_path / 'junit.xml'
    assert main([*base, '--params', str(other), '--out', str(tmp_path / 'b'),
                 '--junit', str(junit)]) == 1  # fmt: skip
    root = ET.parse(junit).getroot()
    suite = root.find('testsuite')
    assert suite is not None and suite.get('name') == 'physical_ai_ros.replay.bag'
    assert float(suite.get('time', '-1')) > 0.0
    cases = suite.findall('testcase')
    assert len({(c.get('classname'), c.get('name')) for c in cases}) == len(cases)
    assert all(c.get('classname') == 'physical_ai_ros.replay.bag' and c.get('time') for c in cases)
    failure = next(c for c in cases if c.get('name') == '/cmd_vel').find('failure')
    assert failure is not None
    offset = float(failure.get('message', '').split('t=')[1].split(' s')[0])
    assert 0.0 <= offset <= SHORT.seconds  # relative to the bag's start, not the epoch


def test_no_onnx_needed_to_run_the_default_policy(tmp_path: Path) -> None:
    # the shipped reference policy runs without the onnx package (it has no rosdep key)
    code = (
        'import sys; sys.modules["onnx"] = None\n'
        'from physical_ai_ros.core.params.schema import resolve\n'
        'from physical_ai_ros.policies.loading import load_policy\n'
        'print(load_policy(resolve("policy_node", {})).contract.name)'
    )
    env = {**os.environ, 'HOME': str(tmp_path)}
    done = subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True, env=env, check=True,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.stdout.strip() == 'reference_reactive'
    assert not list(tmp_path.rglob('*.onnx'))  # nothing generated or cached


def test_progress_shows_in_a_ci_log_too(bag: Path, tmp_path: Path, capsys: Any) -> None:
    # stderr is no terminal here, as in CI: progress must still be printed
    assert main(['replay', str(bag), '--out', str(tmp_path / 'out'), '--no-report']) == 0
    err = capsys.readouterr().err
    assert 'replaying' in err and '100.0%' in err
    assert main(['replay', str(bag), '--out', str(tmp_path / 'q'), '--no-report', '--quiet']) == 0
    assert 'replaying' not in capsys.readouterr().err
