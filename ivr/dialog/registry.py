"""The dialogs the server offers: `<root>/<tenant>/<purpose>.yaml`, falling back to `<root>/default/`.

A file that breaks never replaces the last good version of it: the problems are logged and returned, and the
old dialog is served until the file is fixed. New good files are picked up; deleted files are dropped.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from ivr.dialog.io import Prompt
from ivr.dialog.loader import DIALOG_SUFFIXES, Problem, read_document
from ivr.dialog.model import SLUG_PATTERN, Dialog

log = logging.getLogger(__name__)

DEFAULT_TENANT = "default"
DIALOG_SUFFIX = ".yaml"
M = TypeVar("M", bound=BaseModel)
Document = Dialog | BaseModel


@runtime_checkable
class HasPrompts(Protocol):
    def prompts(self) -> list[Prompt]: ...


class InvalidNameError(ValueError):
    """A tenant or purpose name from the outside that is not a slug."""


class DialogNotFoundError(KeyError):
    """No dialog for this purpose, neither the tenant's own nor the default."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "dialog not found"


def check_name(kind: str, name: str) -> str:
    """Return `name` if it is a slug (lowercase a-z, digits, '_' or '-'); raise InvalidNameError otherwise."""
    if not re.fullmatch(SLUG_PATTERN, name):
        raise InvalidNameError(f"invalid {kind} name {name!r}: use lowercase a-z, digits, '_' or '-'")
    return name


class DialogRegistry:
    """Dialogs, and other operator documents whose purpose names a model of their own (`documents`), e.g.
    `{"inbound": InboundConfig}` for `dialogs/<tenant>/inbound.yaml`; both keep their last good version."""

    def __init__(self, root: Path, *, documents: Mapping[str, type[BaseModel]] | None = None) -> None:
        self.root = root
        self._models = dict(documents or {})
        self._dialogs: dict[tuple[str, str], Document] = {}  # (tenant, purpose) -> the last good version
        self._lock = threading.Lock()  # reload() may run from a thread (watch) and from a signal handler

    def load(self) -> list[Problem]:
        """Load every dialog under the root; the problems found (errors and warnings)."""
        return self.reload()

    def reload(self) -> list[Problem]:
        """Read the files again; broken files keep their last good version. Returns the problems found.

        Only a summary is logged here: the caller logs (or prints) the problems it gets back.
        """
        with self._lock:
            dialogs, problems = self._read_all()
            for key in sorted(self._dialogs.keys() - dialogs.keys()):
                if (self.root / key[0] / f"{key[1]}{DIALOG_SUFFIX}").exists():
                    dialogs[key] = self._dialogs[key]
                    log.warning("keeping the last good version of dialog %s/%s", *key)
                else:
                    log.info("dialog %s/%s was removed", *key)
            self._dialogs = dialogs
        errors = sum(1 for problem in problems if problem.severity == "error")
        log.info(
            "%d dialogs loaded from %s; %d errors, %d warnings",
            len(dialogs),
            self.root,
            errors,
            len(problems) - errors,
        )
        return problems

    def get(self, purpose: str, tenant: str = DEFAULT_TENANT) -> Dialog:
        """The tenant's own dialog for `purpose`, else the default; DialogNotFoundError if neither exists."""
        return self.document(purpose, tenant, Dialog)

    def document(self, purpose: str, tenant: str, model: type[M]) -> M:
        """The tenant's own document for `purpose`, else the default's; DialogNotFoundError if none."""
        check_name("purpose", purpose)
        check_name("tenant", tenant)
        dialogs = self._dialogs
        found = dialogs.get((tenant, purpose)) or dialogs.get((DEFAULT_TENANT, purpose))
        if not isinstance(found, model):
            raise DialogNotFoundError(
                f"no {'dialog' if model is Dialog else model.__name__} for purpose {purpose!r}: "
                f"neither {tenant}/{purpose}{DIALOG_SUFFIX} "
                f"nor {DEFAULT_TENANT}/{purpose}{DIALOG_SUFFIX} under {self.root}"
            )
        return found

    def documents(self, purpose: str, model: type[M]) -> dict[str, M]:
        """Every tenant's own document for `purpose` (the default's under "default")."""
        return {
            tenant: found
            for (tenant, kind), found in sorted(self._dialogs.items())
            if kind == purpose and isinstance(found, model)
        }

    def prompts(self) -> list[Prompt]:
        """Every prompt any dialog or document can say, for the prompt builder."""
        sources = [found for found in self._dialogs.values() if isinstance(found, HasPrompts)]
        return [prompt for source in sources for prompt in source.prompts()]

    def available(self) -> list[tuple[str, str]]:
        """The (tenant, purpose) pairs currently served."""
        return sorted(self._dialogs)

    def all(self) -> list[Dialog]:
        """Every dialog currently served, in (tenant, purpose) order."""
        dialogs = self._dialogs
        return [found for key in sorted(dialogs) if isinstance(found := dialogs[key], Dialog)]

    async def watch(self, stop_event: asyncio.Event, *, debounce_ms: int = 400) -> None:
        """Reload whenever files under the root change, until `stop_event` is set."""
        from watchfiles import awatch

        if not self.root.is_dir():
            log.error("cannot watch %s: the dialogs directory does not exist", self.root)
            return
        async for changes in awatch(self.root, stop_event=stop_event, debounce=debounce_ms):
            log.info("dialog files changed (%d); reloading", len(changes))
            for problem in await asyncio.to_thread(self.reload):
                (log.error if problem.severity == "error" else log.warning)("%s", problem)

    def _read_all(self) -> tuple[dict[tuple[str, str], Document], list[Problem]]:
        dialogs: dict[tuple[str, str], Document] = {}
        problems: list[Problem] = []
        if not self.root.is_dir():
            return dialogs, [Problem(self.root, 1, 1, "the dialogs directory does not exist")]
        for path in sorted(file for file in self.root.rglob("*") if file.suffix in DIALOG_SUFFIXES):
            tenant, layout_problem = self._tenant_of(path)
            if layout_problem is not None:
                problems.append(layout_problem)
                continue
            document, found = read_document(path, self._models)
            problems.extend(found)
            if document is not None and tenant is not None:
                dialogs[(tenant, path.stem)] = (
                    document  # a dialog's purpose is its file name (the loader checks)
                )
        return dialogs, problems

    def _tenant_of(self, path: Path) -> tuple[str | None, Problem | None]:
        relative = path.relative_to(self.root)
        if len(relative.parts) != 2 or path.suffix != DIALOG_SUFFIX:
            message = f"ignored: dialogs live in <tenant>/<purpose>{DIALOG_SUFFIX} under {self.root}"
            return None, Problem(path, 1, 1, message, "warning")
        tenant = relative.parts[0]
        try:
            return check_name("tenant", tenant), None
        except InvalidNameError as error:
            return None, Problem(path, 1, 1, f"{error}; this directory is ignored")
