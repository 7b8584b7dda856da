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

"""Loading the configured policy: policy_node's parameters, or the reference policy."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from physical_ai_ros.core.policy.runtime import PolicyModel
from physical_ai_ros.policies.reference import SHIPPED


def load_policy(values: Mapping[str, Any], model_path: str | Path | None = None) -> PolicyModel:
    """Load the model that ``policy_node`` parameters name, validated against its contract.

    Args:
        values: resolved ``policy_node`` parameters.
        model_path: overrides ``values['model_path']``; with neither, the shipped reference
            policy (nothing is written anywhere).

    Raises:
        ModelError: the model is missing, unreadable, pinned to another sha256, or fails.
        ContractError: no contract, or one that does not fit the model.
    """
    path = model_path or values['model_path'] or SHIPPED
    return PolicyModel.load(
        path,
        contract_path=values['contract_path'] or None,
        providers=values['providers'],
        intra_op_threads=values['intra_op_threads'],
        inter_op_threads=values['inter_op_threads'],
        expected_sha256=values['model_sha256'],
    )
