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

"""``--restamp``: a bag re-recorded from an older playback, header stamps set to log times."""

from __future__ import annotations

from pathlib import Path

from physical_ai_ros.replay.events import FaultKind
from physical_ai_ros.replay.runner import replay, ReplayOptions

PARAMS = Path(__file__).resolve().parents[2] / 'config' / 'mobile_base.yaml'
REMAPS = {'lidar/points': '/luminar_pointcloud', 'odom': '/base_pose_ground_truth'}


def test_restamped_clouds_reach_perception_which_rejects_them_without(
    real_data: Path, tmp_path: Path
) -> None:
    # the Luminar clouds carry header stamps of March 2020, their log times are of November
    as_recorded = replay(real_data / 'luminar_lidar', tmp_path / 'a',
                         ReplayOptions(params=PARAMS, remaps=REMAPS))  # fmt: skip
    stale = sum(n for (_, kind), n in as_recorded.faults.items()
                if kind is FaultKind.STALE_ON_ARRIVAL)  # fmt: skip
    assert stale >= 5 and as_recorded.updates == 0
    restamped = replay(real_data / 'luminar_lidar', tmp_path / 'b',
                       ReplayOptions(params=PARAMS, remaps=REMAPS, restamp=True))  # fmt: skip
    assert not restamped.faults
    assert restamped.updates == 5  # one perception update per cloud
