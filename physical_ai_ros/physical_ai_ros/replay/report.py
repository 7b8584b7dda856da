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

"""The replay report: a one-screen summary, and an HTML page with plots (plus the PNGs)."""

from __future__ import annotations

import base64
from collections import Counter
import html
import io
from pathlib import Path
from string import Template
from typing import Any

import numpy as np

from physical_ai_ros.core.messages.stamps import NS_PER_S
from physical_ai_ros.replay.events import EventKind, FaultKind
from physical_ai_ros.replay.golden import Comparison
from physical_ai_ros.replay.runner import ReplayResult


def monitor_summary(result: ReplayResult) -> str:
    """Interventions per minute by zone and the nearest return, for CI logs and reports."""
    counts = result.monitor_interventions or {}
    minutes = max(result.duration_s / 60.0, 1e-9)
    total = sum(counts.values())
    zones = ', '.join(f'{zone} {n}' for zone, n in counts.items())
    nearest = result.monitor_nearest_m
    near = f'{nearest:.2f} m' if nearest is not None else 'none in reach'
    return (
        f'{total} intervention(s), {total / minutes:.1f}/min'
        + (f' ({zones})' if zones else '')
        + f'; nearest return {near}'
    )


def summary(result: ReplayResult, comparison: Comparison | None, report: Path | None) -> str:
    """The text printed at the end of a replay."""
    speed = result.duration_s / result.wall_s if result.wall_s > 0 else float('inf')
    lines = [
        f'replayed {result.duration_s:.2f} s of bag time in {result.wall_s:.2f} s '
        f'({speed:.1f}x real time)',
        f'  messages in {result.messages_in}, out {result.messages_out} -> {result.out_bag}',
        f'  perception updates {result.updates}, policy steps {result.policy_steps}, '
        f'model {result.model_sha256[:12]}',
    ]
    if result.recovered:
        lines.append(f'  warning: {result.recovered}')
    if result.link:
        lines.append(f'  link: {result.link}')
    if result.nondeterministic:
        lines.append(f'  NOT DETERMINISTIC: {result.nondeterministic}')
    if result.unused_topics:
        lines.append(
            f'  warning: {len(result.unused_topics)} bag topic(s) match no input and were '
            'not read:' + ('' if result.updates else ' (no perception update at all)')
        )
        for topic, msgtype in sorted(result.unused_topics.items()):
            hint = result.remap_hints.get(topic)
            if not hint and msgtype == 'tf2_msgs/msg/TFMessage' and topic.endswith('/tf'):
                hint = ('not needed: motion comes from odom, sensor poses from /tf_static or '
                        'the extrinsics')  # fmt: skip
            lines.append(f'    {topic} ({msgtype})' + (f'  -> {hint}' if hint else ''))
    ticks = max(len(result.commands), 1)
    if result.nearest_obstacle_m is not None:
        lines.append(f'  nearest obstacle in the grid: {result.nearest_obstacle_m:.2f} m from '
                     'the footprint')  # fmt: skip
    if result.monitor_interventions is not None:
        lines.append('  collision monitor: ' + monitor_summary(result))
    if result.stops:
        # stops before the gate first passed a command: the inputs were still arriving
        first_pass = next((t for t, _, r in result.commands if r == 'NONE'), None)
        early = Counter(
            r for t, _, r in result.commands if first_pass is not None and t < first_pass
        )
        stops = ', '.join(
            f'{k.lower()} {100.0 * v / ticks:.1f}%'
            + (' (all at start-up, before every input had arrived)' if early[k] == v else '')
            for k, v in result.stops.most_common()
        )
        lines.append(
            f'  gate stopping in {sum(result.stops.values())} of {ticks} command periods: {stops}'
        )
    else:
        lines.append(f'  gate passed the policy through in all {ticks} command periods')
    steps = result.latency_ms.get('policy', [])
    if result.deadline_ms > 0 and steps:
        lines.append(
            f'  policy deadline {result.deadline_ms:g} ms: {result.deadline_misses} of '
            f'{len(steps)} steps over it on this machine (max {max(steps):.1f} ms)'
        )
    if result.faults:
        kinds: Counter[str] = Counter()
        for (_, kind), n in result.faults.items():
            kinds[kind.value] += n
        lines.append(
            '  faults in the bag: ' + ', '.join(f'{k} x{n}' for k, n in kinds.most_common())
        )
    else:
        lines.append('  faults in the bag: none')
    if comparison is not None:
        if comparison.passed:
            lines.append(f'  golden: PASS ({len(comparison.topics)} topics match)')
        else:
            failed = [t.topic for t in comparison.topics if not t.passed]
            lines.append(f'  golden: FAIL on {len(failed)} topic(s): {", ".join(failed)}')
            lines.append(f'  first divergence: {comparison.first}')
    if report is not None:
        lines.append(f'  report: {report}')
    return '\n'.join(lines)


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format='png', dpi=90, bbox_inches='tight')
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buffer.getvalue()


