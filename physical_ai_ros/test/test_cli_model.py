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

"""``physical-ai model``: make the reference policy, inspect it, refuse what does not fit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from physical_ai_ros.cli import main


def test_make_reference_then_inspect(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / 'reference.onnx'
    assert main(['model', 'make-reference', str(path)]) == 0
    assert main(['model', 'inspect', str(path), '--providers', 'cuda,cpu']) == 0
    out = capsys.readouterr().out
    assert 'grid             tensor(float)    [1, 1, 40, 40]' in out
    assert "action           -> cmd_vel          ['linear.x', 'angular.z']" in out
    assert 'CUDAExecutionProvider is not available' in out
    assert 'contract fits the model' in out


def test_inspect_refuses_mismatched_contract_and_bad_pin(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / 'reference.onnx'
    main(['model', 'make-reference', str(path)])
    contract = {
        'inputs': [
            {'tensor': 'grid', 'source': 'grid', 'layers': ['occupancy'], 'size': [64, 64]}
        ],
        'output': {'tensor': 'action', 'command': 'cmd_vel', 'fields': ['linear.x', 'angular.z']},
    }
    (tmp_path / 'c.yaml').write_text(yaml.safe_dump(contract))
    assert main(['model', 'inspect', str(path), '--contract', str(tmp_path / 'c.yaml')]) == 2
    err = capsys.readouterr().err
    assert "input 'grid': model expects shape [1, 1, 40, 40], contract gives [1, 1, 64, 64]" in err
    assert main(['model', 'inspect', str(path), '--sha256', '0' * 64]) == 2
    assert 'does not match the pinned' in capsys.readouterr().err
