"""Paths and small helpers shared by the NLU tests."""

from __future__ import annotations

import socket
from pathlib import Path

from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[2]
NLU_DATA = REPO / "nlu" / "data"
HELD_OUT = REPO / "nlu" / "tests" / "held_out.yml"


def cli_runner() -> CliRunner:
    """A runner that keeps standard error apart (click 8.2 always does; 8.1 needs to be asked)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg,unused-ignore]
    except TypeError:
        return CliRunner()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
