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


"""The ``physical-ai`` command: a module per command group, assembled by :mod:`.main`.

Each command module (``bags``, ``replay``, ``params``, ``model``, ``sim``, ``learn``,
``suite``, ``iot``) declares its own parsers and handlers in a ``register`` function and
imports the heavy libraries inside its handlers, so ``--help`` and a refused argument stay
fast and work in a base install. ``main`` owns what every command shares: one-line errors,
exit codes (2 bad input, 1 a failed comparison or check, 128 + N a signal), signals and
scratch folders for libraries' caches.
"""

from __future__ import annotations

from physical_ai_ros.cli.main import build_parser, main

__all__ = ['build_parser', 'main']
