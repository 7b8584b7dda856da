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

"""The robot's edge node session: bdSeq per session, seq per message, births when needed."""

from __future__ import annotations

import pytest

from physical_ai_ros.core.messages.sparkplug import (
    _payload_class,
    death_bd_seq,
    encode_rebirth,
)
from physical_ai_ros.core.messages.sparkplug_edge import EdgeNode, is_rebirth_command

pytest.importorskip('google.protobuf', reason='protobuf is not installed')


def parsed(payload: bytes) -> object:
    message = _payload_class()()
    message.ParseFromString(payload)
    return message


def test_seq_wraps_at_255_and_each_session_counts_bdseq_up() -> None:
    node = EdgeNode('plant1', 'robot7')
    death = node.new_session(1)
    assert death_bd_seq(death) == 0
    topic, birth = node.update({'Count': 0}, 2)
    assert topic == 'spBv1.0/plant1/NBIRTH/robot7' and parsed(birth).seq == 0
    seqs = []
    for k in range(1, 300):
        topic, data = node.update({'Count': k}, 2 + k)  # type: ignore[misc]
        assert topic.endswith('/NDATA/robot7')
        seqs.append(parsed(data).seq)
    assert seqs[:3] == [1, 2, 3] and seqs[254:257] == [255, 0, 1]
    assert death_bd_seq(node.new_session(400)) == 1  # the next session (a reconnect)


def test_a_new_metric_or_a_changed_type_is_a_new_birth_negatives_as_tahu_sends_them() -> None:
    node = EdgeNode('plant1', 'robot7')
    node.new_session(0)
    node.update({'A': 1}, 1)
    assert node.update({'A': 1}, 2) is None  # nothing changed
    assert node.update({'A': 1, 'B': True}, 3)[0].endswith('/NBIRTH/robot7')  # type: ignore[index]
    assert node.update({'A': 'one', 'B': True}, 4)[0].endswith('/NBIRTH/robot7')  # type: ignore[index]
    assert node.update({'A': 'one', 'B': False}, 5)[0].endswith('/NDATA/robot7')  # type: ignore[index]
    node.update({'N': -5}, 6)
    _, birth = node.rebirth(7)
    metric = next(m for m in parsed(birth).metrics if m.name == 'N')  # type: ignore[attr-defined]
    assert metric.datatype == 4 and metric.long_value == 2**64 - 5  # Int64 -5, two's complement


def test_only_a_true_rebirth_metric_is_a_rebirth_command() -> None:
    assert is_rebirth_command(encode_rebirth(5))
    assert not is_rebirth_command(b'\xff\xff garbage')
    with pytest.raises(ValueError, match='one topic level'):
        EdgeNode('plant/1', 'robot7')
