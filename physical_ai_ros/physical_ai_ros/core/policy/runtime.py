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

"""The policy runtime: an ONNX model, its contract, and one inference per control step.

Loading checks the file (optional sha256 pin), chooses execution providers from a preference
list with a logged fallback to CPU, validates the contract against the model's declared
tensors, and runs once to warm up. A step assembles the observation, runs the model and maps
the outputs to command fields; a failure or a deadline miss is reported, never raised, so the
caller can tell the safety gate. Latency is measured only with a stopwatch passed in (the
node's monotonic clock); without one, runs are deterministic and deadlines are not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
import hashlib
import logging
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from physical_ai_ros.core.errors import ContractError, ModelError, PhysicalAiError
from physical_ai_ros.core.files import MAX_MODEL_BYTES, read_limited, read_text_limited
from physical_ai_ros.core.policy.contract import check_against_model, METADATA_KEY, PolicyContract
from physical_ai_ros.core.policy.observation import ObservationBuilder, PolicyInputs

LOG = logging.getLogger(__name__)

#: Provider names accepted by the ``policy.providers`` parameter.
PROVIDER_ALIASES = {
    'tensorrt': 'TensorrtExecutionProvider',
    'cuda': 'CUDAExecutionProvider',
    'openvino': 'OpenVINOExecutionProvider',
    'cpu': 'CPUExecutionProvider',
}


def select_providers(
    requested: Sequence[str], available: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Return (providers to use, warnings): requested ones that exist, CPU always last.

    Raises:
        ModelError: a requested name is not a known provider.
    """
    chosen: list[str] = []
    warnings = []
    for name in requested:
        provider = PROVIDER_ALIASES.get(name.lower(), name)
        if provider not in PROVIDER_ALIASES.values():
            raise ModelError(
                '<providers>',
                f'unknown execution provider {name!r}; known: {", ".join(PROVIDER_ALIASES)}',
            )
        if provider in available:
            chosen.append(provider)
        else:
            warnings.append(f'execution provider {provider} is not available here; falling back')
    if 'CPUExecutionProvider' not in chosen:
        chosen.append('CPUExecutionProvider')
    return chosen, warnings


def sha256_of(data: bytes) -> str:
    """Hex sha256 of a model file's bytes."""
    return hashlib.sha256(data).hexdigest()


def contract_for(
    path: Path, metadata: dict[str, str], explicit: Path | None = None
) -> PolicyContract:
    """Find the contract: an explicit file, else the model's metadata, else a sidecar file.

    Args:
        path: the model file; the sidecar is ``<model>.contract.yaml`` beside it.
        metadata: the model's custom metadata (``metadata_props``).
        explicit: a contract file named by parameter, which wins over the others.

    Raises:
        ContractError: none found, or the one found is invalid.
    """
    if explicit is not None:
        return PolicyContract.from_yaml(_read_contract(explicit))
    if METADATA_KEY in metadata:
        return PolicyContract.from_yaml(metadata[METADATA_KEY])
    sidecar = path.with_suffix('.contract.yaml')
    if sidecar.is_file():
        return PolicyContract.from_yaml(_read_contract(sidecar))
    raise ContractError(
        str(path), f'no contract: none embedded ({METADATA_KEY}) and no {sidecar.name}'
    )


def _read_contract(path: Path) -> str:
    return read_text_limited(path, lambda reason: ContractError(str(path), reason))


@dataclass
class PolicyModel:
    """A loaded, validated and warmed-up model."""

    path: Path
    sha256: str
    contract: PolicyContract
    session: Any
    providers: list[str]
    warnings: list[str]

    @classmethod
    def load(
        cls,
        path: Path | str,
        *,
        contract_path: Path | str | None = None,
        providers: Sequence[str] = ('cpu',),
        intra_op_threads: int = 1,
        inter_op_threads: int = 1,
        expected_sha256: str = '',
    ) -> PolicyModel:
        """Load and validate a model (see the module docstring).

        Raises:
            ModelError: missing file, sha256 mismatch, an unknown provider, or a model that
                onnxruntime refuses or that fails its warm-up run.
            ContractError: no contract, an invalid one, or one that does not fit the model.
        """
        path = Path(path)
        data = read_limited(path, MAX_MODEL_BYTES, lambda reason: ModelError(str(path), reason))
        digest = sha256_of(data)
        if expected_sha256 and digest != expected_sha256.lower():
            raise ModelError(
                str(path), f'sha256 {digest} does not match the pinned {expected_sha256}'
            )
        chosen, warnings = select_providers(providers, ort.get_available_providers())
        for warning in warnings:
            LOG.warning('%s: %s', path.name, warning)
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = inter_op_threads
        options.log_severity_level = 3
        try:
            session = ort.InferenceSession(data, sess_options=options, providers=chosen)
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
            raise ModelError(str(path), f'onnxruntime cannot load it ({exc})') from exc
        metadata = dict(session.get_modelmeta().custom_metadata_map)
        contract = contract_for(path, metadata, Path(contract_path) if contract_path else None)
        check_against_model(contract, session.get_inputs(), session.get_outputs())
        model = cls(path, digest, contract, session, list(session.get_providers()), warnings)
        feeds = {spec.tensor: np.zeros(spec.shape, np.float32) for spec in contract.inputs}
        try:
            model.session.run([contract.output.tensor], feeds)
        except Exception as exc:
            raise ModelError(str(path), f'warm-up run failed ({exc})') from exc
        return model


