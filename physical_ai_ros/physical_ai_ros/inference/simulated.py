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
from physical_ai_ros.inference.hybrid import BackendStatus


class SimulatedLinkSession:
    """Session interface: the remote model if the modelled link answers in time, else local."""

    def __init__(
        self,
        remote: Any,
        local: Any,
        link: LinkModel,
        timeout_ms: float,
        clock_s: Callable[[], float],
    ) -> None:
        """``clock_s``: seconds since the start of the run (bag time), read at each request."""
        self.remote, self.local, self.link = remote, local, link
        self.timeout_ms = timeout_ms
        self.clock_s = clock_s
        self.status = BackendStatus(active='remote')
        self.counts = {'remote': 0, 'lost': 0, 'late': 0}
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
        return list(self.local.run(output_names, feeds))

    def summary(self) -> str:
        """One line for the replay summary."""
        c = self.counts
        total = sum(c.values())
        return (
            f'{total} policy steps over the modelled link: {c["remote"]} answered remotely, '
            f'{c["lost"]} lost and {c["late"]} late (> {self.timeout_ms:g} ms) -> local model'
        )
