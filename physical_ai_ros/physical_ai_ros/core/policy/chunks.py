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

"""Action chunks: a model's answer of H commands ``step_s`` apart, played on the control clock.

A chunk is aligned to the stamp of the observation it answers: its step k is the command for
``stamp + k * step_s``. When it arrives late (a remote model's round trip), the steps whose
time has passed are skipped, never replayed. A newer chunk replaces the old one, optionally
blended over its first ``blend_steps`` steps (a linear crossfade from what the old chunk
says for those times). Past its last step, or older than ``max_age_s``, a chunk is stale and
plays nothing: the gate's command timeout then stops the robot. Times are bag or ROS time
passed in; nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
import enum
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ActionChunk:
    """Commands ``actions[k]`` for ``stamp_ns + k * step_ns`` (``actions``: H x fields)."""

    stamp_ns: int
    step_ns: int
    actions: np.ndarray[Any, np.dtype[np.float64]]

    @property
    def horizon(self) -> int:
        """Number of steps."""
        return int(self.actions.shape[0])

    def index_at(self, now_ns: int) -> int:
        """The step whose time slot holds ``now_ns`` (0 before the stamp)."""
        return max((now_ns - self.stamp_ns) // self.step_ns, 0)

    def at(self, now_ns: int) -> np.ndarray[Any, np.dtype[np.float64]] | None:
        """The command for ``now_ns``, None past the last step."""
        k = self.index_at(now_ns)
        return self.actions[k] if k < self.horizon else None


class ChunkState(enum.Enum):
    """Why no command plays."""

    PLAYING = 'playing'
    NONE = 'no chunk yet'
    EXHAUSTED = 'chunk played out (no newer one arrived)'
    TOO_OLD = 'chunk older than max_chunk_age_s'


class ChunkPlayer:
    """Plays the newest chunk; replaces and blends (see the module docstring)."""

    def __init__(self, max_age_s: float, blend_steps: int = 0) -> None:
        """``max_age_s``: a chunk older than this plays nothing; ``blend_steps``: crossfade."""
        self.max_age_ns = int(max_age_s * 1e9)
        self.blend_steps = blend_steps
        self.chunk: ActionChunk | None = None

    def replace(self, chunk: ActionChunk) -> None:
        """Take a newer chunk, blended with the current one over ``blend_steps`` steps."""
        old = self.chunk
        if old is not None and chunk.stamp_ns < old.stamp_ns:
            return  # an answer to an older observation never replaces a newer one
        if old is not None and self.blend_steps > 0:
            actions = chunk.actions.copy()
            for j in range(min(self.blend_steps, chunk.horizon)):
                before = old.at(chunk.stamp_ns + j * chunk.step_ns)
                if before is None:
                    break
                w = (j + 1) / (self.blend_steps + 1)  # weight of the new chunk
                actions[j] = (1.0 - w) * before + w * chunk.actions[j]
            chunk = ActionChunk(chunk.stamp_ns, chunk.step_ns, actions)
        self.chunk = chunk

    def state(self, now_ns: int) -> ChunkState:
        """Whether a command plays at ``now_ns``, and if not why."""
        chunk = self.chunk
        if chunk is None:
            return ChunkState.NONE
        if now_ns - chunk.stamp_ns > self.max_age_ns:
            return ChunkState.TOO_OLD
        if chunk.at(now_ns) is None:
            return ChunkState.EXHAUSTED
        return ChunkState.PLAYING

    def action_at(self, now_ns: int) -> np.ndarray[Any, np.dtype[np.float64]] | None:
        """The command for ``now_ns``; None when the chunk is stale (see :meth:`state`)."""
        if self.state(now_ns) is not ChunkState.PLAYING:
            return None
        assert self.chunk is not None
        return self.chunk.at(now_ns)


__all__ = ['ActionChunk', 'ChunkPlayer', 'ChunkState']
