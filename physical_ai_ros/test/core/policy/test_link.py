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

"""The link model: deterministic per seed and request, outages, losses, latency, bandwidth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from physical_ai_ros.core.policy.link import LinkError, LinkModel


def test_the_same_request_meets_the_same_fate() -> None:
    link = LinkModel.from_mapping({'seed': 4, 'latency_ms': {'median': 20, 'p99': 200},
                                   'drop_rate': 0.1})  # fmt: skip
    first = [link.round_trip_ms(k, 1.0, 1000) for k in range(200)]
    again = [link.round_trip_ms(k, 1.0, 1000) for k in range(200)]
    assert first == again
    other = LinkModel.from_mapping({'seed': 5, 'latency_ms': {'median': 20, 'p99': 200}})
    assert [other.round_trip_ms(k, 1.0, 1000) for k in range(200)] != first


def test_latency_has_the_median_and_p99_asked_for() -> None:
    link = LinkModel.from_mapping({'latency_ms': {'median': 40.0, 'p99': 300.0}})
    trips = np.array([link.round_trip_ms(k, 0.0, 0) for k in range(20000)], dtype=float)
    assert np.median(trips) == pytest.approx(40.0, rel=0.05)
    assert np.percentile(trips, 99) == pytest.approx(300.0, rel=0.1)


def test_outages_losses_and_bandwidth() -> None:
    link = LinkModel.from_mapping({'outages': [[2.0, 3.5]], 'bandwidth_mbps': 8.0})
    assert link.round_trip_ms(0, 2.0, 0) is None and link.round_trip_ms(0, 3.49, 0) is None
    assert link.round_trip_ms(0, 3.5, 0) == pytest.approx(10.0)  # fixed 10 ms by default
    assert link.round_trip_ms(0, 0.0, 1_000_000) == pytest.approx(10.0 + 1000.0)  # 8 Mbit
    lossy = LinkModel.from_mapping({'drop_rate': 1.0})
    assert all(lossy.round_trip_ms(k, 0.0, 0) is None for k in range(50))


@pytest.mark.parametrize(
    ('data', 'match'),
    [
        ({'latency': 3}, r'latency=3: unknown key'),
        ({'drop_rate': 1.5}, r'drop_rate=1\.5: a number in \[0, 1\]'),
        ({'latency_ms': {'median': 50, 'p99': 10}}, r'latency_ms\.p99=10'),
        ({'outages': [[5, 2]]}, r'outages=\[5, 2\]'),
        ({'seed': -1}, 'seed=-1'),
    ],
)
def test_a_wrong_link_file_is_refused_by_key(data: dict, match: str) -> None:
    with pytest.raises(LinkError, match=match):
        LinkModel.from_mapping(data)


def test_load_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / 'link.yaml'
    path.write_text('seed: 1\noutages: [[1, 2]]\n')
    assert LinkModel.load(path).outages == ((1.0, 2.0),)
