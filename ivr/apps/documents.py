"""The operator documents under `dialogs/`: survey dialogs, `inbound.yaml` read as the queue settings and
`outbound.yaml` as the outbound survey's rules."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from ivr.dialog.registry import DialogRegistry
from ivr.outbound.config import OutboundSurveyConfig
from ivr.queueing.config import InboundConfig

OPERATOR_DOCUMENTS: dict[str, type[BaseModel]] = {"inbound": InboundConfig, "outbound": OutboundSurveyConfig}


def operator_registry(root: Path) -> DialogRegistry:
    return DialogRegistry(root, documents=OPERATOR_DOCUMENTS)
