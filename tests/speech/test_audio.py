from __future__ import annotations

import stat
import struct
from pathlib import Path

import numpy as np
import pytest

from ivr.speech.audio import (
    Audio,
    AudioFormatError,
    asterisk_file,
    convert_for_asterisk,
    decode_wav,
    is_asterisk_ready,
    read_wav,
    resample,
    write_wav_atomically,
)

from .fakes import dominant_frequency, pcm_wav, tone, write_tone_wav

SINE = tone(440.0, 0.05, 8000).astype(np.float64) / 32768.0


def test_44k_stereo_becomes_8k_mono_with_duration_and_pitch_kept(tmp_path: Path) -> None:
    source = write_tone_wav(tmp_path / "in.wav", rate=44100, channels=2, duration_s=1.234)

    written = convert_for_asterisk(source, tmp_path / "out")

    assert written == tmp_path / "out.wav"
    assert is_asterisk_ready(written)
    audio = read_wav(written)
    assert audio.rate == 8000
    assert audio.duration_s == pytest.approx(1.234, abs=0.003)
    assert dominant_frequency(audio) == pytest.approx(440.0, abs=2.0)


def test_wideband_target_writes_wav16(tmp_path: Path) -> None:
    source = write_tone_wav(tmp_path / "in.wav", rate=8000, channels=1, duration_s=0.5)

    written = convert_for_asterisk(source, tmp_path / "out", rate=16000)

    assert written.name == "out.wav16"
    assert is_asterisk_ready(written, rate=16000)
    assert not is_asterisk_ready(written)
    assert read_wav(written).duration_s == pytest.approx(0.5, abs=0.002)


@pytest.mark.parametrize(
    ("width", "tag", "extensible"),
    [(1, 1, False), (2, 1, False), (3, 1, False), (4, 1, False), (3, 1, True), (4, 3, False), (4, 3, True)],
)
def test_sample_encodings_decode_to_the_same_signal(width: int, tag: int, extensible: bool) -> None:
    audio = decode_wav(pcm_wav([SINE], 8000, width, tag=tag, extensible=extensible))

    expected = np.rint(SINE * 32768).astype(np.int64)
    tolerance = 260 if width == 1 else 1  # 8-bit keeps only 256 levels
    assert np.max(np.abs(audio.samples.astype(np.int64) - expected)) <= tolerance


def test_channels_are_mixed_down() -> None:
    cancelled = decode_wav(pcm_wav([SINE, -SINE], 8000, 2))
    doubled = decode_wav(pcm_wav([SINE, SINE, SINE], 8000, 2))

    assert np.max(np.abs(cancelled.samples)) <= 1
    assert np.max(np.abs(doubled.samples.astype(np.int64) - np.rint(SINE * 32768))) <= 1


def test_streaming_header_with_placeholder_sizes_is_read() -> None:
    data = bytearray(pcm_wav([SINE], 22050, 2))
    struct.pack_into("<I", data, 4, 0x7FFFF024)
    struct.pack_into("<I", data, 40, 0x7FFFF000)

    assert len(decode_wav(bytes(data)).samples) == len(SINE)


def test_exact_telephone_audio_survives_unchanged(tmp_path: Path) -> None:
    original = Audio(tone(300.0, 0.3, 8000), 8000)
    write_wav_atomically(tmp_path / "a.wav", original)

    convert_for_asterisk(tmp_path / "a.wav", tmp_path / "b")

    assert np.array_equal(read_wav(tmp_path / "b.wav").samples, original.samples)


def test_not_a_wav_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "prompt.wav"
    fake.write_bytes(b"ID3\x03\x00 this is an mp3")

    with pytest.raises(AudioFormatError, match=r"prompt\.wav: not a WAV file"):
        read_wav(fake)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AudioFormatError, match="cannot read the file"):
        read_wav(tmp_path / "nowhere.wav")


def test_compressed_wav_asks_for_pcm() -> None:
    with pytest.raises(AudioFormatError, match="export it as PCM"):
        decode_wav(pcm_wav([SINE], 8000, 2, tag=0x0055))


def test_wav_without_samples_is_an_error() -> None:
    with pytest.raises(AudioFormatError, match="no audio"):
        decode_wav(pcm_wav([SINE[:0]], 8000, 2))


def test_truncated_wav_is_an_error() -> None:
    with pytest.raises(AudioFormatError):
        decode_wav(pcm_wav([SINE], 8000, 2)[:30])


def test_resample_keeps_duration() -> None:
    audio = Audio(tone(440.0, 2.0, 22050), 22050)

    converted = resample(audio, 8000)

    assert converted.rate == 8000
    assert converted.duration_s == pytest.approx(2.0, abs=0.001)


def test_atomic_write_leaves_only_the_target_readable_by_others(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "x.wav"

    write_wav_atomically(target, Audio(tone(440.0, 0.1, 8000), 8000))

    assert [p.name for p in target.parent.iterdir()] == ["x.wav"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_asterisk_file_rejects_unknown_rate(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no WAV format at 11025"):
        asterisk_file(tmp_path / "x", 11025)


def test_audio_rejects_wrong_shape() -> None:
    with pytest.raises(ValueError, match="int16"):
        Audio(np.zeros((2, 2), dtype=np.int16), 8000)
