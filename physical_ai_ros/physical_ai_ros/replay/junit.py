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

"""JUnit XML of a golden comparison, one test case per topic, for CI dashboards."""

from __future__ import annotations

from pathlib import Path
import xml.etree.ElementTree as ET

from physical_ai_ros.replay.golden import Comparison


def write_junit(
    comparison: Comparison, path: Path | str, *, suite: str = 'physical_ai_ros.replay'
) -> Path:
    """Write the comparison as JUnit XML and return the path."""
    failures = sum(not t.passed for t in comparison.topics)
    root = ET.Element(
        'testsuites', name=suite, tests=str(len(comparison.topics)), failures=str(failures)
    )
    suite_el = ET.SubElement(
        root,
        'testsuite',
        name=suite,
        tests=str(len(comparison.topics)),
        failures=str(failures),
        errors='0',
        skipped='0',
    )
    for topic in comparison.topics:
        case = ET.SubElement(suite_el, 'testcase', classname=suite, name=topic.topic)
        ET.SubElement(case, 'system-out').text = f'{topic.compared} messages compared'
        if topic.divergence is not None:
            failure = ET.SubElement(
                case, 'failure', message=str(topic.divergence), type='divergence'
            )
            failure.text = str(topic.divergence)
    path = Path(path)
    ET.ElementTree(root).write(path, encoding='utf-8', xml_declaration=True)
    return path