def _legend(ax: Any, empty: str, loc: str = 'best') -> None:
    """The axes' legend, or, where nothing was drawn (an empty bag), a note saying so."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc=loc, fontsize=8)
    else:
        ax.text(0.5, 0.5, empty, transform=ax.transAxes, ha='center', va='center', color='0.4')


def _commands_plot(result: ReplayResult, golden: list[tuple[int, list[float]]] | None) -> bytes:
    import matplotlib.pyplot as plt

    t0 = result.start_ns
    n_axes = max(len(result.axes), 1)
    fig, axes = plt.subplots(n_axes, 1, figsize=(9, 2.2 * n_axes), sharex=True, squeeze=False)
    times = np.array([(t - t0) / NS_PER_S for t, _, _ in result.commands])
    values = (
        np.array([v for _, v, _ in result.commands]) if result.commands else np.zeros((0, n_axes))
    )
    stopping = np.array([r != 'NONE' for _, _, r in result.commands])
    for k, ax in enumerate(axes[:, 0]):
        name = result.axes[k] if k < len(result.axes) else f'axis {k}'
        if golden:
            g_times = np.array([(t - t0) / NS_PER_S for t, _ in golden])
            ax.plot(g_times, [v[k] for _, v in golden], color='0.6', lw=3, label='golden')
        if values.size:
            ax.plot(times, values[:, k], lw=1.2, label='this run')
            ax.fill_between(
                times,
                0,
                1,
                where=stopping,
                transform=ax.get_xaxis_transform(),
                color='tab:red',
                alpha=0.12,
                label='gate stopping',
            )
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
    _legend(axes[0, 0], 'no commands in this replay', loc='upper right')
    axes[-1, 0].set_xlabel('bag time [s]')
    fig.suptitle('Commands sent to the actuators')
    return _png(fig)


def _latency_plot(result: ReplayResult) -> bytes:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3))
    for stage, samples in sorted(result.latency_ms.items()):
        if samples:
            data = np.asarray(samples)
            label = (
                f'{stage}: median {np.median(data):.2f} ms, p99 {np.percentile(data, 99):.2f} ms'
            )
            ax.hist(data, bins=50, alpha=0.6, label=label)
    ax.set_xlabel('wall-clock time per call [ms] (this machine; not part of the outputs)')
    ax.set_ylabel('calls')
    _legend(ax, 'no stage ran in this replay')
    fig.suptitle('Per-stage latency')
    return _png(fig)


def _timeline_plot(result: ReplayResult) -> bytes:
    import matplotlib.pyplot as plt

    t0 = result.start_ns
    end = result.duration_s
    # a lane per (kind, source): the gate's stops first, then stale sources, then faults
    gate: tuple[int, str] = (0, '')
    rows: dict[tuple[int, str], list[tuple[float, float, str]]] = {}
    open_since: dict[tuple[int, str], tuple[float, str]] = {}
    for event in result.events:
        t = (event.time_ns - t0) / NS_PER_S
        if event.kind in (EventKind.STALE, EventKind.STOP):
            key = gate if event.kind is EventKind.STOP else (1, event.source)
            if event.kind is EventKind.STOP and gate in open_since:
                start, label = open_since.pop(gate)
                rows.setdefault(gate, []).append((start, t, label))
            open_since[key] = (t, event.detail)
        elif event.kind in (EventKind.FRESH, EventKind.RESUME):
            key = gate if event.kind is EventKind.RESUME else (1, event.source)
            if key in open_since:
                start, label = open_since.pop(key)
                rows.setdefault(key, []).append((start, t, label))
        elif event.kind is EventKind.FAULT:
            rows.setdefault((2, event.source), []).append(
                (t, t + max(end / 400, 0.01), event.detail)
            )
    for key, (start, label) in open_since.items():
        rows.setdefault(key, []).append((start, end, label))
    lanes = sorted(rows)[:25]
    fig, ax = plt.subplots(figsize=(9, 0.35 * max(len(lanes), 2) + 1.2))
    colours = ('tab:red', 'tab:orange', 'tab:purple')
    for i, lane in enumerate(lanes):
        spans = [(a, max(b - a, end / 400)) for a, b, _ in rows[lane]]
        ax.broken_barh(spans, (i - 0.35, 0.7), color=colours[lane[0]])
    names = [('gate stop', 'stale: ', 'fault: ')[group] + source for group, source in lanes]
    ax.set_yticks(range(len(lanes)), names, fontsize=8)
    ax.set_xlim(0, max(end, 1e-3))
    ax.set_xlabel('bag time [s]')
    ax.grid(axis='x', alpha=0.3)
    fig.suptitle('Stale sources, faults and safety stops')
    return _png(fig)


def _snapshots_plot(result: ReplayResult) -> bytes | None:
    if not result.snapshots:
        return None
    import matplotlib.pyplot as plt

    n = len(result.snapshots)
    fig, axes = plt.subplots(2, n, figsize=(2.4 * n, 5), squeeze=False)
    for k, (t, occupancy, rgb) in enumerate(result.snapshots):
        axes[0, k].imshow(
            np.nan_to_num(occupancy, nan=0.5), origin='lower', cmap='gray_r', vmin=0, vmax=1
        )
        axes[0, k].set_title(f't={(t - result.start_ns) / NS_PER_S:.1f} s', fontsize=9)
        axes[1, k].imshow(np.nan_to_num(np.clip(rgb, 0, 1), nan=0.85), origin='lower')
        for ax in axes[:, k]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel('occupancy')
    axes[1, 0].set_ylabel('camera colour')
    fig.suptitle('Grid snapshots (robot at the centre, x to the right)')
    return _png(fig)


def write_report(
    result: ReplayResult,
    out_dir: Path | str,
    comparison: Comparison | None = None,
    golden_commands: list[tuple[int, list[float]]] | None = None,
    golden: Path | str | None = None,
) -> Path:
    """Write ``report.html`` (PNGs embedded) and the PNGs beside it; returns the HTML path.

    The page stands alone: what was replayed (bag, params, model and its sha256, the golden
    bag) and with which versions, at the top; tables only where they have rows.
    """
    import matplotlib

    matplotlib.use('Agg')
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # topic and sensor names are shown as they are: a '$' in a name is not TeX to typeset
    with matplotlib.rc_context({'text.parse_math': False}):
        images = {
            'commands.png': _commands_plot(result, golden_commands),
            'latency.png': _latency_plot(result),
            'timeline.png': _timeline_plot(result),
        }
        snapshots = _snapshots_plot(result)
    if snapshots is not None:
        images['grid_snapshots.png'] = snapshots
    for name, data in images.items():
        (out_dir / name).write_bytes(data)
    page = Template((Path(__file__).parent / 'report_template.html').read_text(encoding='utf-8'))
    counts = ''.join(
        _row(source, kind.value, str(n))
        for (source, kind), n in sorted(result.faults.items(), key=_fault_order)
    )
    text = page.substitute(
        about=_about(result, golden),
        summary=html.escape(summary(result, comparison, None)),
        verdict=_verdict(comparison),
        images=''.join(_img(name, data) for name, data in images.items()),
        faults=_table(
            'Faults in the bag and what the gate did next',
            ('t [s]', 'source', 'fault', 'safety consequence'),
            _fault_rows(result),
            'No fault in the bag: every message decoded, in order, on time.',
        ),
        counts=_table('Fault counts', ('source', 'kind', 'count'), counts, ''),
    )
    path = out_dir / 'report.html'
    path.write_text(text, encoding='utf-8')
    return path


def _about(result: ReplayResult, golden: Path | str | None) -> str:
    """What the report is about: inputs, the golden bag, versions."""
    inputs = result.inputs
    rows = [
        ('bag', inputs.get('bag', '')),
        ('params', inputs.get('params', '')),
        ('model', f'{inputs.get("model", "")} (sha256 {result.model_sha256})'),
        ('golden bag', str(golden) if golden is not None else '(none: no comparison)'),
        ('versions', _library_versions()),
    ]
    return '<table>' + ''.join(_row(k, v) for k, v in rows) + '</table>'


def _library_versions() -> str:
    import importlib.metadata

    # by distribution name: ``physical_ai_ros.__version__`` would not do in a Ray worker
    # started in the repository's root, where the ROS package's folder shadows the package
    names = ('physical_ai_ros', 'numpy', 'opencv-python-headless', 'onnxruntime', 'rosbags')
    found = []
    for name in names:
        try:
            found.append(f'{name} {importlib.metadata.version(name)}')
        except importlib.metadata.PackageNotFoundError:
            continue
    return ', '.join(found)


def _table(title: str, head: tuple[str, ...], rows: str, empty: str) -> str:
    """A titled table, or only ``empty`` (a sentence; '' leaves the section out) without rows."""
    if not rows:
        return f'<h2>{html.escape(title)}</h2><p>{html.escape(empty)}</p>' if empty else ''
    header = '<tr>' + ''.join(f'<th>{html.escape(h)}</th>' for h in head) + '</tr>'
    return f'<h2>{html.escape(title)}</h2><table>{header}{rows}</table>'


def _row(*cells: str) -> str:
    return '<tr>' + ''.join(f'<td>{html.escape(c)}</td>' for c in cells) + '</tr>'


def _img(name: str, data: bytes) -> str:
    return f'<img alt="{name}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def _fault_rows(result: ReplayResult) -> str:
    return ''.join(
        _row(f'{(e.time_ns - result.start_ns) / NS_PER_S:.3f}', e.source, e.detail, e.consequence)
        for e in result.events
        if e.kind is EventKind.FAULT
    )


def _verdict(comparison: Comparison | None) -> str:
    if comparison is None:
        return ''
    rows = ''.join(
        _row(t.topic, str(t.compared), 'pass' if t.passed else 'FAIL', str(t.divergence or ''))
        for t in comparison.topics
    )
    head = '<tr><th>topic</th><th>messages</th><th>result</th><th>first divergence</th></tr>'
    title = 'PASS' if comparison.passed else 'FAIL'
    return f'<h2>Golden comparison: {title}</h2><table>{head}{rows}</table>'


def _fault_order(item: tuple[tuple[str, FaultKind], int]) -> tuple[str, str]:
    (source, kind), _ = item
    return source, kind.value
