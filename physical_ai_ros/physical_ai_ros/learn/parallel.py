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

"""Independent seeded jobs (episodes, exports, networks) over worker processes, in order.

Collection, export and training repeat jobs that share nothing: an episode is fixed by its
seed, an export by its bag, a network by its seed. :func:`ordered_map` runs them in
``jobs`` worker processes and hands their results back in the order of the tasks, so the
output (datasets, models) is the same bytes for any number of jobs. The workers are
spawned, not forked: a fork of a process that runs BLAS or onnxruntime threads can
deadlock. An interrupt (Ctrl-C, or SIGTERM turned into one by ``physical-ai``) leaves the
pool, which terminates the workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
import os
from typing import Any


def default_jobs(tasks: int) -> int:
    """One worker per CPU core, and no more workers than tasks."""
    return max(1, min(tasks, os.cpu_count() or 1))


def ordered_map(
    function: Callable[..., Any], tasks: Sequence[tuple[Any, ...]], jobs: int, *,
    initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = (),
) -> Iterator[Any]:  # fmt: skip
    """``function(*task)`` for each task, yielded in the tasks' order as each is ready.

    With ``jobs`` <= 1 (or one task) they run here, one after the other. ``function`` and
    ``initializer`` must be module-level functions (a worker imports them); ``initializer``
    runs once in each worker (and here, when nothing is spawned) with ``initargs``: data
    every task reads, sent to each worker once rather than with every task.
    """
    if jobs <= 1 or len(tasks) <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield from (function(*task) for task in tasks)
        return
    import multiprocessing

    context = multiprocessing.get_context('spawn')
    with context.Pool(min(jobs, len(tasks)), initializer, initargs) as pool:
        yield from pool.imap(_call, [(function, task) for task in tasks])


def _call(job: tuple[Callable[..., Any], tuple[Any, ...]]) -> Any:
    function, task = job
    return function(*task)


__all__ = ['default_jobs', 'ordered_map']
