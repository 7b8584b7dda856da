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

"""Stamps and integer nanoseconds."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
import pytest

from physical_ai_ros.core.errors import StampError
from physical_ai_ros.core.messages.stamps import (
    make_header,
    ns_to_sec_nanosec,
    ns_to_stamp,
    stamp_to_ns,
)


@given(st.integers(-(2**31) * 10**9, (2**31 - 1) * 10**9 + 999_999_999))
def test_property_ns_roundtrips_through_stamps(ns: int) -> None:
    sec, nanosec = ns_to_sec_nanosec(ns)
    assert 0 <= nanosec < 10**9
    assert stamp_to_ns(SimpleNamespace(sec=sec, nanosec=nanosec)) == ns


def test_stamp_messages_roundtrip(types: Any) -> None:
    stamp = ns_to_stamp(1_604_515_190_231_374_463, types)
    assert (stamp.sec, stamp.nanosec) == (1_604_515_190, 231_374_463)
    header = make_header(-1, 'map', types)  # one nanosecond before the epoch
    assert (header.stamp.sec, header.stamp.nanosec, header.frame_id) == (-1, 999_999_999, 'map')
    assert stamp_to_ns(header.stamp) == -1


@pytest.mark.parametrize(
    ('stamp', 'match'),
    [
        (
            SimpleNamespace(sec=1, nanosec=10**9),
            r'nanosec=1000000000: must be in \[0, 999999999\]',
        ),
        (SimpleNamespace(sec=1, nanosec=-1), r'nanosec=-1'),
        (SimpleNamespace(sec='x', nanosec=0), r'must be integers'),
    ],
)
def test_bad_stamps_are_refused(stamp: Any, match: str) -> None:
    with pytest.raises(StampError, match=match):
        stamp_to_ns(stamp)


def test_time_past_int32_seconds_is_refused() -> None:
    with pytest.raises(StampError, match='does not fit in int32'):
        ns_to_sec_nanosec(2**31 * 10**9)
