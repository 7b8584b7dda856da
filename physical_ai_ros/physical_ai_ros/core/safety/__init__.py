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

"""Safety: the last word before the actuators.

This room owns the :class:`~.gate.SafetyGate` (limits, ramps, timeouts, the latched e-stop,
typed stop reasons), :mod:`.control`, which tells the gate what a policy step or a
PolicyStatus said, and the collision monitor (:mod:`.monitor` with its :mod:`.shapes`,
:mod:`.kinematics`, :mod:`.sources` and :mod:`.returns`), which judges raw range data against
the protective field and zones. It may import messages and policy (the step it gates); never
params or stages.
"""
