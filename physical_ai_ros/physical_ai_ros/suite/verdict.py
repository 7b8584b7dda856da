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

"""A suite run's one verdict: JUnit XML, an HTML index and a JSON summary.

- ``junit.xml``: a testsuite per bag group, a testcase per case and topic (``CASE_ID TOPIC``,
  unique), with its time and the first divergence in bag-relative seconds; a case that
  errored is one testcase with an ``error`` and its log tail; a case without a golden bag yet,
  or cancelled, is ``skipped``.
- ``index.html``: a table of cases with verdict, first divergence, stops by reason, faults,
  deadline misses and the nearest obstacle in the grid, each linking to its report if built.
- ``summary.json``: the same for dashboards.

:func:`exit_code`: 2 when a case errored or was cancelled, else 1 when one regressed or has no
golden bag (unless new cases are allowed), else 0.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
import html
import json
import os
from pathlib import Path
from typing import Any
import xml.etree.ElementTree as ET

from physical_ai_ros.suite.case import (
    CANCELLED,
    CaseResult,
    ERROR,
    NEW,
    PASSED,
    REGRESSED,
    REPORT_FILE,
)

VERDICT_ORDER = (ERROR, CANCELLED, REGRESSED, NEW, PASSED)


def totals(results: list[CaseResult]) -> dict[str, int]:
    """Cases per verdict, and how many came from the cache."""
    counts = Counter(r.verdict for r in results)
    found = {v: counts.get(v, 0) for v in VERDICT_ORDER}
    found['cached'] = sum(r.cached for r in results)
    found['cases'] = len(results)
    return found


def exit_code(results: list[CaseResult], allow_new: bool = False) -> int:
    """2 on errors (or cancelled cases), 1 on a regression or a case with no golden bag, else 0.

    A case without a golden bag passes only with ``allow_new`` (the first run of a suite,
    or cases just added): a deleted golden bag must not turn a run green.
    """
    verdicts = {r.verdict for r in results}
    if verdicts & {ERROR, CANCELLED}:
        return 2
    failed = {REGRESSED} if allow_new else {REGRESSED, NEW}
    return 1 if verdicts & failed else 0


def write_summary(results: list[CaseResult], run: Path, meta: dict[str, Any]) -> Path:
    """``summary.json``: totals, the run's facts (engine, wall time) and every case."""
    path = run / 'summary.json'
    body = {**meta, 'totals': totals(results), 'cases': [asdict(r) for r in results]}
    path.write_text(json.dumps(body, indent=1, sort_keys=True), encoding='utf-8')
    return path


def read_summary(run: Path) -> tuple[dict[str, Any], list[CaseResult]]:
    """The run's facts and its cases, from ``summary.json``."""
    data = json.loads((run / 'summary.json').read_text(encoding='utf-8'))
    return data, [CaseResult.from_dict(c) for c in data.pop('cases')]


def write_junit(results: list[CaseResult], run: Path, allow_new: bool = False) -> Path:
    """``junit.xml`` (see the module docstring); a new case fails unless ``allow_new``."""
    root = ET.Element('testsuites', name='physical_ai_ros.suite')
    all_tests = all_failures = all_errors = all_skipped = 0
    all_time = 0.0
    for group in sorted({r.group for r in results}):
        members = sorted((r for r in results if r.group == group), key=lambda r: r.case_id)
        name = f'physical_ai_ros.suite.{group}'
        suite = ET.SubElement(root, 'testsuite', name=name)
        tests = failures = errors = skipped = 0
        for result in members:
            for case_name, seconds, kind, message, text in _cases(result, allow_new):
                case = ET.SubElement(suite, 'testcase', classname=name, name=case_name,
                                     time=f'{seconds:.3f}')  # fmt: skip
                tests += 1
                if kind is not None:
                    ET.SubElement(case, kind, message=message, type=kind).text = text
                    failures += kind == 'failure'
                    errors += kind == 'error'
                    skipped += kind == 'skipped'
        seconds = sum(r.wall_s for r in members if not r.cached)
        suite.attrib.update(tests=str(tests), failures=str(failures), errors=str(errors),
                            skipped=str(skipped), time=f'{seconds:.3f}')  # fmt: skip
        all_tests, all_failures = all_tests + tests, all_failures + failures
        all_errors, all_skipped = all_errors + errors, all_skipped + skipped
        all_time += seconds
    root.attrib.update(tests=str(all_tests), failures=str(all_failures), errors=str(all_errors),
                       skipped=str(all_skipped), time=f'{all_time:.3f}')  # fmt: skip
    path = run / 'junit.xml'
    ET.ElementTree(root).write(path, encoding='utf-8', xml_declaration=True)
    return path


