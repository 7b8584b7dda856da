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

"""The parameter declarations each node makes, checked without rclpy."""

from __future__ import annotations

import math

import pytest

from physical_ai_ros.core.params.schema import NODES
from physical_ai_ros.core.params.spec import ros_descriptor_fields, ROS_TYPES


@pytest.mark.parametrize('node', sorted(NODES))
def test_every_declaration_maps_to_a_descriptor(node: str) -> None:
    for spec in NODES[node].specs:
        fields = ros_descriptor_fields(spec)
        assert fields['type'] == ROS_TYPES[spec.type]
        assert fields['description'].startswith(spec.description)
        assert fields['read_only'] == spec.read_only
        if spec.type == 'double' and (spec.min is not None or spec.max is not None):
            lo, hi = fields['floating_point_range']
            assert lo == (spec.min if spec.min is not None else -math.inf)
            assert hi == (spec.max if spec.max is not None else math.inf)
        elif spec.type == 'int' and spec.min is not None:
            assert fields['integer_range'][0] == spec.min
        else:
            assert fields['floating_point_range'] is None
        if spec.choices:
            assert all(repr(c) in fields['additional_constraints'] for c in spec.choices)


def test_units_reach_the_description() -> None:
    fields = ros_descriptor_fields(NODES['perception_node'].spec('grid.resolution'))
    assert fields['description'].endswith('[m]') and fields['floating_point_range'] == (0.01, 2.0)
    assert fields['read_only'] is True
    safety = ros_descriptor_fields(NODES['safety_node'].spec('stop_mode'))
    assert safety['read_only'] is False and "'immediate'" in safety['additional_constraints']


def test_node_names_match_executables() -> None:
    from pathlib import Path

    setup = (Path(__file__).resolve().parents[3] / 'setup.py').read_text()
    for node in NODES:
        assert f"'{node} = physical_ai_ros.nodes.{node}:main'" in setup
