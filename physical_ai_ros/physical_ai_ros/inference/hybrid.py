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

from collections.abc import Callable, Mapping
import time
from typing import Any

import numpy as np

from physical_ai_ros.inference.client import RemoteAnswerError
from physical_ai_ros.inference.status import BackendStatus


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
        local_sha256: str = '',
    ) -> None:
        """``remote`` may be None (the server was unreachable at start): it is local until set.

        ``local_sha256`` is the local model's hash, reported for the steps it answers.
        """
        self.remote, self.local = remote, local
        self.breaker_failures = breaker_failures
        self.backoff_s = breaker_backoff_s
        self.clock = clock
        self.status = BackendStatus(active='remote' if remote is not None else 'local',
                                    local_sha256=local_sha256)  # fmt: skip
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
            answer = self.local.run(output_names, feeds)  # counted by _failed
        else:
            answer = self.local.run(output_names, feeds)
            self.status.answered_locally()  # the breaker keeps the remote one out: a fallback
        return list(answer)

    def _failed(self, error: str, now: float) -> None:
        status = self.status
        status.fell_back(error)
        if status.failures_in_a_row >= self.breaker_failures:
            self._closed_until = now + self.backoff_s  # then one probe, whatever the count
            if status.failures_in_a_row == self.breaker_failures and hasattr(self.remote, 'reset'):
                self.remote.reset()  # the probe goes out on a fresh connection
