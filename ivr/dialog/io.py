"""The small call-I/O interface the dialog engine runs over, and the shape of one answer.

The engine knows nothing of sockets or Asterisk: an app adapts a live channel to `CallIO`; tests use a fake.
Keypad input comes back as `RawInput(mode="dtmf")`; speech strategies return `RawInput(mode="speech")` through
the same `ask` call, so the engine interprets both the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

AnswerStatus = Literal["match", "nomatch", "noinput", "hangup"]
InputMode = Literal["dtmf", "speech"]
RecordingEnd = Literal["dtmf", "silence", "timeout", "hangup", "error"]  # error: Asterisk could not write it


class CallerHungUp(Exception):
    """The caller hung up; raised by a `CallIO` from any call."""


@dataclass(frozen=True)
class Prompt:
    """Something to say: the Swedish text, and optionally an operator's own recording that wins over TTS."""

    text: str
    audio: Path | None = None
    name: str = ""  # where it comes from, e.g. "q1.prompt", for logs and `ivr dialogs check`


@dataclass(frozen=True)
class InputSpec:
    """What the engine expects from the caller for one question."""

    max_digits: int
    timeout_s: float
    phrases: tuple[str, ...] = ()  # words a speech recogniser may expect (its grammar)
    speech: bool = False  # the caller may also answer by voice (keys always work)


@dataclass(frozen=True)
class RawInput:
    """What the caller did: keys pressed (without the ending '#') or words heard; empty when nothing came."""

    mode: InputMode
    utterance: str
    confidence: float = 1.0


@dataclass(frozen=True)
class Recording:
    path: Path
    duration_s: float
    ended_by: RecordingEnd


@dataclass(frozen=True)
class Answer:
    """One answer: Adhearsion's shape (status, mode, utterance, interpretation as `value`, confidence)."""

    status: AnswerStatus
    mode: InputMode
    utterance: str
    value: str | None
    confidence: float
    score: int | None = None  # the numeric reading: scale and number values, ja=1 / nej=0; None otherwise
    attempts: int = 1


class CallIO(Protocol):
    async def play(self, prompt: Prompt) -> None:
        """Play a prompt to the end (no barge-in)."""

    async def ask(self, prompt: Prompt, spec: InputSpec) -> RawInput:
        """Play the prompt and collect input; a key pressed during the prompt interrupts it and counts."""

    async def record(
        self,
        prompt: Prompt,
        *,
        name: str,
        max_s: float,
        silence_s: float,
        end_keys: str = "#",
        beep: bool = True,
    ) -> Recording:
        """Play the prompt, then record the caller until an end key, silence, the time limit or a hang-up.

        A hang-up during the recording returns a Recording with ended_by="hangup" (the file is kept);
        it does not raise.
        """

    async def hangup(self) -> None: ...
