"""Reads recorded Asterisk transcripts (agi-*.txt): headers, the environment block and every line both ways.

Format: `HH:MM:SS.mmm << line` came from Asterisk, `>> line` from the FastAGI server (the bot), `## ...` is a
note; a `## raw: b'...'` note gives the exact bytes of the line before it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from ivr.sim.trace import Sender

_STAMPED = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d\d\d) (<<|>>|##)(?: (.*))?$")
_HEADER = re.compile(r"^# ([a-z][a-z ]*?): (.*)$|^# (\S+) (.*)$")
_RAW = "raw: "


class TranscriptError(ValueError):
    """A transcript line that does not follow the format."""


@dataclass(frozen=True)
class Exchange:
    sender: Sender
    line: bytes
    """The exact bytes, without the "\\n"."""
    at: float
    """Seconds since midnight, from the line's time stamp."""


@dataclass(frozen=True)
class Note:
    text: str
    at: float | None
    """Seconds since midnight, or None for the unstamped notes at the end (Asterisk's own log)."""
    after: int
    """How many exchanges (environment lines included) came before it."""


@dataclass
class Transcript:
    path: Path
    headers: dict[str, str] = field(default_factory=dict)
    lines: list[Exchange] = field(default_factory=list)
    """Every line both ways in order, the environment block first."""
    notes: list[Note] = field(default_factory=list)

    @property
    def environment_lines(self) -> list[bytes]:
        """The environment block as sent, ending with its empty line."""
        block: list[bytes] = []
        for exchange in self.lines:
            if exchange.sender != "asterisk":
                break
            block.append(exchange.line)
            if not exchange.line:
                break
        return block

    @property
    def environment(self) -> list[tuple[str, str]]:
        pairs = []
        for line in self.environment_lines[:-1]:
            key, _, value = line.decode("utf-8").partition(": ")
            pairs.append((key, value))
        return pairs

    @property
    def exchanges(self) -> list[Exchange]:
        """The lines after the environment block."""
        return self.lines[len(self.environment_lines) :]

    def turns(self) -> list[tuple[Exchange, list[Exchange]]]:
        """Each line the bot sent with the Asterisk lines that followed it (reply, usage text, HANGUP)."""
        turns: list[tuple[Exchange, list[Exchange]]] = []
        for exchange in self.exchanges:
            if exchange.sender == "bot":
                turns.append((exchange, []))
            elif turns:
                turns[-1][1].append(exchange)
        return turns


def parse_transcript(path: str | Path) -> Transcript:
    transcript = Transcript(Path(path))
    for number, text in enumerate(transcript.path.read_text(encoding="utf-8").split("\n"), start=1):
        try:
            _parse_line(transcript, text)
        except (ValueError, SyntaxError) as error:
            raise TranscriptError(f"{transcript.path}:{number}: {error}") from error
    return transcript


def _parse_line(transcript: Transcript, text: str) -> None:
    if not text:
        return
    stamped = _STAMPED.match(text)
    if stamped is None:
        _parse_unstamped(transcript, text)
        return
    hours, minutes, seconds, millis, marker, content = stamped.groups()
    at = int(hours) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000
    content = content or ""
    if marker == "##":
        _parse_note(transcript, content, at)
    else:
        sender: Sender = "asterisk" if marker == "<<" else "bot"
        transcript.lines.append(Exchange(sender, content.encode("utf-8"), at))


def _parse_note(transcript: Transcript, content: str, at: float) -> None:
    if not content.startswith(_RAW):
        transcript.notes.append(Note(content, at, len(transcript.lines)))
        return
    if not transcript.lines:
        raise ValueError("a raw note before any line")
    raw = ast.literal_eval(content[len(_RAW) :])
    if not isinstance(raw, bytes):
        raise ValueError(f"a raw note must hold bytes, got {content!r}")
    previous = transcript.lines[-1]
    transcript.lines[-1] = Exchange(previous.sender, raw.removesuffix(b"\n"), previous.at)


def _parse_unstamped(transcript: Transcript, text: str) -> None:
    if text.startswith("##"):
        transcript.notes.append(Note(text[2:].strip(), None, len(transcript.lines)))
        return
    header = _HEADER.match(text)
    if header is None:
        raise ValueError(f"not a transcript line: {text!r}")
    key, value = (header.group(1), header.group(2)) if header.group(1) else (header.group(3), header.group(4))
    transcript.headers[key] = value
