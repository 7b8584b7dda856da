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

"""A tree of static transforms (from /tf_static), looked up parent to child through chains."""

from __future__ import annotations

from typing import Any

import numpy as np

from physical_ai_ros.core.perception.transforms import Matrix, transform_to_matrix


class StaticTransforms:
    """Static transforms by (parent, child); :meth:`lookup` composes along the tree."""

    def __init__(self) -> None:
        self._edges: dict[str, dict[str, Matrix]] = {}

    def add(self, msg: Any) -> None:
        """Add every transform of a ``tf2_msgs/TFMessage``."""
        for transform in msg.transforms:
            parent = transform.header.frame_id.lstrip('/')
            child = transform.child_frame_id.lstrip('/')
            matrix = transform_to_matrix(transform.transform)
            self._edges.setdefault(parent, {})[child] = matrix
            self._edges.setdefault(child, {})[parent] = np.linalg.inv(matrix).astype(np.float64)

    def lookup(self, target: str, source: str) -> Matrix | None:
        """``target_from_source`` (maps points in ``source`` to ``target``), or None."""
        target, source = target.lstrip('/'), source.lstrip('/')
        if target == source:
            return np.eye(4)
        frontier: list[tuple[str, Matrix]] = [(target, np.eye(4))]
        seen = {target}
        while frontier:
            frame, target_from_frame = frontier.pop()
            for child, frame_from_child in self._edges.get(frame, {}).items():
                if child in seen:
                    continue
                target_from_child = target_from_frame @ frame_from_child
                if child == source:
                    return target_from_child
                seen.add(child)
                frontier.append((child, target_from_child))
        return None
