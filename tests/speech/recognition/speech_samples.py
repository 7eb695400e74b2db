"""Test speech: espeak-ng at 8 kHz as Asterisk records it, silence, and WAV files of them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from ivr.speech.audio import TELEPHONE_RATE, Audio, decode_wav, resample, write_wav_atomically


def spoken(text: str, voice: str = "sv") -> Audio:
    """espeak-ng saying `text`, as Asterisk records it: 8 kHz 16-bit mono."""
    result = subprocess.run(
        ["espeak-ng", "-v", voice, "--stdout", text], capture_output=True, check=True, timeout=30
    )
    return resample(decode_wav(result.stdout), TELEPHONE_RATE)


def silence(seconds: float = 2.0) -> Audio:
    return Audio(np.zeros(int(seconds * TELEPHONE_RATE), dtype=np.int16), TELEPHONE_RATE)


def wav_file(directory: Path, name: str, audio: Audio) -> Path:
    path = directory / f"{name}.wav"
    write_wav_atomically(path, audio)
    return path
