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

"""The report shows names as they are, whatever characters a bag's topics carry."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from physical_ai_ros.replay.events import Event, EventKind, FaultKind
from physical_ai_ros.replay.report import write_report
from physical_ai_ros.replay.runner import ReplayResult

pytest.importorskip('matplotlib')


def test_a_topic_name_that_looks_like_tex_is_shown_literally(tmp_path: Path) -> None:
    topic = r'/cam/$\x{41}$_raw'  # mathtext would refuse to parse it
    result = ReplayResult(
        out_bag=tmp_path / 'output',
        start_ns=0,
        end_ns=2 * 10**9,
        faults=Counter({(topic, FaultKind.GAP): 1}),
        events=[Event(10**9, EventKind.FAULT, topic, 'gap: no message', fault=FaultKind.GAP)],
    )
    page = write_report(result, tmp_path).read_text(encoding='utf-8')
    assert r'$\x{41}$' in page and (tmp_path / 'timeline.png').stat().st_size > 0


def test_a_replay_with_no_messages_reports_without_library_warnings(tmp_path: Path) -> None:
    import warnings

    result = ReplayResult(
        out_bag=tmp_path / 'output', start_ns=0, end_ns=0, model_sha256='ab' * 32,
        inputs={'bag': 'run7', 'params': 'robot.yaml', 'model': 'policy.onnx'},
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # matplotlib's "no artists with labels" among them
        page = write_report(result, tmp_path, golden='goldens/run7').read_text()
    for plot in ('commands.png', 'latency.png', 'timeline.png'):
        assert (tmp_path / plot).stat().st_size > 0, plot
    # it says what it is about, and leaves out the tables it has no rows for
    for cell in ('run7', 'robot.yaml', f'policy.onnx (sha256 {"ab" * 32})', 'goldens/run7',
                 'physical_ai_ros 0.1', 'numpy '):  # fmt: skip
        assert cell in page, cell
    assert 'Fault counts' not in page and 'No fault in the bag' in page
