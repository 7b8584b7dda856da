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

"""Parameters: every node parameter declared once, checked, documented, turned into configs.

This room owns the parameter declarations (:mod:`.spec`: types, defaults, units, ranges,
read-only flags), one module per node (:mod:`.perception_params`, :mod:`.policy_params`,
:mod:`.safety_params`), the cross checks and the core configs built from resolved values
(:mod:`.schema`), params-file checking with line numbers (:mod:`.config_check`) and the
generated reference (:mod:`.docs`). It may import every room below it (messages, perception,
policy, safety) to build their configs; only :mod:`physical_ai_ros.core.stages` is above it.
"""
