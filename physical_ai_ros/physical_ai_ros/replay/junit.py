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

"""JUnit XML of a replay: a test case per compared topic and the policy deadline, for CI.

The suite is named after the bag (``physical_ai_ros.replay.<bag>``) and every case carries
it as its class name, so several bags replayed in one pipeline stay apart in the CI's view.
"""

from __future__ import annotations

from pathlib import Path
import xml.etree.ElementTree as ET

from physical_ai_ros.replay.golden import Comparison


def suite_name(bag: Path | str) -> str:
    """The JUnit suite of a replayed bag: ``physical_ai_ros.replay.<bag folder name>``."""
    name = Path(bag).resolve().name or 'bag'
    return f'physical_ai_ros.replay.{name.replace(".", "_")}'


def write_junit(
    comparison: Comparison | None,
    path: Path | str,
    *,
    suite: str = 'physical_ai_ros.replay',
    deadline: tuple[float, int, int] | None = None,
    replay_s: float = 0.0,
) -> Path:
    """Write the comparison (a case per topic) and the deadline check as JUnit XML.

    ``deadline`` is (deadline_ms, misses, steps): a case that fails when any step missed it.
    ``replay_s`` is the replay's wall time, given to the deadline case (the steps ran in it)
    and added to the suite's time.
    """
    cases: list[tuple[str, str, str | None, float]] = []  # (name, output, failure, seconds)
    for topic in comparison.topics if comparison is not None else ():
        failure = None if topic.divergence is None else str(topic.divergence)
        output = f'{topic.compared} messages compared'
        cases.append((topic.topic, output, failure, topic.seconds))
    if deadline is not None:
        limit, misses, steps = deadline
        text = f'{misses} of {steps} policy steps over {limit:g} ms'
        cases.append(('policy deadline', text, text if misses else None, replay_s))
    failures = sum(failure is not None for _, _, failure, _ in cases)
    total = f'{replay_s + sum(case[3] for case in cases if case[0] != "policy deadline"):.3f}'
    root = ET.Element(
        'testsuites', name=suite, tests=str(len(cases)), failures=str(failures), time=total
    )
    suite_el = ET.SubElement(
        root,
        'testsuite',
        name=suite,
        tests=str(len(cases)),
        failures=str(failures),
        errors='0',
        skipped='0',
        time=total,
    )
    for name, output, failure, seconds in cases:
        case = ET.SubElement(
            suite_el, 'testcase', classname=suite, name=name, time=f'{seconds:.3f}'
        )
        ET.SubElement(case, 'system-out').text = output
        if failure is not None:
            ET.SubElement(case, 'failure', message=failure, type='divergence').text = failure
    path = Path(path)
    ET.ElementTree(root).write(path, encoding='utf-8', xml_declaration=True)
    return path
