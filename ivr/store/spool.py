"""The spool: operations the database could not take, kept as JSON lines until a later start replays them.

Files are written to a temporary name, synced, then renamed, so a replay never sees half a file; a temporary
file left by a crash is replayed too (its last line may be cut, and then goes to a `corrupt-*` file).
Lines that cannot be parsed and operations the database refuses are never dropped: they are kept in
`corrupt-*.jsonl` and `rejected-*.jsonl` files next to the spool for a person to look at.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from ivr.store.operations import Operation, operation_from_json, operation_to_json

log = logging.getLogger(__name__)

SPOOL_PATTERNS = ("spool-*.jsonl", "spool-*.jsonl.tmp")


def _stamped_name(prefix: str) -> str:
    return f"{prefix}-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"


def _write_synced(path: Path, lines: Iterable[str]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as file:
        for line in lines:
            file.write(line + "\n")
        file.flush()
        os.fsync(file.fileno())
    temporary.replace(path)
    _sync_dir(path.parent)


def _sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_spool(spool_dir: Path, operations: Sequence[Operation]) -> Path:
    """Write the operations, in order, to a new spool file and return its path."""
    spool_dir.mkdir(parents=True, exist_ok=True)
    path = spool_dir / _stamped_name("spool")
    _write_synced(path, (operation_to_json(operation) for operation in operations))
    return path


def write_rejected(spool_dir: Path, operation: Operation, error: str) -> Path:
    """Keep an operation the database refused (e.g. a constraint it breaks), with the reason."""
    spool_dir.mkdir(parents=True, exist_ok=True)
    path = spool_dir / _stamped_name("rejected")
    record = {"error": error, "operation": json.loads(operation_to_json(operation))}
    _write_synced(path, [json.dumps(record, ensure_ascii=False)])
    return path


@dataclass
class SpoolContents:
    """What `read_spool` found: the operations in order, and the files they came from."""

    operations: list[Operation] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    corrupt_lines: int = 0


def read_spool(spool_dir: Path) -> SpoolContents:
    """Read every spool file, oldest first; damaged lines are moved to a `corrupt-*.jsonl` file."""
    contents = SpoolContents()
    if not spool_dir.is_dir():
        return contents
    paths = sorted({path for pattern in SPOOL_PATTERNS for path in spool_dir.glob(pattern)}, key=_spool_order)
    corrupt: list[str] = []
    for path in paths:
        contents.files.append(path)
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                contents.operations.append(operation_from_json(line))
            except ValidationError as error:
                log.error("spool %s:%d: cannot read the operation (%s); kept aside", path, number, error)
                corrupt.append(line)
    if corrupt:
        kept = spool_dir / _stamped_name("corrupt")
        _write_synced(kept, corrupt)
        contents.corrupt_lines = len(corrupt)
        log.error("%d damaged spool lines kept in %s", len(corrupt), kept)
    return contents


def _spool_order(path: Path) -> str:
    return path.name.removesuffix(".tmp")


def remove_files(paths: Iterable[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):  # another process replayed it first
            path.unlink()
