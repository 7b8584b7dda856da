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

"""ament_flake8 over the package, as `colcon test` runs it (skipped without ament)."""

from pathlib import Path

import pytest

main_with_errors = pytest.importorskip('ament_flake8.main').main_with_errors


@pytest.mark.flake8
@pytest.mark.linter
def test_flake8():
    config = Path(__file__).resolve().parents[1] / 'setup.cfg'  # ament's, plus our import names
    rc, errors = main_with_errors(argv=['--config', str(config)])
    assert rc == 0, f'Found {len(errors)} code style errors / warnings:\n' + '\n'.join(errors)
