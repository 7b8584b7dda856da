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

"""One golden that travels: the same replay outputs on every pin set ``make test`` supports.

CI engineers record a golden on one machine and replay on others; a baseline that changes with
an OpenCV minor version cannot be trusted (the grid's warp did: 4.11 and 5.0 rounded nearest
cells differently). The golden here is the sha256 of a replay's output messages (topic, log
time, CDR bytes) of a small synthetic bag the test writes itself (turning, so the grid is
warped; camera, lidar, odometry, IoT), committed below. It lives in ``test/core`` so that
``make test`` runs it on the oldest pins (numpy 1.23, OpenCV 4.11) as well as the current ones
(numpy 2.x, OpenCV 5.0).

A change to the pipeline's outputs changes the digest on purpose: run this test with
``PHYSICAL_AI_PRINT_PORTABLE_DIGEST=1`` and commit the digest it prints (and say why in the
commit).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from physical_ai_ros.replay.bagwriter import BagWriter
from physical_ai_ros.replay.runner import replay, ReplayOptions
from physical_ai_ros.replay.typestore import TypestoreTypes
from physical_ai_ros.sim.sensors import CameraSpec, LidarSpec
from physical_ai_ros.sim.synthetic import ScenarioConfig, synthetic_messages

MOBILE_BASE = Path(__file__).resolve().parents[2] / 'config' / 'mobile_base.yaml'
#: The outputs' digest, the same on Python 3.10, 3.11 and 3.12 with the shipped pins and on
#: the oldest pins (measured on each when it was recorded).
PORTABLE_DIGEST = 'aa4ece13057f09f63dcb32799dac3d685db0ed6fe0bbbaff589d0916a9854d3f'


def output_digest(bag: Path) -> str:
    """sha256 over every message's topic, log time and CDR bytes, in the bag's order."""
    from rosbags.highlevel import AnyReader

    digest = hashlib.sha256()
    with AnyReader([bag]) as reader:
        for connection, stamp, raw in reader.messages():
            digest.update(f'{connection.topic}\0{stamp}\0'.encode())
            digest.update(bytes(raw))
    return digest.hexdigest()


def test_a_replay_gives_the_committed_golden_on_these_pins(tmp_path: Path) -> None:
    pytest.importorskip('rosbags', reason='rosbags is not installed')
    types = TypestoreTypes()
    config = ScenarioConfig(seconds=3.0, seed=3, lidar=LidarSpec(16, 256, max_range=100.0),
                            camera=CameraSpec(160, 90, 60.0), iot_sensors=4)  # fmt: skip
    with BagWriter(tmp_path / 'in', types) as bag:
        for topic, msg, log_ns in synthetic_messages(config, types):
            bag.write(topic, msg, log_ns)
    result = replay(tmp_path / 'in', tmp_path / 'out', ReplayOptions(params=MOBILE_BASE))
    assert any(reason == 'NONE' for _, _, reason in result.commands)  # the policy drove
    digest = output_digest(result.out_bag)
    if os.environ.get('PHYSICAL_AI_PRINT_PORTABLE_DIGEST'):
        print(f'\nPORTABLE_DIGEST = {digest!r}')
    assert digest == PORTABLE_DIGEST
