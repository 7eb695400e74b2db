"""A recogniser with scripted results, for the tests of spoken answers over the simulator."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ivr.speech.audio import read_wav
from ivr.speech.recognition.base import RecognitionError, Transcript


@dataclass
class ScriptedRecognizer:
    """Returns the scripted texts (with their confidence, or `confidence`) in order; checks it is only ever
    given audio that is not silent."""

    texts: list[str | tuple[str, float]]
    confidence: float = 0.8
    fail: bool = False
    seen: list[tuple[Path, tuple[str, ...] | None]] = field(default_factory=list)

    async def recognize(self, wav: Path, grammar: Sequence[str] | None = None) -> Transcript:
        audio = read_wav(wav)
        assert audio.rate == 8000
        assert abs(audio.samples.astype(int)).max() > 256, "silent takes must not reach the recogniser"
        self.seen.append((wav, tuple(grammar) if grammar is not None else None))
        if self.fail:
            raise RecognitionError("the engine fell over")
        scripted = self.texts.pop(0)
        text, confidence = scripted if isinstance(scripted, tuple) else (scripted, self.confidence)
        return Transcript(text, confidence, "scripted", audio.duration_s, 0.01)
