"""A directory both the bot and Asterisk see: prompts and recordings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SharedDir:
    """A directory both the bot and Asterisk see, possibly under different paths (e.g. two containers)."""

    local: Path
    on_asterisk: Path | None = None

    def for_asterisk(self, local_path: Path) -> str:
        if self.on_asterisk is None:
            return str(local_path)
        return str(self.on_asterisk / local_path.relative_to(self.local))
