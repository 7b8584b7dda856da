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

"""What a policy backend reports: who answered, fallbacks, errors, round trips (PolicyStatus)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class BackendStatus:
    """What /diagnostics and PolicyStatus report about the backend.

    ``fallbacks`` counts every step the local model answered in the remote's place: after a
    failure, and while the breaker keeps the remote one out. ``model_sha256`` is the hash of
    the model that answered the last step ('' for a server's model: its file is not here).
    """

    active: str = 'remote'
    fallbacks: int = 0
    failures_in_a_row: int = 0
    last_error: str = ''
    round_trips_ms: deque[float] = field(default_factory=lambda: deque(maxlen=1000))
    remote_sha256: str = ''
    local_sha256: str = ''
    model_sha256: str = ''

    def answered_remotely(self, round_trip_ms: float) -> None:
        """The remote model answered in time, after ``round_trip_ms``."""
        self.active = 'remote'
        self.failures_in_a_row = 0
        self.round_trips_ms.append(round_trip_ms)
        self.model_sha256 = self.remote_sha256

    def fell_back(self, error: str) -> None:
        """The local model answered instead, because of ``error``."""
        self.answered_locally()
        self.failures_in_a_row += 1
        self.last_error = error

    def answered_locally(self) -> None:
        """The local model answered without asking the remote one (the breaker is open)."""
        self.active = 'local'
        self.fallbacks += 1
        self.model_sha256 = self.local_sha256

    def summary(self) -> dict[str, Any]:
        """Active backend, fallback count, last error, the answering model, round trips [ms]."""
        out: dict[str, Any] = {
            'backend': self.active, 'fallbacks': self.fallbacks, 'last_error': self.last_error,
            'model_sha256': self.model_sha256,
        }  # fmt: skip
        if self.round_trips_ms:
            values = np.asarray(self.round_trips_ms)
            out['round_trip_ms/p50'] = float(np.median(values))
            out['round_trip_ms/p99'] = float(np.percentile(values, 99))
        return out


__all__ = ['BackendStatus']
