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

"""JUnit XML of a replay: a test case per compared topic and the policy deadline, for CI."""

from __future__ import annotations

from pathlib import Path
import xml.etree.ElementTree as ET

from physical_ai_ros.replay.golden import Comparison


def write_junit(
    comparison: Comparison | None,
    path: Path | str,
    *,
    suite: str = 'physical_ai_ros.replay',
    deadline: tuple[float, int, int] | None = None,
) -> Path:
    """Write the comparison (a case per topic) and the deadline check as JUnit XML.

    ``deadline`` is (deadline_ms, misses, steps): a case that fails when any step missed it.
    """
    cases: list[tuple[str, str, str | None]] = []  # (name, output, failure)
    for topic in comparison.topics if comparison is not None else ():
        failure = None if topic.divergence is None else str(topic.divergence)
        cases.append((topic.topic, f'{topic.compared} messages compared', failure))
    if deadline is not None:
        limit, misses, steps = deadline
        text = f'{misses} of {steps} policy steps over {limit:g} ms'
        cases.append(('policy deadline', text, text if misses else None))
    failures = sum(failure is not None for _, _, failure in cases)
    root = ET.Element('testsuites', name=suite, tests=str(len(cases)), failures=str(failures))
    suite_el = ET.SubElement(
        root,
        'testsuite',
        name=suite,
        tests=str(len(cases)),
        failures=str(failures),
        errors='0',
        skipped='0',
    )
    for name, output, failure in cases:
        case = ET.SubElement(suite_el, 'testcase', classname=suite, name=name)
        ET.SubElement(case, 'system-out').text = output
        if failure is not None:
            ET.SubElement(case, 'failure', message=failure, type='divergence').text = failure
    path = Path(path)
    ET.ElementTree(root).write(path, encoding='utf-8', xml_declaration=True)
    return path
