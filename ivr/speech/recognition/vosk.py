"""Vosk (Kaldi) recognition: grammars for closed questions, free recognition for comments.

Facts from vosk-api 0.3.45 this relies on:
- A grammar is a JSON list of phrases. A word the model's vocabulary lacks is dropped from its phrase with a
  Kaldi warning on stderr only ("Ignoring word missing in vocabulary"), so a phrase can silently shrink; we
  drop unknown words ourselves and log them once. "[unk]" is kept only when the model knows it.
- Grammars need a model with a runtime graph (graph/HCLr.fst + Gr.fst); with a static HCLG.fst Vosk ignores
  the grammar, so we recognise freely and say so once.
- Vosk resamples only downwards by itself (allow_downsample is forced on); upsampling 8 kHz telephone audio
  to a 16 kHz model fails unless the model's mfcc.conf allows it. We therefore always hand Vosk audio at the
  model's own rate (`--sample-frequency` of its feature configuration, Kaldi's default 16000).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ivr.speech.audio import Audio, resample
from ivr.speech.recognition.base import (
    UNKNOWN_WORD,
    EngineUnavailable,
    ModelNotFound,
    RecognitionError,
    Transcript,
    grammar_phrases,
)
from ivr.speech.recognition.modeldirs import require_model

logger = logging.getLogger(__name__)

_KALDI_DEFAULT_RATE = 16000
_CHUNK_SAMPLES = 4000
_RECOGNIZER_CACHE = 32
_SAMPLE_FREQUENCY = re.compile(r"^\s*--sample-frequency\s*=\s*([0-9.]+)", re.MULTILINE)


def _import_vosk() -> Any:
    try:
        import vosk
    except ImportError as error:
        raise EngineUnavailable(
            "The vosk package is not installed; install the bot with its dependencies "
            "(pip install -e .) or `pip install vosk==0.3.45`."
        ) from error
    return vosk


def model_sample_rate(path: Path) -> int:
    """The sample rate the model's features expect, from its mfcc/fbank configuration."""
    for name in ("conf/mfcc.conf", "conf/fbank.conf", "mfcc.conf", "fbank.conf"):
        config = path / name
        if config.is_file():
            found = _SAMPLE_FREQUENCY.search(config.read_text(errors="replace"))
            return int(float(found.group(1))) if found else _KALDI_DEFAULT_RATE
    return _KALDI_DEFAULT_RATE


class VoskRecognizer:
    """One loaded Vosk model; `transcribe` is blocking and not thread-safe (one per process)."""

    def __init__(self, model_dir: Path, *, model_name: str | None = None) -> None:
        vosk = _import_vosk()
        self.model_dir = require_model(model_dir, "vosk", model_name or model_dir.name)
        vosk.SetLogLevel(-1)  # Kaldi logs every grammar and decoder setting to stderr otherwise
        try:
            self._model = vosk.Model(str(self.model_dir))
        except Exception as error:
            raise ModelNotFound(
                f"Vosk could not load the model in {self.model_dir} ({error}); the files may be damaged or "
                "from another engine: fetch it again "
                f"(`ivr models fetch {model_name or self.model_dir.name}`)."
            ) from error
        self._vosk = vosk
        self.sample_rate = model_sample_rate(self.model_dir)
        self.supports_grammar = any(
            (self.model_dir / name).is_file() for name in ("graph/HCLr.fst", "HCLr.fst")
        )
        self._known: dict[str, bool] = {}
        self._warned_words: set[str] = set()
        self._warned_static_graph = False
        self._recognizers: OrderedDict[str | None, Any] = OrderedDict()

    @property
    def name(self) -> str:
        return "vosk"

    def knows(self, word: str) -> bool:
        """True when the word is in the model's vocabulary."""
        if word not in self._known:
            self._known[word] = self._model.vosk_model_find_word(word) >= 0
        return self._known[word]

    def transcribe(self, audio: Audio, grammar: Sequence[str] | None = None) -> Transcript:
        started = time.perf_counter()
        recognizer = self._recognizer(self.grammar_json(grammar) if grammar else None)
        samples = resample(audio, self.sample_rate).samples.astype("<i2")
        words: list[dict[str, Any]] = []
        try:
            for offset in range(0, len(samples), _CHUNK_SAMPLES):
                if recognizer.AcceptWaveform(samples[offset : offset + _CHUNK_SAMPLES].tobytes()):
                    words += _words(recognizer.Result())
            words += _words(recognizer.FinalResult())
        except Exception as error:
            self._recognizers.clear()  # a recogniser in an unknown state is not reused
            raise RecognitionError(f"Vosk failed on {audio.duration_s:.1f} s of audio: {error}") from error
        heard = [word for word in words if word.get("word") and word["word"] != UNKNOWN_WORD]
        confidence = float(np.mean([float(word.get("conf", 0.0)) for word in heard])) if heard else 0.0
        return Transcript(
            text=" ".join(str(word["word"]) for word in heard),
            confidence=min(1.0, max(0.0, confidence)),
            engine=self.name,
            audio_s=audio.duration_s,
            decode_s=time.perf_counter() - started,
        )

    def grammar_json(self, grammar: Sequence[str]) -> str | None:
        """The grammar as Vosk takes it, restricted to words the model knows; None means recognise freely."""
        if not self.supports_grammar:
            if not self._warned_static_graph:
                logger.warning(
                    "The Vosk model in %s has a static graph (HCLG.fst): it cannot take grammars, so closed "
                    "questions are recognised freely (a small model with graph/HCLr.fst takes grammars)",
                    self.model_dir,
                )
                self._warned_static_graph = True
            return None
        phrases: list[str] = []
        unknown: list[str] = []
        for phrase in grammar_phrases(grammar):
            words = phrase.split()
            unknown += [word for word in words if not self.knows(word)]
            known = " ".join(word for word in words if self.knows(word))
            if known and known not in phrases:
                phrases.append(known)
        self._warn_unknown(unknown)
        if not phrases:
            return None
        if self.knows(UNKNOWN_WORD):
            phrases.append(UNKNOWN_WORD)
        return json.dumps(phrases, ensure_ascii=False)

    def _warn_unknown(self, words: list[str]) -> None:
        new = sorted(set(words) - self._warned_words)
        if not new:
            return
        self._warned_words.update(new)
        logger.warning(
            "The Vosk model in %s does not know %s: dropped from the grammar (callers saying them are heard "
            "as the nearest known words, or not at all); a grammar without any known word is recognised "
            "freely. "
            "Add other wordings to the dialog's option words, or use a model that knows them.",
            self.model_dir,
            ", ".join(repr(word) for word in new),
        )

    def _recognizer(self, grammar: str | None) -> Any:
        """A KaldiRecognizer for this grammar, reused across calls (FinalResult resets it)."""
        recognizer = self._recognizers.pop(grammar, None)
        if recognizer is None:
            if grammar is None:
                recognizer = self._vosk.KaldiRecognizer(self._model, float(self.sample_rate))
            else:
                recognizer = self._vosk.KaldiRecognizer(self._model, float(self.sample_rate), grammar)
            recognizer.SetWords(True)
        self._recognizers[grammar] = recognizer
        while len(self._recognizers) > _RECOGNIZER_CACHE:
            self._recognizers.popitem(last=False)
        return recognizer


def _words(result: str) -> list[dict[str, Any]]:
    parsed = json.loads(result)
    words = parsed.get("result", [])
    return [word for word in words if isinstance(word, dict)]
