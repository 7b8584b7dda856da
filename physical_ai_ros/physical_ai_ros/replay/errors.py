"""Typed errors of the offline bag tools."""

from __future__ import annotations

from pathlib import Path

from physical_ai_ros.core.errors import PhysicalAiError


class BagError(PhysicalAiError):
    """A bag cannot be opened or read."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f'{path}: {reason}')
