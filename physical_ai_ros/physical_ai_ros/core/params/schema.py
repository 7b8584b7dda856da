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


"""The parameters of every node, by node name, and resolving a node's values.

Each node's declarations live in their own module (:mod:`.perception_params`,
:mod:`.policy_params`, :mod:`.safety_params`). Nodes declare them with rclpy
ParameterDescriptors; ``physical-ai check-config`` validates params files against them;
``physical-ai params`` documents them; replay builds the same core objects from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from physical_ai_ros.core.params.iot_bridge_params import IOT_BRIDGE
from physical_ai_ros.core.params.perception_params import PERCEPTION, perception_config
from physical_ai_ros.core.params.policy_params import POLICY
from physical_ai_ros.core.params.safety_params import SAFETY, safety_config
from physical_ai_ros.core.params.spec import ParamError, ParamSet

NODES: dict[str, ParamSet] = {p.node: p for p in (PERCEPTION, POLICY, SAFETY, IOT_BRIDGE)}


def check_node(node: str, values: Mapping[str, Any]) -> list[ParamError]:
    """Cross-parameter checks of resolved values (array lengths, ordering); [] when fine."""
    return NODES[node].cross_check(values)


def resolve(node: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults plus ``overrides``, each value checked, then the cross checks.

    Raises:
        ParamError: the first problem found.
    """
    values = NODES[node].resolve(overrides)
    errors = check_node(node, values)
    if errors:
        raise errors[0]
    return values


__all__ = [
    'IOT_BRIDGE',
    'NODES',
    'PERCEPTION',
    'POLICY',
    'SAFETY',
    'check_node',
    'perception_config',
    'resolve',
    'safety_config',
]
