"""The operator documents under `dialogs/`: survey dialogs, and `inbound.yaml` read as the queue settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from ivr.dialog.registry import DialogRegistry
from ivr.queueing.config import InboundConfig

OPERATOR_DOCUMENTS: dict[str, type[BaseModel]] = {"inbound": InboundConfig}


def operator_registry(root: Path) -> DialogRegistry:
    return DialogRegistry(root, documents=OPERATOR_DOCUMENTS)
