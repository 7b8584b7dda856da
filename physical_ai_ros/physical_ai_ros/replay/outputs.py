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


"""What the offline tools may write and replace: nothing the user did not ask to lose.

A replay's output bag, a golden baseline and a simulated episode's bag are rosbag2 folders
(``metadata.yaml`` beside ``.mcap`` or ``.db3`` files). The tools replace such a folder only
when asked (``--force``, ``--update-golden``), never anything else, never a folder that holds
or lies inside the input, and a new golden takes the old one's place by renames, so that one
of them is always whole on disk.
"""

from __future__ import annotations

import os
from pathlib import Path
import shutil

from physical_ai_ros.replay.errors import OutputError

#: Files a rosbag2 folder written by these tools holds.
BAG_SUFFIXES = ('.mcap', '.db3', '.db3-shm', '.db3-wal')


def is_bag_folder(path: Path) -> bool:
    """Whether ``path`` is a rosbag2 folder and nothing else (what the tools write)."""
    if not path.is_dir() or not (path / 'metadata.yaml').is_file():
        return False
    return all(
        p.is_file() and (p.name == 'metadata.yaml' or p.name.endswith(BAG_SUFFIXES))
        for p in path.iterdir()
    )


def _overlaps(a: Path, b: Path) -> bool:
    a, b = a.resolve(), b.resolve()
    return a == b or a in b.parents or b in a.parents


def prepare_bag_output(target: Path, inputs: tuple[Path, ...], *, force: bool) -> None:
    """Make room for a new bag folder at ``target``, or refuse.

    Raises:
        OutputError: ``target`` holds or lies inside an input; it exists and ``force`` was not
            given; or it exists and is not a bag folder (then not even ``force`` replaces it).
    """
    for source in inputs:
        if _overlaps(target, source):
            raise OutputError(target, f'overlaps the input {source}; choose another --out')
    if not target.exists() and not target.is_symlink():
        return
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
        return
    if not is_bag_folder(target):
        raise OutputError(target, 'exists and is not a bag these tools wrote; not replaced')
    if not force:
        raise OutputError(target, 'exists; --force replaces it')
    shutil.rmtree(target)


def replace_golden(new_bag: Path, golden: Path) -> None:
    """Put a copy of ``new_bag`` at ``golden``, swapping the old baseline out by renames.

    Raises:
        OutputError: ``golden`` exists and is not a bag folder (it is left as it is).
    """
    if golden.exists() and not is_bag_folder(golden):
        raise OutputError(golden, 'exists and is not a golden bag; not replaced')
    staging = golden.with_name(f'.{golden.name}.new-{os.getpid()}')
    retired = golden.with_name(f'.{golden.name}.old-{os.getpid()}')
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(new_bag, staging)
    if golden.exists():
        os.rename(golden, retired)
    os.rename(staging, golden)
    shutil.rmtree(retired, ignore_errors=True)
