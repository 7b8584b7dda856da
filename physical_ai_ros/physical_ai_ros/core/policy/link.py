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

"""A deterministic model of the robot's link to its inference server, for replay and simulation.

``link.yaml``::

    seed: 7
    latency_ms: {median: 40.0, p99: 300.0}   # round trip, log-normal between the two
    drop_rate: 0.02                          # requests lost outright
    outages: [[12.0, 17.0]]                  # seconds from the start of the run: no link
    bandwidth_mbps: 20.0                     # adds request + answer bytes / bandwidth (0: none)

Each request's fate depends only on the seed and the request's index, and outages on the
time passed in (bag time), so a replay with the same bag, params and link writes the same
bytes every run. Nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from pathlib import Path
from typing import Any

import numpy as np

from physical_ai_ros.core.errors import PhysicalAiError
from physical_ai_ros.core.files import load_yaml_limited, read_text_limited

Z99 = 2.3263478740408408  # the standard normal's 99th percentile


class LinkError(PhysicalAiError, ValueError):
    """A link file is refused: which key, the value, what is allowed."""

    def __init__(self, key: str, value: Any, allowed: str) -> None:
        super().__init__(f'link: {key}={value!r}: {allowed}')


@dataclass(frozen=True)
class LinkModel:
    """Round trips, losses and outages of a link (see the module docstring)."""

    seed: int = 0
    median_ms: float = 10.0
    p99_ms: float = 10.0
    drop_rate: float = 0.0
    outages: tuple[tuple[float, float], ...] = ()
    bandwidth_mbps: float = 0.0

    @classmethod
    def load(cls, path: Path | str) -> LinkModel:
        """Read and check a link file.

        Raises:
            LinkError: an unknown key or a value out of range, named.
            PhysicalAiError: the file is unreadable or too large.
        """
        path = Path(path)
        text = read_text_limited(path, lambda reason: LinkError('<file>', str(path), reason))
        data = load_yaml_limited(text, lambda reason: LinkError('<file>', str(path), reason))
        return cls.from_mapping(data if data is not None else {})

    @classmethod
    def from_mapping(cls, data: Any) -> LinkModel:
        """A link from a parsed YAML mapping (see :meth:`load`)."""
        if not isinstance(data, dict):
            raise LinkError('<root>', data, 'expected a mapping')
        known = {'seed', 'latency_ms', 'drop_rate', 'outages', 'bandwidth_mbps'}
        for key in data:
            if key not in known:
                raise LinkError(
                    str(key), data[key], f'unknown key; known: {", ".join(sorted(known))}'
                )
        seed = data.get('seed', 0)
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise LinkError('seed', seed, 'a non-negative integer')
        latency = data.get('latency_ms', {'median': 10.0, 'p99': 10.0})
        if not isinstance(latency, dict) or set(latency) - {'median', 'p99'}:
            raise LinkError('latency_ms', latency, 'a mapping {median: ms, p99: ms}')
        median = _number('latency_ms.median', latency.get('median', 10.0), 0.0, 60000.0)
        p99 = _number('latency_ms.p99', latency.get('p99', median), median, 60000.0)
        if median <= 0:
            raise LinkError('latency_ms.median', median, 'ms > 0')
        drop = _number('drop_rate', data.get('drop_rate', 0.0), 0.0, 1.0)
        bandwidth = _number('bandwidth_mbps', data.get('bandwidth_mbps', 0.0), 0.0, 1e6)
        outages = []
        for window in data.get('outages', []) or []:
            ok = isinstance(window, list) and len(window) == 2
            if not ok or not all(isinstance(v, (int, float)) for v in window):
                raise LinkError('outages', window, 'pairs [start_s, end_s]')
            start, end = float(window[0]), float(window[1])
            if not (math.isfinite(start) and math.isfinite(end) and 0 <= start < end):
                raise LinkError('outages', window, 'finite 0 <= start_s < end_s')
            outages.append((start, end))
        return cls(seed, median, p99, drop, tuple(outages), bandwidth)

    def round_trip_ms(self, index: int, t_s: float, payload_bytes: int) -> float | None:
        """The round trip of request ``index`` sent ``t_s`` into the run; None if lost."""
        if any(start <= t_s < end for start, end in self.outages):
            return None
        rng = np.random.default_rng([self.seed, index])
        lost, normal = rng.random(), rng.standard_normal()
        if lost < self.drop_rate:
            return None
        sigma = math.log(self.p99_ms / self.median_ms) / Z99
        latency = self.median_ms * math.exp(sigma * float(normal))
        if self.bandwidth_mbps > 0:
            latency += payload_bytes * 8 / (self.bandwidth_mbps * 1e6) * 1e3
        return latency


def _number(key: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LinkError(key, value, f'a number in [{low:g}, {high:g}]')
    if not (math.isfinite(value) and low <= value <= high):
        raise LinkError(key, value, f'a number in [{low:g}, {high:g}]')
    return float(value)


__all__ = ['LinkError', 'LinkModel']
