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

"""ament_pep257 over the package, as `colcon test` runs it (skipped without ament)."""

import pytest

ament_pep257_main = pytest.importorskip('ament_pep257.main').main


@pytest.mark.linter
@pytest.mark.pep257
def test_pep257():
    # Google docstrings (as in core), with ament's own exemptions for missing docstrings
    missing = ['D100', 'D101', 'D102', 'D103', 'D104', 'D105', 'D106', 'D107']
    rc = ament_pep257_main(argv=['.', 'test', '--convention', 'google', '--add-ignore', *missing])
    assert rc == 0, 'Found code style errors / warnings'
