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

"""Loading the configured policy: local, remote or hybrid, from policy_node's parameters."""

from __future__ import annotations

from collections.abc import Mapping
import logging
from pathlib import Path
from typing import Any

import numpy as np

from physical_ai_ros.core.errors import ModelError
from physical_ai_ros.core.policy.contract import check_against_model, PolicyContract
from physical_ai_ros.core.policy.runtime import PolicyModel
from physical_ai_ros.policies.reference import SHIPPED

LOG = logging.getLogger(__name__)


def load_policy(values: Mapping[str, Any], model_path: str | Path | None = None) -> PolicyModel:
    """Load the model that ``policy_node`` parameters name, validated against its contract.

    ``backend`` local runs the ONNX file here; remote runs the served model (its contract
    from ``contract_path``, checked against the server's metadata); hybrid loads the local
    model and puts the remote one in front of it (an unreachable server at start is reported
    and retried, the robot runs locally meanwhile).

    Args:
        values: resolved ``policy_node`` parameters.
        model_path: overrides ``values['model_path']``; with neither, the shipped reference
            policy (nothing is written anywhere).

    Raises:
        ModelError: the model is missing, unreadable, pinned to another sha256, or fails.
        ContractError: no contract, or one that does not fit the model.
        RemoteError: a remote backend that cannot be set up (files, endpoint, server).
    """
    backend = values.get('backend', 'local')
    if backend == 'remote':
        return _remote(values)
    model = _local(values, model_path)
    if backend == 'hybrid':
        _put_remote_in_front(model, values)
    return model


def _local(values: Mapping[str, Any], model_path: str | Path | None) -> PolicyModel:
    path = model_path or values['model_path'] or SHIPPED
    return PolicyModel.load(
        path,
        contract_path=values['contract_path'] or None,
        providers=values['providers'],
        intra_op_threads=values['intra_op_threads'],
        inter_op_threads=values['inter_op_threads'],
        expected_sha256=values['model_sha256'],
    )


def _remote(values: Mapping[str, Any]) -> PolicyModel:
    from physical_ai_ros.core.files import read_text_limited
    from physical_ai_ros.inference.client import RemoteConfig, RemoteSession

    if not values['contract_path']:
        raise ModelError('<remote>', 'backend remote needs contract_path (what to send)')
    contract_file = Path(values['contract_path'])
    contract = PolicyContract.from_yaml(
        read_text_limited(contract_file, lambda reason: ModelError(str(contract_file), reason))
    )
    config = RemoteConfig.from_values(values)
    session = RemoteSession(config)
    check_against_model(contract, session.get_inputs(), session.get_outputs())
    model = PolicyModel(
        Path(f'{config.endpoint}/{config.model_name}'), '', contract, session,
        session.get_providers(), [],
    )  # fmt: skip
    _warm_up(model)
    return model


def _put_remote_in_front(model: PolicyModel, values: Mapping[str, Any]) -> None:
    from physical_ai_ros.inference.client import (
        RemoteConfig,
        RemoteSession,
        RemoteTensor,
        ServerUnavailableError,
    )
    from physical_ai_ros.inference.hybrid import HybridSession

    config = RemoteConfig.from_values(values)
    try:
        remote = RemoteSession(config)
        check_against_model(model.contract, remote.get_inputs(), remote.get_outputs())
    except ServerUnavailableError as exc:  # files and endpoint errors still refuse at once
        LOG.warning('remote policy unavailable, running locally until it answers: %s', exc)
        model.warnings.append(str(exc))
        outputs = [
            RemoteTensor(o.name, [d if isinstance(d, int) else 1 for d in o.shape])
            for o in model.session.get_outputs()
        ]
        remote = RemoteSession(config, outputs=outputs)
    model.session = HybridSession(
        remote,
        model.session,
        breaker_failures=values['remote.breaker_failures'],
        breaker_backoff_s=values['remote.breaker_backoff_s'],
        local_sha256=model.sha256,
    )
    model.providers = model.session.get_providers()
    _warm_up(model)


def _warm_up(model: PolicyModel) -> None:
    feeds = {spec.tensor: np.zeros(spec.shape, np.float32) for spec in model.contract.inputs}
    try:
        model.session.run([model.contract.output.tensor], feeds)
    except Exception as exc:
        raise ModelError(str(model.path), f'warm-up run failed ({exc})') from exc
