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

"""A remote policy behind a modelled link, for replay and simulation: deterministic fallback.

The "remote" model runs here with onnxruntime; :class:`~physical_ai_ros.core.policy.link.
LinkModel` decides, from its seed, the request's index and the run's clock (bag time), whether
the answer came back within ``remote.timeout_ms``. If it did, the remote model's answer is
used; if it was lost or late, the local model's, as the hybrid backend does live. The same
bag, params and link give the same outputs, byte for byte. The command is written at the step's
time: the link decides who answers, not when.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from physical_ai_ros.core.policy.link import LinkModel
from physical_ai_ros.inference.status import BackendStatus


class SimulatedLinkSession:
    """Session interface: the remote model if the modelled link answers in time, else local."""

    def __init__(
        self,
        remote: Any,
        local: Any,
        link: LinkModel,
        timeout_ms: float,
        clock_s: Callable[[], float],
        *,
        breaker_failures: int = 3,
        breaker_backoff_s: float = 5.0,
        hashes: tuple[str, str] = ('', ''),
    ) -> None:
        """``clock_s``: seconds since the start of the run (bag time), read at each request.

        The breaker is the hybrid backend's, on bag time: after ``breaker_failures`` lost or
        late answers in a row, no request for ``breaker_backoff_s``, then one probe; so a
        replay follows what the robot would do. ``hashes``: (remote, local) models' sha256.
        """
        self.remote, self.local, self.link = remote, local, link
        self.timeout_ms = timeout_ms
        self.clock_s = clock_s
        self.breaker_failures, self.backoff_s = breaker_failures, breaker_backoff_s
        self.status = BackendStatus(active='remote', remote_sha256=hashes[0],
                                    local_sha256=hashes[1])  # fmt: skip
        self.counts = {'remote': 0, 'lost': 0, 'late': 0, 'breaker': 0}
        self._closed_until = -float('inf')
        self._index = 0
        self._answer_bytes = sum(
            4 * int(np.prod([d if isinstance(d, int) else 1 for d in o.shape]))
            for o in local.get_outputs()
        )

    def get_inputs(self) -> Any:
        """The local model's inputs (the contract was checked against both)."""
        return self.local.get_inputs()

    def get_outputs(self) -> Any:
        """The local model's outputs."""
        return self.local.get_outputs()

    def get_providers(self) -> list[str]:
        """Where the answers come from."""
        return ['simulated link', *self.local.get_providers()]

    def run(self, output_names: list[str], feeds: Mapping[str, np.ndarray[Any, Any]]) -> list[Any]:
        """One step: the remote model's answer if the link delivered it in time."""
        t_s = self.clock_s()
        if t_s < self._closed_until:  # the breaker is open: no request goes out
            self.counts['breaker'] += 1
            self.status.answered_locally()
            return list(self.local.run(output_names, feeds))
        payload = sum(int(np.asarray(v).nbytes) for v in feeds.values()) + self._answer_bytes
        round_trip = self.link.round_trip_ms(self._index, t_s, payload)
        self._index += 1
        if round_trip is not None and round_trip <= self.timeout_ms:
            self.counts['remote'] += 1
            self.status.answered_remotely(round_trip)
            return list(self.remote.run(output_names, feeds))
        kind = 'lost' if round_trip is None else 'late'
        self.counts[kind] += 1
        self.status.fell_back(
            f'link: request lost at t={t_s:.3f} s'
            if round_trip is None
            else f'link: answer after {round_trip:.1f} ms > remote.timeout_ms'
        )
        if self.status.failures_in_a_row >= self.breaker_failures:
            self._closed_until = t_s + self.backoff_s  # then one probe, as live
        return list(self.local.run(output_names, feeds))

    def summary(self) -> str:
        """One line for the replay summary."""
        c = self.counts
        total = sum(c.values())
        return (
            f'{total} policy steps over the modelled link: {c["remote"]} answered remotely, '
            f'{c["lost"]} lost and {c["late"]} late (> {self.timeout_ms:g} ms) and '
            f'{c["breaker"]} while the breaker was open -> local model'
        )