@dataclass(frozen=True)
class PolicyStep:
    """The result of one control step.

    Attributes:
        action: command values per contract axis (``None`` when the step failed); of a
            chunk, its first step.
        error: why the step failed ('' when it did not).
        latency_ms: inference time, when a stopwatch was given (else 0).
        deadline_missed: the inference took longer than the deadline.
    """

    action: np.ndarray[Any, np.dtype[np.float64]] | None
    error: str = ''
    latency_ms: float = 0.0
    deadline_missed: bool = False
    chunk: np.ndarray[Any, np.dtype[np.float64]] | None = None  # horizon x fields, if chunked


@dataclass
class LatencyStats:
    """Running statistics of inference latency [ms]."""

    samples: list[float] = field(default_factory=list)
    window: int = 1000
    misses: int = 0
    failures: int = 0

    def add(self, latency_ms: float) -> None:
        """Record one inference (keeps the newest ``window`` samples)."""
        self.samples.append(latency_ms)
        if len(self.samples) > self.window:
            del self.samples[: len(self.samples) - self.window]

    def summary(self) -> dict[str, float]:
        """Median, p99 and max of the window, and the miss/failure counts."""
        if not self.samples:
            return {'count': 0.0, 'misses': float(self.misses), 'failures': float(self.failures)}
        values = np.asarray(self.samples)
        return {
            'count': float(values.size),
            'median_ms': float(np.median(values)),
            'p99_ms': float(np.percentile(values, 99)),
            'max_ms': float(values.max()),
            'misses': float(self.misses),
            'failures': float(self.failures),
        }


class PolicyRuntime:
    """Runs the current model each control step; swaps models only after they validated."""

    def __init__(
        self,
        model: PolicyModel,
        *,
        deadline_s: float = 0.0,
        stopwatch: Callable[[], int] | None = None,
    ) -> None:
        self.model = model
        self.builder = ObservationBuilder(model.contract)
        self.deadline_ns = int(deadline_s * 1e9)
        self.stopwatch = stopwatch
        self.stats = LatencyStats()
        self._map_output()

    def swap(self, model: PolicyModel) -> None:
        """Replace the model with one that is already loaded and validated."""
        self.builder = ObservationBuilder(model.contract)
        self.model = model
        self._map_output()

    def _map_output(self) -> None:
        out = self.model.contract.output
        self._index = np.asarray(out.index, dtype=np.intp)
        self._scale = np.asarray(out.scale, dtype=np.float64)
        self._offset = np.asarray(out.offset, dtype=np.float64)

    def step(self, inputs: PolicyInputs) -> PolicyStep:
        """Assemble the observation, run the model, map its output to command values."""
        contract = self.model.contract
        try:
            feeds = self.builder.build(inputs)
        except PhysicalAiError as exc:
            self.stats.failures += 1
            return PolicyStep(action=None, error=str(exc))
        start = self.stopwatch() if self.stopwatch else 0
        try:
            (raw,) = self.model.session.run([contract.output.tensor], feeds)
        except Exception as exc:  # a model can fail at run time (shapes, kernels)
            self.stats.failures += 1
            return PolicyStep(action=None, error=f'inference failed: {exc}')
        latency_ms = (self.stopwatch() - start) / 1e6 if self.stopwatch else 0.0
        missed = bool(self.stopwatch and self.deadline_ns and latency_ms * 1e6 > self.deadline_ns)
        if self.stopwatch:
            self.stats.add(latency_ms)
        if missed:
            self.stats.misses += 1
        flat = np.asarray(raw).reshape(-1)
        out = contract.output
        problem = out.size_problem(flat.size)
        if problem:  # a dynamic output shape, checked on every answer
            self.stats.failures += 1
            return PolicyStep(None, f'output {out.tensor!r} {problem}', latency_ms, missed)
        if out.horizon > 1:
            steps = flat.reshape(out.horizon, -1)[:, self._index].astype(np.float64)
            chunk = steps * self._scale + self._offset
            return PolicyStep(chunk[0], '', latency_ms, missed, chunk)
        action = flat[self._index].astype(np.float64) * self._scale + self._offset
        return PolicyStep(action=action, latency_ms=latency_ms, deadline_missed=missed)
