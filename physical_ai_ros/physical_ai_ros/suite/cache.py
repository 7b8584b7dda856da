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

"""Content-addressed case keys: what a case's outcome depends on, hashed.

A case's key is the sha256 of the bag's messages (topic, type, log time and bytes of each, in
log-time order: a re-recorded or re-compressed bag with the same messages is the same bag),
the params file, the model, the tolerances, the namespace and remaps, and the code that
replays it: a digest of the package's own source files and the versions of the libraries
whose results the outputs depend on (:func:`code_digest`), so a changed pipeline misses the
cache even where the version string stays. Same key, same outputs: the cached case is reused
instead of replayed. Its verdict
is reused too while the golden bag's messages are the ones it was judged against; after
``suite golden --update`` the cached outputs are compared again, not replayed.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
from pathlib import Path
import stat

from rosbags.highlevel import AnyReader

from physical_ai_ros.core.files import MAX_TEXT_BYTES
from physical_ai_ros.core.params.config_check import load_node_params
from physical_ai_ros.core.params.schema import resolve
from physical_ai_ros.policies.reference import SHIPPED
from physical_ai_ros.suite.spec import Case

_CHUNK = 1 << 20
#: the libraries whose numbers end up in a replay's outputs
OUTPUT_LIBRARIES = ('numpy', 'opencv-python-headless', 'onnxruntime', 'rosbags')
#: what in the package's folder is code or data the replay reads
_CODE_SUFFIXES = ('.py', '.onnx', '.html', '.msg', '.yaml')


def code_digest(root: Path | None = None) -> str:
    """sha256 of the package's files under ``root`` and of :data:`OUTPUT_LIBRARIES`' versions.

    ``root`` defaults to the installed package's folder; computed once per process for it.
    """
    if root is None:
        return _installed_code_digest()
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob('*') if p.suffix in _CODE_SUFFIXES and p.is_file()):
        if '__pycache__' in path.parts:
            continue
        digest.update(f'{path.relative_to(root).as_posix()}\0{file_digest(path)}\n'.encode())
    for library in OUTPUT_LIBRARIES:
        digest.update(f'{library}=={_version(library)}\n'.encode())
    return digest.hexdigest()


@functools.cache
def _installed_code_digest() -> str:
    # this file's package folder, not ``physical_ai_ros.__file__``: a Ray worker started in the
    # repository's root sees the ROS package's folder of the same name as a namespace package
    return code_digest(Path(__file__).resolve().parents[1])


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return 'absent'


def bag_digest(bag: Path) -> str:
    """sha256 of a bag's messages (not of its files: storage and chunking do not count).

    A bag that cannot be read is hashed by its files' bytes instead: its case still runs, and
    fails in its worker with the reader's own error and a log. So is one whose
    ``metadata.yaml`` is not a regular file of at most :data:`MAX_TEXT_BYTES` (a link to
    ``/dev/zero`` would be read without end).
    """
    digest = hashlib.sha256()
    try:
        metadata = (bag / 'metadata.yaml').stat()
        if not stat.S_ISREG(metadata.st_mode) or metadata.st_size > MAX_TEXT_BYTES:
            return _files_digest(bag)
    except OSError:
        pass  # no metadata.yaml: rosbags refuses it, or a cut-short MCAP the replay recovers
    try:
        with AnyReader([bag]) as reader:
            for connection, stamp, raw in reader.messages():
                digest.update(f'{connection.topic}\0{connection.msgtype}\0{stamp}\0'.encode())
                digest.update(len(raw).to_bytes(8, 'little'))
                digest.update(raw)
    except Exception:  # rosbags' reader errors, a truncated file: not ours to judge here
        return _files_digest(bag)
    return digest.hexdigest()


def _files_digest(bag: Path) -> str:
    """A bag that cannot be read, hashed by its regular files' names and bytes."""
    files = hashlib.sha256(b'unreadable bag\0')
    for path in sorted(p for p in bag.rglob('*') if p.is_file()):
        files.update(f'{path.relative_to(bag)}\0{file_digest(path)}\0'.encode())
    return files.hexdigest()


def file_digest(path: Path | None) -> str:
    """sha256 of a file's bytes ('' for none)."""
    if path is None:
        return ''
    digest = hashlib.sha256()
    with path.open('rb') as f:
        for block in iter(lambda: f.read(_CHUNK), b''):
            digest.update(block)
    return digest.hexdigest()


def model_of(case: Case) -> Path:
    """The ONNX file the case runs: its own, else the params file's, else the built-in one."""
    if case.model is not None:
        return case.model
    named = resolve('policy_node', load_node_params(case.params, 'policy_node'))['model_path']
    return Path(named) if named else SHIPPED


class Keys:
    """Case keys, each bag and file hashed once per run.

    With ``memo`` (a folder), a bag's digest is also kept there under the path, size,
    modification time and inode of each of its files, so an untouched bag is not read again
    run after run (as ccache and make trust a file's stat); any change to a file rehashes.
    """

    def __init__(
        self, tolerances: Path | None, memo: Path | None = None, code: str | None = None
    ) -> None:
        self._bags: dict[Path, str] = {}
        self._files: dict[Path, str] = {}
        self.tolerances = file_digest(tolerances)
        self.memo = memo
        self.code = code_digest() if code is None else code

    def bag(self, path: Path) -> str:
        """The digest of a bag's messages ('' when there is no bag there)."""
        path = path.resolve()
        if path not in self._bags:
            self._bags[path] = self._memoized(path) if path.is_dir() else ''
        return self._bags[path]

    def _memoized(self, path: Path) -> str:
        if self.memo is None:
            return bag_digest(path)
        stats = hashlib.sha256(str(path).encode())
        for file in sorted(p for p in path.rglob('*') if p.is_file()):
            info = file.stat()
            stats.update(f'{file}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ino}\n'.encode())
        memo = self.memo / f'{stats.hexdigest()}.sha256'
        try:
            return memo.read_text().strip()
        except OSError:
            digest = bag_digest(path)
            self.memo.mkdir(parents=True, exist_ok=True)
            staging = memo.with_name(f'.{memo.name}.{os.getpid()}')
            staging.write_text(digest)
            os.replace(staging, memo)  # whole or absent, whoever else writes it
            return digest

    def file(self, path: Path) -> str:
        """The digest of a file's bytes."""
        path = path.resolve()
        if path not in self._files:
            self._files[path] = file_digest(path)
        return self._files[path]

    def case(self, case: Case) -> str:
        """The key of ``case``'s outputs."""
        parts = [
            'physical_ai_ros', self.code, self.bag(case.bag), self.file(case.params),
            self.file(model_of(case)), self.tolerances, case.namespace, repr(case.remaps),
        ]  # fmt: skip
        return hashlib.sha256('\n'.join(parts).encode()).hexdigest()


__all__ = ['OUTPUT_LIBRARIES', 'Keys', 'bag_digest', 'code_digest', 'file_digest', 'model_of']
