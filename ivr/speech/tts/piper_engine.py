"""The piper engine: local neural speech (package `piper-tts`), offline and natural, from a voice file.

A piper voice is two files: `<name>.onnx` (the network) and `<name>.onnx.json` (its settings). The Swedish one
is sv_SE-nst-medium, from the piper voices on Hugging Face (rhasspy/piper-voices, folder sv/sv_SE/nst/medium).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from ivr.speech.audio import Audio
from ivr.speech.tts.engine import TtsError, TtsUnavailable

if TYPE_CHECKING:
    from piper import PiperVoice

DEFAULT_VOICE = "sv_SE-nst-medium"
VOICE_SOURCE = "Hugging Face, rhasspy/piper-voices, folder sv/sv_SE/nst/medium"
_MODEL_SUFFIX = ".onnx"


class SpeechChunk(Protocol):
    """What piper's `PiperVoice.synthesize` yields, one per sentence (piper.AudioChunk)."""

    @property
    def sample_rate(self) -> int: ...

    @property
    def sample_channels(self) -> int: ...

    @property
    def audio_int16_array(self) -> npt.NDArray[np.int16]: ...


class PiperEngine:
    """Speaks with a piper voice: `voice` is a path to the .onnx file, or a name looked up in `models_dir`
    (`<models_dir>/<name>.onnx`, or `<models_dir>/<name>/<name>.onnx`). The voice is loaded at the first
    render, once; the cache key uses the voice's name, so a name and a path to the same file agree.
    """

    def __init__(self, voice: str = DEFAULT_VOICE, *, models_dir: Path = Path("models")) -> None:
        if not voice.strip():
            raise ValueError("piper voice must not be empty")
        self._candidates = _voice_files(voice, models_dir)
        self._name = self._candidates[0].name.removesuffix(_MODEL_SUFFIX)
        self._models_dir = models_dir
        self._loaded: PiperVoice | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return "piper"

    @property
    def voice(self) -> str:
        return self._name

    def model_path(self) -> Path:
        """The voice's .onnx file: the first candidate that exists, else where it is expected."""
        return next((path for path in self._candidates if path.is_file()), self._candidates[0])

    def render(self, text: str) -> Audio:
        if not text.strip():
            raise TtsError("piper: nothing to say (empty text)")
        voice = self.load()
        try:
            chunks = list(voice.synthesize(text))
        except Exception as error:  # onnxruntime and the phonemizer raise their own kinds
            raise TtsError(f"piper failed with voice {self._name!r}: {error}") from error
        return audio_from_chunks(chunks, what=f"piper voice {self._name!r} for {text[:40]!r}")

    def load(self) -> PiperVoice:
        """Load the voice now (else at the first render), once; raises TtsError saying what to do."""
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> PiperVoice:
        try:
            from piper import PiperVoice
        except ImportError as error:
            raise TtsUnavailable(
                "the piper engine needs the piper-tts package; install it with `pip install 'ivr[voices]'`"
            ) from error
        model = self.model_path()
        config = model.with_name(model.name + ".json")
        if not model.is_file():
            raise TtsUnavailable(
                f"piper voice {self._name!r} not found: no file {model}. A piper voice is two files, "
                f"{self._name}.onnx and {self._name}.onnx.json; get them (the Swedish voice {DEFAULT_VOICE} "
                f"from {VOICE_SOURCE}) and put both in {self._models_dir}, or pass --voice PATH/TO/VOICE.onnx"
            )
        if not config.is_file():
            raise TtsUnavailable(
                f"piper voice {model} has no settings file {config} next to it; "
                f"download {config.name} from the same place as {model.name}"
            )
        try:
            return PiperVoice.load(model, config_path=config)
        except Exception as error:  # a broken JSON or network file: onnxruntime's own exception kinds
            raise TtsUnavailable(f"piper could not load the voice {model}: {error}") from error


def audio_from_chunks(chunks: Iterable[SpeechChunk], *, what: str) -> Audio:
    """Join piper's per-sentence chunks into one mono Audio; raises TtsError when there is nothing to join."""
    parts: list[npt.NDArray[np.int16]] = []
    rate: int | None = None
    for chunk in chunks:
        if chunk.sample_channels != 1:
            raise TtsError(f"{what}: expected mono audio, got {chunk.sample_channels} channels")
        if rate is not None and chunk.sample_rate != rate:
            raise TtsError(f"{what}: sentences came at different sample rates ({rate}, {chunk.sample_rate})")
        rate = chunk.sample_rate
        parts.append(np.asarray(chunk.audio_int16_array, dtype=np.int16).reshape(-1))
    if rate is None or not any(len(part) for part in parts):
        raise TtsError(f"{what}: no audio (nothing in the text the voice can pronounce)")
    return Audio(np.concatenate(parts), rate)


def _voice_files(voice: str, models_dir: Path) -> tuple[Path, ...]:
    """Where the voice's .onnx file may be: the path itself, or by name under the models directory."""
    given = Path(voice).expanduser()
    if given.suffix == _MODEL_SUFFIX or len(given.parts) > 1:
        return (given if given.suffix == _MODEL_SUFFIX else given.with_name(given.name + _MODEL_SUFFIX),)
    return (models_dir / f"{voice}{_MODEL_SUFFIX}", models_dir / voice / f"{voice}{_MODEL_SUFFIX}")
