"""What every speech recogniser returns, the errors it raises, and the async face the apps call.

A recogniser turns telephone audio into words. Closed questions pass a grammar (the phrases that may be said,
plus "[unk]" for anything else); free comments pass none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ivr.speech.audio import Audio

UNKNOWN_WORD = "[unk]"
"""Vosk's word for speech outside the grammar; kept out of transcripts."""

_NOT_WORD = re.compile(r"[^\w\s'-]+")


def clean_words(text: str) -> str:
    """Lower-case words separated by single spaces, without punctuation ("Ja, nej." -> "ja nej")."""
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


def grammar_phrases(grammar: Sequence[str]) -> list[str]:
    """The grammar's phrases cleaned, without duplicates or "[unk]", in their order."""
    phrases = (clean_words(phrase) for phrase in grammar if phrase.strip() != UNKNOWN_WORD)
    return list(dict.fromkeys(phrase for phrase in phrases if phrase))


class RecognitionError(RuntimeError):
    """Recognition failed; the message says what went wrong and what to do."""


class ModelNotFound(RecognitionError):
    """The model directory is missing or incomplete; the message names the path and how to get the model."""


class EngineUnavailable(RecognitionError):
    """The engine's Python package is not installed."""


@dataclass(frozen=True)
class Transcript:
    """What was heard: lower-case words separated by single spaces ("" when nothing was)."""

    text: str
    confidence: float  # 0..1
    engine: str  # e.g. "vosk", "faster-whisper"
    audio_s: float = 0.0  # length of the audio recognised
    decode_s: float = 0.0  # time spent recognising it


class Recognizer(Protocol):
    """A loaded engine in one process; blocking. `transcribe` must accept any sample rate."""

    @property
    def name(self) -> str: ...

    def transcribe(self, audio: Audio, grammar: Sequence[str] | None = None) -> Transcript: ...


class AnswerRecognizer(Protocol):
    """The async face the call path uses: recognition runs off the event loop."""

    async def recognize(self, wav: Path, grammar: Sequence[str] | None = None) -> Transcript:
        """Recognise a recorded answer (a WAV file the bot can read), constrained by `grammar` when given."""
        ...
