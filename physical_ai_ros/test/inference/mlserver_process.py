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

"""Seldon's MLServer serving an ONNX model on loopback, in a process of its own.

Its protocol stubs and tritonclient's define one protobuf package, so MLServer is never
imported where the client runs; it is started with its own command line, serving the model
through :mod:`mlserver_onnx`. The interoperability test and ``bench/remote.py`` use it.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import importlib.util
import json
from pathlib import Path
import shutil
import socket
import subprocess
import sys
import tempfile


def available() -> bool:
    """Whether MLServer is installed (found, not imported)."""
    return importlib.util.find_spec('mlserver') is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def mlserver(model: Path, inputs: list[dict], outputs: list[dict]) -> Iterator[tuple[int, int]]:
    """Serve ``model`` as ``policy``; yields (gRPC port, HTTP port).

    Waiting for it is the caller's job (its first successful metadata call).
    """
    grpc_port, http_port, metrics = _free_port(), _free_port(), _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / 'policy').mkdir()
        shutil.copy(Path(__file__).with_name('mlserver_onnx.py'), folder / 'policy')
        (folder / 'settings.json').write_text(json.dumps({
            'http_port': http_port, 'grpc_port': grpc_port, 'metrics_port': metrics,
            'parallel_workers': 0, 'host': '127.0.0.1',
        }))  # fmt: skip
        (folder / 'policy' / 'model-settings.json').write_text(json.dumps({
            'name': 'policy', 'implementation': 'mlserver_onnx.OnnxRuntime',
            'parameters': {'uri': str(model)}, 'inputs': inputs, 'outputs': outputs,
        }))  # fmt: skip
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name('mlserver')), 'start', str(folder)],
            cwd=folder / 'policy', stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            yield grpc_port, http_port
        finally:
            proc.terminate()
            proc.wait(timeout=30)
