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

"""Wiring of one policy step into the safety gate, shared by the nodes and replay."""

from __future__ import annotations

from physical_ai_ros.core.policy.runtime import PolicyStep
from physical_ai_ros.core.safety.gate import SafetyGate, StopCause, StopReason


def feed_gate(
    gate: SafetyGate, step: PolicyStep, now_ns: int, *, deadline_ms: float = 0.0
) -> None:
    """Tell the gate what a policy step produced: a command, an error or a deadline miss."""
    if step.error:
        gate.report_fault(StopReason.POLICY_ERROR, StopCause(note=step.error))
    elif step.deadline_missed:
        late = StopCause(got=float(step.latency_ms), expected=float(deadline_ms))
        gate.report_fault(StopReason.DEADLINE_MISS, late)
    elif step.action is not None:
        gate.submit(step.action, now_ns)


#: ``PolicyStatus.state`` values (physical_ai_ros_interfaces/msg/PolicyStatus).
STATE_UNCONFIGURED, STATE_RUNNING, STATE_DEGRADED, STATE_ERROR = 0, 1, 2, 3

#: ``PolicyStatus.reason_code`` values: why the state is not RUNNING.
REASON_NONE, REASON_STALE_INPUT, REASON_DEADLINE_MISS, REASON_STEP_FAILED = 0, 1, 2, 3
REASON_NOT_CONFIGURED = 4


def apply_status(gate: SafetyGate, state: int, reason_code: int, reason: str) -> None:
    """Tell the gate what a PolicyStatus message says (the safety node's view of the policy).

    The gate acts on ``state`` and ``reason_code``; ``reason`` (the policy's words) is only
    shown. A failed step or a deadline miss stops the robot until the next valid command; a
    policy with stale inputs marks the gate's inputs stale until it runs again.
    """
    if state == STATE_RUNNING:
        gate.set_stale(None)
    elif reason_code == REASON_DEADLINE_MISS:
        gate.report_fault(StopReason.DEADLINE_MISS, StopCause(note=reason))
    elif state == STATE_ERROR or reason_code == REASON_STEP_FAILED:
        gate.report_fault(StopReason.POLICY_ERROR, StopCause(note=reason))
    elif state == STATE_DEGRADED:
        gate.set_stale(StopCause(source='policy', note=reason))
    else:
        gate.set_stale(StopCause(note='policy not configured'))
