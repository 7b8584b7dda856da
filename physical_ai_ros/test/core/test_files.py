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

"""Hostile files are refused with bounded work: devices, huge files, YAML bombs, non-UTF-8."""

from __future__ import annotations

from pathlib import Path

import pytest

from physical_ai_ros.core.errors import ContractError, ModelError
from physical_ai_ros.core.params.config_check import check_params_file, check_params_text
from physical_ai_ros.core.policy.contract import PolicyContract
from physical_ai_ros.core.policy.runtime import PolicyModel

#: nine levels of ten aliases each: a billion leaves if expanded
BOMB = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n' + ''.join(
    f'a{k}: &a{k} [{", ".join([f"*a{k - 1}"] * 10)}]\n' for k in range(1, 10)
)


def test_a_device_is_not_a_model() -> None:
    with pytest.raises(ModelError, match='not a regular file'):
        PolicyModel.load('/dev/zero')


def test_a_folder_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match='not a regular file'):
        PolicyModel.load(tmp_path)


def test_a_yaml_bomb_is_refused_as_params_and_as_contract() -> None:
    (problem,) = check_params_text(BOMB)
    assert 'more than 100000 YAML nodes' in problem.allowed
    with pytest.raises(ContractError, match='more than 100000 YAML nodes'):
        PolicyContract.from_yaml(BOMB)


def test_a_huge_params_file_is_refused_without_parsing(tmp_path: Path) -> None:
    path = tmp_path / 'huge.yaml'
    path.write_bytes(b'# ' + b'x' * (5 * 1024**2) + b'\n')
    (problem,) = check_params_file(path)
    assert problem.name == '<file>' and 'more than the 4194304 allowed' in problem.allowed


def test_a_params_file_that_is_not_utf8_gets_one_line(tmp_path: Path) -> None:
    path = tmp_path / 'latin1.yaml'
    path.write_bytes(
        'perception_node:\n  ros__parameters: {base_frame: caf\xe9}\n'.encode('latin-1')
    )
    (problem,) = check_params_file(path)
    assert 'not UTF-8 text' in problem.allowed and problem.format(str(path)).count('\n') == 0


def test_merge_keys_and_small_aliases_still_work() -> None:
    text = (
        'common: &common {lidar: {timeout_s: 0.4}}\n'
        'perception_node:\n  ros__parameters:\n    <<: *common\n    base_frame: base_link\n'
    )
    problems = check_params_text(text)
    assert not any(p.name in ('<yaml>', '<file>') for p in problems)  # read, not refused


@pytest.mark.parametrize(
    ('text', 'line', 'problem'),
    [
        ('safety_node:\n  ros__parameters:\n    rate_hz: !!python/object:os.system [1]\n', 3,
         "not valid YAML: could not determine a constructor for the tag 'tag:yaml.org,2002:"
         "python/object:os.system'"),
        ('safety_node:\n  ros__parameters:\n    max_velocity: [1, 2\n   x: 3\n', 4,
         "not valid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence "
         'started at line 3)'),
    ],
)  # fmt: skip
def test_a_yaml_error_is_one_line_with_file_and_line(
    tmp_path: Path, text: str, line: int, problem: str
) -> None:
    path = tmp_path / 'params.yaml'
    path.write_text(text)
    (found,) = check_params_file(path)
    assert found.format(str(path)) == f'{path}:{line}: {problem}'
    with pytest.raises(ContractError) as refused:
        PolicyContract.from_yaml(text)
    assert '\n' not in str(refused.value) and f'line {line}' in str(refused.value)


def test_a_bag_whose_metadata_is_a_device_is_refused_and_hashed_with_bounded_work(
    tmp_path: Path,
) -> None:
    from physical_ai_ros.replay.baginfo import storage_of
    from physical_ai_ros.replay.errors import BagError
    from physical_ai_ros.suite.cache import bag_digest

    bag = tmp_path / 'bag'
    bag.mkdir()
    (bag / 'metadata.yaml').symlink_to('/dev/zero')
    (bag / 'bag_0.mcap').write_bytes(b'\x89MCAP0\r\n')
    with pytest.raises(BagError, match='not a regular file'):
        storage_of(bag)
    assert len(bag_digest(bag)) == 64  # by its files, the device skipped: returns at once
