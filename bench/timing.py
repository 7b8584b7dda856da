"""Timing helpers shared by the benchmarks: medians and p99s, never a single wall time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
import gc
import time
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Stats:
    """Latency statistics of repeated calls, in milliseconds."""

    name: str
    median_ms: float
    p99_ms: float
    runs: int

    def row(self, baseline: Stats | None = None) -> str:
        """Format as a table row, with the ratio of medians to ``baseline`` when given."""
        ratio = f'{self.median_ms / baseline.median_ms:9.2f}x' if baseline else ' ' * 10
        return (
            f'  {self.name:<44} {self.median_ms:10.3f} {self.p99_ms:10.3f} {self.runs:6d} {ratio}'
        )


HEADER = f'  {"case":<44} {"median ms":>10} {"p99 ms":>10} {"runs":>6} {"vs base":>10}'


def measure(name: str, fn: Callable[[], Any], *, runs: int, warmup: int = 3) -> Stats:
    """Call ``fn`` ``warmup`` times, then time ``runs`` calls one by one."""
    for _ in range(warmup):
        fn()
    samples = np.empty(runs)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a collection inside one sample is noise, not the code under test
    try:
        for i in range(runs):
            start = time.perf_counter_ns()
            fn()
            samples[i] = time.perf_counter_ns() - start
    finally:
        if gc_was_enabled:
            gc.enable()
    return Stats(
        name, float(np.median(samples)) / 1e6, float(np.percentile(samples, 99)) / 1e6, runs
    )


def measure_interleaved(
    cases: Sequence[tuple[str, Callable[[], Any]]], *, runs: int, warmup: int = 3
) -> list[Stats]:
    """Time the cases call by call in turn (A, B, C, A, B, C, ...), ``runs`` calls each.

    A shared, noisy machine slows whatever runs at that moment: interleaving spreads the
    noise over every case alike, so ratios of medians hold from run to run, where timing
    each case in its own block lets them flip.
    """
    for _ in range(warmup):
        for _, fn in cases:
            fn()
    samples = np.empty((len(cases), runs))
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for i in range(runs):
            for k, (_, fn) in enumerate(cases):
                start = time.perf_counter_ns()
                fn()
                samples[k, i] = time.perf_counter_ns() - start
    finally:
        if gc_was_enabled:
            gc.enable()
    return [
        Stats(name, float(np.median(row)) / 1e6, float(np.percentile(row, 99)) / 1e6, runs)
        for (name, _), row in zip(cases, samples, strict=True)
    ]
