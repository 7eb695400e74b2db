"""Caller audio: loading the caller's WAV files, made-up speech, 20 ms frames, and writing recordings."""

from __future__ import annotations

import os
import wave
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ivr.sim.sounds import SAMPLE_RATE

Samples = npt.NDArray[np.int16]

FRAME_SAMPLES = 160
"""One 20 ms voice frame at 8 kHz."""
SILENCE_THRESHOLD = 256
"""dsp.conf's default silencethreshold: a frame whose mean absolute sample is below it is silence."""
RECORDING_FORMATS = {"wav": "wav", "sln": "sln", "raw": "sln"}
"""RECORD FILE format names the simulator writes, and the file extension each one gets."""

EMPTY: Samples = np.zeros(0, dtype=np.int16)


@dataclass(frozen=True)
class Frame:
    """A voice frame as the channel delivers it: arrival time (seconds), samples, whether it is silence."""

    arrives_at: float
    samples: Samples
    silent: bool

    @property
    def milliseconds(self) -> int:
        return len(self.samples) // (SAMPLE_RATE // 1000)


def load_caller_wav(path: str | Path) -> Samples:
    """A caller's WAV file as 8 kHz 16-bit mono samples (other rates are resampled, stereo is mixed down)."""
    resolved = Path(path)
    try:
        status = os.stat(resolved)
    except OSError as error:
        raise ValueError(f"caller audio {resolved}: cannot read the file ({error.strerror})") from error
    return _load_wav_cached(resolved, status.st_mtime_ns)


@lru_cache(maxsize=64)
def _load_wav_cached(path: Path, _mtime_ns: int) -> Samples:
    try:
        with wave.open(str(path), "rb") as wav:
            width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as error:
        raise ValueError(f"caller audio {path}: not a PCM WAV file ({error})") from error
    if width != 2:
        raise ValueError(f"caller audio {path}: needs 16-bit samples, the file has {8 * width}-bit")
    samples: Samples = np.frombuffer(raw, dtype="<i2").astype(np.int16)
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1).astype(np.int16)
    if rate != SAMPLE_RATE:
        samples = _resample(samples, rate)
    samples.setflags(write=False)
    return samples


def _resample(samples: Samples, rate: int) -> Samples:
    import soxr  # only needed for WAV files that are not 8 kHz

    resampled = np.asarray(soxr.resample(samples.astype(np.float32), rate, SAMPLE_RATE), dtype=np.float32)
    result: Samples = np.clip(np.round(resampled), -32768, 32767).astype(np.int16)
    return result


def synthetic_speech(seconds: float, seed_text: str = "") -> Samples:
    """Deterministic speech-like noise (syllable-rate amplitude modulation) for a caller with no WAV file."""
    return _synthetic_speech(max(0, round(seconds * SAMPLE_RATE)), seed_text)


@lru_cache(maxsize=256)
def _synthetic_speech(count: int, seed_text: str) -> Samples:
    generator = np.random.default_rng(zlib.crc32(seed_text.encode("utf-8")))
    noise = generator.normal(0.0, 1.0, count)
    # Syllable-rate (4 Hz) modulation that never dips below the silence threshold, so only real pauses count.
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 4.0 * np.arange(count) / SAMPLE_RATE)
    speech: Samples = np.clip(noise * envelope * 3000.0, -32768, 32767).astype(np.int16)
    speech.setflags(write=False)
    return speech


def silence(samples: int) -> Samples:
    return np.zeros(max(0, samples), dtype=np.int16)


def is_silent(samples: Samples) -> bool:
    """Asterisk's silence test for one frame: integer mean of absolute values below the threshold."""
    if len(samples) == 0:
        return False
    return int(np.abs(samples.astype(np.int32)).sum()) // len(samples) < SILENCE_THRESHOLD


def frames_of(samples: Samples, starts_at: float) -> list[Frame]:
    """Cut a stretch of audio into 20 ms frames (the last one may be short), each with its arrival time."""
    whole = len(samples) // FRAME_SAMPLES * FRAME_SAMPLES
    levels = np.abs(samples[:whole].astype(np.int32)).reshape(-1, FRAME_SAMPLES).sum(axis=1) // FRAME_SAMPLES
    silent = [bool(level < SILENCE_THRESHOLD) for level in levels]
    if whole < len(samples):
        silent.append(is_silent(samples[whole:]))
    frames = []
    for index, first in enumerate(range(0, len(samples), FRAME_SAMPLES)):
        chunk = samples[first : first + FRAME_SAMPLES]
        frames.append(Frame(starts_at + (first + len(chunk)) / SAMPLE_RATE, chunk, silent[index]))
    return frames


def write_recording(path: Path, extension: str, samples: Samples) -> None:
    """Write a finished recording: a 44-byte-header WAV (8 kHz 16-bit mono) or raw signed linear."""
    if extension == "wav":
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(SAMPLE_RATE)
            wav.writeframes(samples.astype("<i2").tobytes())
    else:
        path.write_bytes(samples.astype("<i2").tobytes())


def read_recording(path: Path, extension: str) -> Samples:
    """An existing recording's samples (for RECORD FILE with an offset), or nothing if it cannot be read."""
    try:
        if extension == "wav":
            with wave.open(str(path), "rb") as wav:
                return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.int16)
        return np.frombuffer(path.read_bytes(), dtype="<i2").astype(np.int16)
    except (OSError, wave.Error, EOFError, ValueError):
        return EMPTY