def _cases(result: CaseResult, allow_new: bool) -> list[tuple[str, float, str | None, str, str]]:
    """(name, seconds, failure|error|skipped|None, message, text) per JUnit testcase."""
    if result.verdict == ERROR:
        return [(result.case_id, result.wall_s, 'error', result.error, result.log_tail)]
    if result.verdict == CANCELLED:
        return [(result.case_id, 0.0, 'skipped', 'cancelled before it finished', '')]
    if result.verdict == NEW:
        message = 'no golden bag (suite golden --update accepts this run; --allow-new passes it)'
        return [(result.case_id, result.wall_s, 'skipped' if allow_new else 'failure', message,
                 message)]  # fmt: skip
    found: list[tuple[str, float, str | None, str, str]] = []
    for topic in result.topics:
        if topic.divergence is None:
            found.append((f'{result.case_id} {topic.topic}', topic.seconds, None, '', ''))
        else:
            found.append((f'{result.case_id} {topic.topic}', topic.seconds, 'failure',
                          topic.divergence, topic.divergence))  # fmt: skip
    return found


def write_index(results: list[CaseResult], run: Path, meta: dict[str, Any]) -> Path:
    """``index.html``: one row per case, worst verdicts first, linking to its report."""
    order = {v: k for k, v in enumerate(VERDICT_ORDER)}
    rows = []
    for r in sorted(results, key=lambda r: (order.get(r.verdict, 9), r.case_id)):
        report = Path(r.folder) / REPORT_FILE if r.folder else None
        link = html.escape(r.case_id)
        if report is not None and report.is_file():
            link = f'<a href="{html.escape(os.path.relpath(report, run))}">{link}</a>'
        stops = ', '.join(f'{k} {v}' for k, v in r.stops.items()) or '-'
        clearance = f'{r.min_clearance_m:.2f} m' if r.min_clearance_m is not None else '-'
        first = r.first_divergence or r.error or '-'
        cells = [link, f'<b class="{r.verdict}">{r.verdict}</b>' + (' (cached)' * r.cached),
                 html.escape(first), html.escape(stops), str(r.faults), str(r.deadline_misses),
                 clearance, f'{r.wall_s:.1f} s']  # fmt: skip
        rows.append('<tr>' + ''.join(f'<td>{c}</td>' for c in cells) + '</tr>')
    counts = ', '.join(f'{k} {v}' for k, v in totals(results).items() if v)
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>physical_ai_ros suite: {html.escape(str(meta.get('suite', '')))}</title>
<style>body{{font-family:sans-serif}} td,th{{padding:2px 8px;border-bottom:1px solid #ddd;
text-align:left;vertical-align:top}} .passed{{color:#080}} .regressed{{color:#b00}}
.error,.cancelled{{color:#a50}} .new{{color:#036}}</style></head><body>
<h1>Suite {html.escape(str(meta.get('suite', '')))}</h1>
<p>{html.escape(counts)}; engine {html.escape(str(meta.get('engine', '')))},
{meta.get('wall_s', 0.0):.1f} s.</p>
<table><tr><th>case</th><th>verdict</th><th>first divergence / error</th><th>stops by reason</th>
<th>faults</th><th>deadline misses</th><th>nearest obstacle (grid)</th><th>time</th></tr>
{''.join(rows)}
</table></body></html>
"""  # noqa: E501 (a page template)
    path = run / 'index.html'
    path.write_text(page, encoding='utf-8')
    return path


__all__ = ['exit_code', 'read_summary', 'totals', 'write_index', 'write_junit', 'write_summary']
