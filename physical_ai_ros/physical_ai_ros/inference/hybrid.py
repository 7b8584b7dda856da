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

"""Remote first, the local model when the remote one fails or is late, with a circuit breaker.

Each step asks the remote session; a timeout, a transport error or a malformed answer is
answered by the local model in the same call, so the control period is never missed as long
as ``remote.timeout_ms`` plus the local inference fit in the deadline (check-config holds
``remote.timeout_ms < deadline_ms``). After ``breaker_failures`` failures in a row the remote
one is not called for ``breaker_backoff_s`` and its channel is opened anew (a link that
delivered garbage can wedge an HTTP/2 connection); then one step probes it, and a success
brings it back (hysteresis: a flapping link costs one probe per backoff, not one timeout per
step).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
import time
from typing import Any

import numpy as np

from physical_ai_ros.inference.client import RemoteAnswerError


@dataclass
class BackendStatus:
    """What /diagnostics and PolicyStatus report about the backend."""

    active: str = 'remote'
    fallbacks: int = 0
    failures_in_a_row: int = 0
    last_error: str = ''
    round_trips_ms: deque[float] = field(default_factory=lambda: deque(maxlen=1000))

    def answered_remotely(self, round_trip_ms: float) -> None:
        """The remote model answered in time, after ``round_trip_ms``."""
        self.active = 'remote'
        self.failures_in_a_row = 0
        self.round_trips_ms.append(round_trip_ms)

    def fell_back(self, error: str) -> None:
        """The local model answered instead, because of ``error``."""
        self.active = 'local'
        self.fallbacks += 1
        self.failures_in_a_row += 1
        self.last_error = error

    def summary(self) -> dict[str, Any]:
        """Active backend, fallback count, last error, remote round trip p50/p99 [ms]."""
        out: dict[str, Any] = {
            'backend': self.active, 'fallbacks': self.fallbacks, 'last_error': self.last_error,
        }  # fmt: skip
        if self.round_trips_ms:
            values = np.asarray(self.round_trips_ms)
            out['round_trip_ms/p50'] = float(np.median(values))
            out['round_trip_ms/p99'] = float(np.percentile(values, 99))
        return out


class HybridSession:
    """Session interface over a remote session with a local fallback (see module)."""

    def __init__(
        self,
        remote: Any,
        local: Any,
        *,
        breaker_failures: int = 3,
        breaker_backoff_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``remote`` may be None (the server was unreachable at start): it is local until set."""
        self.remote, self.local = remote, local
        self.breaker_failures = breaker_failures
        self.backoff_s = breaker_backoff_s
        self.clock = clock
        self.status = BackendStatus(active='remote' if remote is not None else 'local')
        self._closed_until = 0.0

    def get_inputs(self) -> Any:
        """The local model's inputs (the contract was checked against both)."""
        return self.local.get_inputs()

    def get_outputs(self) -> Any:
        """The local model's outputs."""
        return self.local.get_outputs()

    def get_providers(self) -> list[str]:
        """Remote first, then the local providers."""
        remote = self.remote.get_providers() if self.remote is not None else []
        return [*remote, *self.local.get_providers()]

    def run(self, output_names: list[str], feeds: Mapping[str, np.ndarray[Any, Any]]) -> list[Any]:
        """Remote if it answers in time and well, else local (see module)."""
        now = self.clock()
        if self.remote is not None and now >= self._closed_until:
            try:
                answer = self.remote.run(output_names, feeds)
            except RemoteAnswerError as exc:
                self._failed(str(exc), now)
            else:
                self.status.answered_remotely((self.clock() - now) * 1000.0)
                return list(answer)
        self.status.active = 'local'
        return list(self.local.run(output_names, feeds))

    def _failed(self, error: str, now: float) -> None:
        status = self.status
        status.fell_back(error)
        if status.failures_in_a_row >= self.breaker_failures:
            self._closed_until = now + self.backoff_s  # then one probe, whatever the count
            if status.failures_in_a_row == self.breaker_failures and hasattr(self.remote, 'reset'):
                self.remote.reset()  # the probe goes out on a fresh connection
