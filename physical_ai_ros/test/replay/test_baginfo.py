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

"""Bag summaries and the ``physical-ai info`` command, on generated and real bags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from physical_ai_ros.cli import main
from physical_ai_ros.core.messages.stamps import make_header
from physical_ai_ros.replay.baginfo import format_summary, summarize_bag
from physical_ai_ros.replay.bagwriter import BagWriter
from physical_ai_ros.replay.errors import BagError


def write_bag(path: Path, types: Any, storage: Any) -> None:
    """Ten IoT readings at 10 Hz and three odometry-less headers at 1 Hz."""
    iot = types.get('physical_ai_ros_interfaces/msg/IotReading')
    with BagWriter(path, types, storage=storage) as bag:
        for k in range(10):
            stamp = 1_000_000_000 + k * 100_000_000
            msg = iot(
                header=make_header(stamp, 'odom', types), sensor_id='t1', quantity='temperature',
                value=20.0 + k, unit='degC', variance=0.0, status=iot.STATUS_OK,
            )  # fmt: skip
            bag.write('/iot/readings', msg, stamp)
        for k in range(3):
            stamp = 1_000_000_000 + k * 1_000_000_000
            bag.write('/heartbeat', make_header(stamp, 'base_link', types), stamp)


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_summary_counts_rates_and_types(tmp_path: Path, types: Any, storage: str) -> None:
    write_bag(tmp_path / 'bag', types, storage)
    summary = summarize_bag(tmp_path / 'bag')
    assert summary.storage == storage
    assert summary.message_count == 13
    assert summary.duration_s == pytest.approx(2.0)
    topics = {t.name: t for t in summary.topics}
    assert topics['/iot/readings'].msgtype == 'physical_ai_ros_interfaces/msg/IotReading'
    assert topics['/iot/readings'].count == 10
    assert topics['/iot/readings'].rate_hz == pytest.approx(10.0)
    assert topics['/heartbeat'].rate_hz == pytest.approx(1.0)
    text = format_summary(summary)
    assert f'storage:   {storage}' in text and '/iot/readings' in text


def test_single_storage_file_is_accepted(tmp_path: Path, types: Any) -> None:
    write_bag(tmp_path / 'bag', types, 'mcap')
    (mcap,) = (tmp_path / 'bag').glob('*.mcap')
    summary = summarize_bag(mcap)
    assert summary.storage == 'mcap' and summary.message_count == 13


def test_missing_and_broken_bags_raise_bag_error(tmp_path: Path) -> None:
    with pytest.raises(BagError, match='does not exist'):
        summarize_bag(tmp_path / 'nope')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(BagError, match=r'metadata\.yaml'):
        summarize_bag(tmp_path / 'empty')
    junk = tmp_path / 'junk.mcap'
    junk.write_bytes(b'not an mcap file at all')
    with pytest.raises(BagError, match='not a readable rosbag2'):
        summarize_bag(junk)


def test_cli_info_prints_summary_and_fails_cleanly(
    tmp_path: Path, types: Any, capsys: Any
) -> None:
    write_bag(tmp_path / 'bag', types, 'sqlite3')
    assert main(['info', str(tmp_path / 'bag')]) == 0
    assert '/heartbeat' in capsys.readouterr().out
    assert main(['info', str(tmp_path / 'missing')]) == 2
    assert 'does not exist' in capsys.readouterr().err


def test_cli_version_and_help(capsys: Any) -> None:
    assert main(['version']) == 0
    assert 'physical_ai_ros 0.1.0' in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(['--help'])
    assert exc.value.code == 0
    assert 'info' in capsys.readouterr().out


@pytest.mark.real_data
def test_real_bags_summarise(real_data: Path) -> None:
    lidar = summarize_bag(real_data / 'luminar_lidar')
    assert lidar.storage == 'mcap'
    assert {t.name: t.count for t in lidar.topics}['/luminar_pointcloud'] == 5
    camera = summarize_bag(real_data / 'raspicam_aruco')
    assert camera.storage == 'sqlite3'
    assert {t.name: t.msgtype for t in camera.topics}['/raspicam_node/camera_info'] == (
        'sensor_msgs/msg/CameraInfo'
    )
