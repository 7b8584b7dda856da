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

"""The tools never delete what they did not write, nor their own input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from physical_ai_ros.cli import main
from physical_ai_ros.replay.errors import OutputError
from physical_ai_ros.replay.outputs import is_bag_folder, prepare_bag_output, replace_golden
from physical_ai_ros.sim.sensors import CameraSpec, LidarSpec
from physical_ai_ros.sim.synthetic import ScenarioConfig, write_synthetic_bag

TINY = ScenarioConfig(
    seconds=0.5,
    lidar=LidarSpec(channels=8, columns=64, max_range=100.0),
    camera=CameraSpec(width=32, height=18, fovy_deg=60.0),
)


@pytest.fixture(scope='module')
def bag(tmp_path_factory: Any) -> Path:
    return write_synthetic_bag(tmp_path_factory.mktemp('bags') / 'run', TINY)


def precious(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / 'thesis.txt').write_text('years of work', encoding='utf-8')
    return folder


def test_a_folder_that_is_not_a_bag_is_never_replaced(tmp_path: Path, bag: Path) -> None:
    target = precious(tmp_path / 'golden')
    with pytest.raises(OutputError, match='not a bag these tools wrote'):
        prepare_bag_output(target, (bag,), force=True)
    with pytest.raises(OutputError, match='not a golden bag'):
        replace_golden(bag, target)
    assert (target / 'thesis.txt').read_text(encoding='utf-8') == 'years of work'


def test_an_output_inside_or_around_the_input_is_refused(tmp_path: Path, bag: Path) -> None:
    for target in (bag, bag / 'output', bag.parent):
        with pytest.raises(OutputError, match='overlaps the input'):
            prepare_bag_output(target, (bag,), force=True)
    assert is_bag_folder(bag)


def test_an_existing_bag_is_replaced_only_when_asked(tmp_path: Path, bag: Path) -> None:
    target = tmp_path / 'out'
    replace_golden(bag, target)  # a bag folder as a previous run would leave it
    with pytest.raises(OutputError, match='--force replaces it'):
        prepare_bag_output(target, (bag,), force=False)
    prepare_bag_output(target, (bag,), force=True)
    assert not target.exists()
    (tmp_path / 'empty').mkdir()
    prepare_bag_output(tmp_path / 'empty', (bag,), force=False)  # an empty folder is no loss


def test_the_golden_swap_leaves_a_whole_baseline(tmp_path: Path, bag: Path) -> None:
    golden = tmp_path / 'golden'
    replace_golden(bag, golden)
    first = sorted(p.name for p in golden.iterdir())
    replace_golden(bag, golden)
    assert sorted(p.name for p in golden.iterdir()) == first and is_bag_folder(golden)
    assert [p.name for p in tmp_path.iterdir()] == ['golden']  # no staging left behind


def test_the_cli_refuses_with_a_reason_and_deletes_nothing(
    tmp_path: Path, bag: Path, capsys: Any
) -> None:
    golden = precious(tmp_path / 'notes')
    out = tmp_path / 'out'
    assert (
        main(['replay', str(bag), '--out', str(out), '--golden', str(golden), '--update-golden'])
        == 2
    )
    assert 'not a golden bag' in capsys.readouterr().err
    assert (golden / 'thesis.txt').exists() and not out.exists()  # refused before replaying
    assert main(['replay', str(bag), '--out', str(bag / 'sub')]) == 2  # inside its own input
    assert 'inside the input' in capsys.readouterr().err and is_bag_folder(bag)


def test_a_replay_writes_nothing_outside_out(tmp_path: Path, bag: Path) -> None:
    import os
    import subprocess
    import sys

    home = tmp_path / 'home'
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ('MPLCONFIGDIR', 'XDG_CACHE_HOME')}
    env['HOME'] = str(home)
    out = tmp_path / 'out'
    command = [sys.executable, '-m', 'physical_ai_ros.cli', 'replay', str(bag), '--out', str(out)]
    done = subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert (out / 'report.html').is_file()
    assert list(home.iterdir()) == []  # no cache of matplotlib, onnxruntime or ours in $HOME
