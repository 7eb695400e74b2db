"""SoundLibrary: Asterisk's lookup order, file formats and the known core sounds."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import pytest

from ivr.sim.sounds import SoundLibrary


def _length(sounds: SoundLibrary, name: str, language: str = "en") -> int | None:
    sound = sounds.find(name, language)
    return sound.samples if sound else None


def _wav(path: Path, frames: int, rate: int = 8000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\0\0" * frames)
    return path


def test_core_sounds_known_from_the_recordings() -> None:
    sounds = SoundLibrary()
    assert [_length(sounds, name) for name in ("beep", "hello-world", "silence/3")] == [
        3404,
        11234,
        24000,
    ]
    assert _length(sounds, "vm-intro", "sv") == 45200
    assert sounds.find("nosuchfile-xyz") is None
    assert SoundLibrary(core_sounds=False).find("beep") is None


def test_language_order_is_preferred_dialect_language_none_then_en(tmp_path: Path) -> None:
    _wav(tmp_path / "en" / "q1.wav", 800)
    sounds = SoundLibrary([tmp_path])
    assert _length(sounds, "q1", "sv_SE") == 800
    _wav(tmp_path / "q1.wav", 700)
    assert _length(sounds, "q1", "sv_SE") == 700
    _wav(tmp_path / "sv" / "q1.wav", 600)
    assert _length(sounds, "q1", "sv_SE") == 600
    _wav(tmp_path / "sv_SE" / "q1.wav", 500)
    assert _length(sounds, "q1", "sv_SE") == 500
    assert _length(sounds, "q1", "en") == 800


def test_absolute_names_formats_and_rates(tmp_path: Path) -> None:
    _wav(tmp_path / "prompts" / "wide.wav", 16000, rate=16000)
    (tmp_path / "prompts" / "raw.sln").write_bytes(b"\0\0" * 100)
    (tmp_path / "prompts" / "law.ulaw").write_bytes(b"\0" * 100)
    (tmp_path / "prompts" / "old.gsm").write_bytes(b"\0" * 66)
    (tmp_path / "prompts" / "broken.wav").write_bytes(b"not a wav")
    sounds = SoundLibrary()
    base = f"{tmp_path}/prompts"
    assert _length(sounds, f"{base}/wide") == 8000
    assert [_length(sounds, f"{base}/{name}") for name in ("raw", "law", "old")] == [100, 100, 320]
    assert sounds.find(f"{base}/broken") is None
    assert sounds.find(f"{base}/wide.wav") is None


def test_a_rewritten_file_is_measured_again(tmp_path: Path) -> None:
    path = _wav(tmp_path / "p.wav", 100)
    sounds = SoundLibrary([tmp_path])
    assert _length(sounds, "p") == 100
    _wav(path, 300)
    os.utime(path, ns=(0, 10**18))
    assert _length(sounds, "p") == 300


def test_add_makes_a_sound_known_by_length() -> None:
    sounds = SoundLibrary()
    sounds.add("custom/welcome", 16000)
    assert _length(sounds, "custom/welcome", "sv") == 16000
    with pytest.raises(ValueError, match="negative"):
        sounds.add("x", -1)
