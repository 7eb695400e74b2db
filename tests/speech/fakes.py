"""Test engines and WAV builders for the speech tests."""

from __future__ import annotations

import struct
import threading
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ivr.speech.audio import Audio
from ivr.speech.tts import TtsEngine, TtsError


class ToneEngine:
    """Renders a tone whose length grows with the text; counts calls; can fail or dawdle on purpose."""

    def __init__(
        self,
        voice: str = "tone-a",
        *,
        name: str = "tone",
        fail_on: str | None = None,
        delay_s: float = 0.0,
    ) -> None:
        self._name = name
        self._voice = voice
        self._fail_on = fail_on
        self._delay_s = delay_s
        self._lock = threading.Lock()
        self.calls: list[str] = []

    @property
    def name(self) -> str:
        return self._name

    @property
    def voice(self) -> str:
        return self._voice

    def render(self, text: str) -> Audio:
        with self._lock:
            self.calls.append(text)
        if text == self._fail_on:
            raise TtsError(f"tone engine refuses {text!r}")
        time.sleep(self._delay_s)
        return Audio(tone(440.0, 0.1 + 0.01 * len(text), 16000), 16000)


class CountingEngine:
    """Wraps a real engine and counts how often it renders."""

    def __init__(self, inner: TtsEngine) -> None:
        self.inner = inner
        self.calls = 0

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def voice(self) -> str:
        return self.inner.voice

    def render(self, text: str) -> Audio:
        self.calls += 1
        return self.inner.render(text)


def tone(frequency: float, duration_s: float, rate: int, amplitude: float = 0.5) -> npt.NDArray[np.int16]:
    times = np.arange(round(duration_s * rate)) / rate
    return np.rint(amplitude * 32767 * np.sin(2 * np.pi * frequency * times)).astype(np.int16)


def pcm_wav(
    channels: list[npt.NDArray[np.float64]], rate: int, width: int, *, tag: int = 1, extensible: bool = False
) -> bytes:
    """WAV bytes from per-channel samples in [-1, 1]: integer PCM of `width` bytes, or float when tag=3."""
    interleaved = np.stack(channels, axis=1).reshape(-1)
    if tag == 3:
        data = interleaved.astype("<f4").tobytes()
    elif width == 1:
        data = np.clip(np.rint(interleaved * 127 + 128), 0, 255).astype(np.uint8).tobytes()
    else:
        full_scale = float(1 << (8 * width - 1))
        ints = np.clip(np.rint(interleaved * full_scale), -full_scale, full_scale - 1).astype(np.int64)
        data = b"".join(int(value).to_bytes(width, "little", signed=True) for value in ints)
    block = width * len(channels)
    fmt = struct.pack(
        "<HHIIHH", 0xFFFE if extensible else tag, len(channels), rate, rate * block, block, 8 * width
    )
    if extensible:
        guid_tail = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        fmt += struct.pack("<HHI", 22, 8 * width, 0) + struct.pack("<H", tag) + guid_tail
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def write_tone_wav(path: Path, *, rate: int, channels: int, duration_s: float, width: int = 2) -> Path:
    samples = tone(440.0, duration_s, rate).astype(np.float64) / 32768.0
    path.write_bytes(pcm_wav([samples] * channels, rate, width))
    return path


def dominant_frequency(audio: Audio) -> float:
    spectrum = np.abs(np.fft.rfft(audio.samples.astype(np.float64)))
    return float(np.fft.rfftfreq(len(audio.samples), 1 / audio.rate)[int(np.argmax(spectrum))])


def rms(audio: Audio) -> float:
    return float(np.sqrt(np.mean(audio.samples.astype(np.float64) ** 2)))
