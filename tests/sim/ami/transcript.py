"""Reads a recorded AMI transcript (tests/fixtures/asterisk-transcripts/ami-*.txt) into what each connection
sent and received, with times in seconds from the first line and the epoch Asterisk printed then."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ivr.sim.ami.wire import Field, parse_header

TRANSCRIPTS = Path(__file__).resolve().parents[2] / "fixtures" / "asterisk-transcripts"
BANNER_TEXT = "Asterisk Call Manager/9.0.0"
_LINE = re.compile(
    r"^(?P<time>\d\d:\d\d:\d\d\.\d{3}) (?:\[(?P<conn>c\d+)\] )?(?P<dir><<|>>|##) ?(?P<text>.*)$"
)

Kind = Literal["connect", "send", "close"]


@dataclass(frozen=True)
class ClientStep:
    at: float
    connection: str
    kind: Kind
    fields: tuple[Field, ...] = ()


@dataclass
class Transcript:
    name: str
    epoch_at_start: float
    steps: list[ClientStep] = field(default_factory=list)
    received: dict[str, list[tuple[Field, ...]]] = field(default_factory=dict)
    """What Asterisk wrote on each connection: the banner as (("Banner", text),), then messages."""
    closed_by_asterisk: set[str] = field(default_factory=set)

    @property
    def duration(self) -> float:
        return self.steps[-1].at if self.steps else 0.0


def _seconds(clock: str) -> float:
    hours, minutes, seconds = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def load_transcript(name: str) -> Transcript:
    path = next(TRANSCRIPTS.glob(f"{name}*.txt"))
    start: float | None = None
    epoch_offset: float | None = None
    transcript = Transcript(name, 0.0)
    pending: dict[tuple[str, str], list[Field]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        wall = _seconds(match["time"])
        start = wall if start is None else start
        at = round(wall - start, 3)
        connection, direction, text = match["conn"] or "", match["dir"], match["text"]
        if direction == "##":
            _note(transcript, connection, at, text)
            continue
        if direction == "<<" and text == BANNER_TEXT:
            transcript.received.setdefault(connection, []).append((("Banner", text),))
            continue
        lines = pending.setdefault((connection, direction), [])
        if text:
            header = parse_header(text)
            if header is not None:
                lines.append(header)
                if header[0] == "Timestamp" and epoch_offset is None:
                    epoch_offset = round(float(header[1]) - wall)
            continue
        if not lines:
            continue
        message = tuple(lines)
        lines.clear()
        if direction == ">>":
            transcript.steps.append(ClientStep(at, connection, "send", message))
        else:
            transcript.received.setdefault(connection, []).append(message)
    assert start is not None, f"{path.name}: empty"
    assert epoch_offset is not None, f"{path.name}: no timestamps"
    transcript.epoch_at_start = epoch_offset + start
    return transcript


def _note(transcript: Transcript, connection: str, at: float, text: str) -> None:
    if text.startswith("TCP connected"):
        transcript.steps.append(ClientStep(at, connection, "connect"))
    elif text.startswith("EOF: connection closed by Asterisk"):
        transcript.closed_by_asterisk.add(connection)
    elif text.startswith(("client closes", "client drops")):
        transcript.steps.append(ClientStep(at, connection, "close"))
