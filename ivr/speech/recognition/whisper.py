"""faster-whisper (CTranslate2) recognition: stronger on free comments, CPU with int8 weights.

Whisper has no hard grammar. faster-whisper 1.2 takes two kinds of text context: `initial_prompt` (the first
30 s window only) and `hotwords` (every window, placed before the start-of-transcript tokens, ignored when a
`prefix` is given). With a grammar we first decode freely: when that gives one of the phrases exactly, it
stands (a hint cannot do better, and on short answers the hint makes Whisper echo the other options: "ja"
became "ja nej nej" with espeak-ng audio and Whisper base). Otherwise we decode again with the phrases as
`hotwords`, which brings multi-word options out right ("vilket är det" -> "mycket nöjd"). The answer matcher
downstream still picks the option; Vosk with a real grammar is the default answer engine.

Silence: Silero VAD (shipped inside faster-whisper) removes non-speech first, so silence costs almost nothing
and gives "". Whisper's own no-speech skip is off: on narrow-band and synthetic speech it drops real speech
(no_speech_prob ~0.6), and the VAD already did that job; the no-speech probability still lowers the
confidence.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ivr.speech.audio import WIDEBAND_RATE, Audio, resample
from ivr.speech.recognition.base import (
    EngineUnavailable,
    ModelNotFound,
    RecognitionError,
    Transcript,
    clean_words,
    grammar_phrases,
)
from ivr.speech.recognition.modeldirs import require_model

_HOTWORD_CHARS = 400  # keep the hint well inside Whisper's 224-token prompt half
# Greedy/beam first, one sampled retry when the output looks broken (faster-whisper's default is six
# temperatures, which can make a one-second answer take ten seconds on a busy CPU).
_TEMPERATURES = (0.0, 0.5)


def _import_faster_whisper() -> Any:
    try:
        import faster_whisper
    except ImportError as error:
        raise EngineUnavailable(
            "The faster-whisper package is not installed; install the bot with its dependencies "
            "(pip install -e .) or `pip install faster-whisper`."
        ) from error
    return faster_whisper


class WhisperRecognizer:
    """One loaded Whisper model (CTranslate2 directory); `transcribe` is blocking."""

    def __init__(
        self,
        model_dir: Path,
        *,
        model_name: str | None = None,
        language: str = "sv",
        cpu_threads: int = 0,
        beam_size: int = 5,
    ) -> None:
        faster_whisper = _import_faster_whisper()
        self.model_dir = require_model(model_dir, "faster-whisper", model_name or model_dir.name)
        self.language = language
        self.beam_size = beam_size
        try:
            self._model = faster_whisper.WhisperModel(
                str(self.model_dir),
                device="cpu",
                compute_type="int8",
                cpu_threads=cpu_threads,
                local_files_only=True,  # never reach for a model hub at run time
            )
        except Exception as error:
            raise ModelNotFound(
                f"faster-whisper could not load the model in {self.model_dir} ({error}); it must be a "
                f"CTranslate2 conversion (model.bin, config.json, tokenizer.json, vocabulary.*): fetch it "
                f"again (`ivr models fetch {model_name or self.model_dir.name}`)."
            ) from error

    @property
    def name(self) -> str:
        return "faster-whisper"

    def transcribe(self, audio: Audio, grammar: Sequence[str] | None = None) -> Transcript:
        started = time.perf_counter()
        samples = resample(audio, WIDEBAND_RATE).samples.astype(np.float32) / 32768.0
        phrases = grammar_phrases(grammar) if grammar else []
        text, confidence = self._decode(samples, audio, None)
        if phrases and text and text not in phrases:
            # Not one of the phrases as heard freely: decode again with the phrases as hotwords.
            text, confidence = self._decode(samples, audio, " ".join(phrases)[:_HOTWORD_CHARS])
        return Transcript(
            text=text,
            confidence=confidence,
            engine=self.name,
            audio_s=audio.duration_s,
            decode_s=time.perf_counter() - started,
        )

    def _decode(
        self, samples: npt.NDArray[np.float32], audio: Audio, hotwords: str | None
    ) -> tuple[str, float]:
        try:
            segments, _info = self._model.transcribe(
                samples,
                language=self.language,
                beam_size=self.beam_size,
                condition_on_previous_text=False,
                temperature=_TEMPERATURES,
                vad_filter=True,
                no_speech_threshold=None,
                hotwords=hotwords,
            )
            heard = list(segments)  # decoding happens while the generator is consumed
        except Exception as error:
            raise RecognitionError(
                f"faster-whisper failed on {audio.duration_s:.1f} s of audio: {error}"
            ) from error
        text = clean_words(" ".join(segment.text for segment in heard))
        return text, _confidence(heard) if text else 0.0


def _confidence(segments: list[Any]) -> float:
    """Duration-weighted mean of exp(avg_logprob) × (1 − no_speech_prob) over the segments."""
    weights = [max(float(segment.end) - float(segment.start), 0.01) for segment in segments]
    scores = [
        math.exp(min(0.0, float(segment.avg_logprob))) * (1.0 - float(segment.no_speech_prob))
        for segment in segments
    ]
    return min(1.0, max(0.0, sum(w * s for w, s in zip(weights, scores, strict=True)) / sum(weights)))
