"""RECORD FILE on a phone line that carries silence frames when the caller is quiet (the default caller)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from ivr.sim.audio import synthetic_speech
from ivr.sim.caller import Caller, Press, Speak
from ivr.sim.sounds import SoundLibrary

from .scripted_bot import ScriptedBot, call, replies


def _write_wav(path: Path, samples: np.ndarray, rate: int = 8000) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes())
    return path


def _samples(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")


async def test_silence_ends_a_recording_and_one_second_of_it_is_kept(tmp_path: Path) -> None:
    # 0.5 s of line silence, 1 s of speech, then silence: 2020 ms of it is detected, 1000 ms kept.
    _, trace = await call(
        ScriptedBot(['RECORD FILE comment wav "#" 10000 s=2']),
        Caller([Speak(seconds=1.0, after=0.5)]),
        sounds=SoundLibrary([tmp_path]),
    )

    assert trace.replies == ["200 result=6480 (timeout) endpos=20160"]
    [recording] = trace.recordings
    assert (recording.path, recording.ended_by) == (tmp_path / "comment.wav", "silence")
    recorded = _samples(recording.path)
    assert len(recorded) == 20160
    assert not recorded[:4000].any()
    assert np.array_equal(recorded[4000:12000], synthetic_speech(1.0))
    assert not recorded[12000:].any()


async def test_the_callers_wav_is_what_gets_recorded(tmp_path: Path) -> None:
    speech = synthetic_speech(1.5, "x")
    wav = _write_wav(tmp_path / "in.wav", speech)
    _, trace = await call(
        ScriptedBot([f'RECORD FILE {tmp_path}/out wav "#" 10000']), Caller([Speak(wav, after=0.0, end="#")])
    )

    assert trace.replies == [f"200 result=35 (dtmf) endpos={len(speech) - 1600}"]
    assert np.array_equal(_samples(tmp_path / "out.wav"), speech[:-1600])


async def test_a_16_khz_wav_is_resampled(tmp_path: Path) -> None:
    wav = _write_wav(tmp_path / "wide.wav", synthetic_speech(2.0, "wide"), rate=16000)
    _, trace = await call(
        ScriptedBot([f'RECORD FILE {tmp_path}/out wav "#" 10000']), Caller([Speak(wav, after=0.0, end="#")])
    )

    assert trace.replies == ["200 result=35 (dtmf) endpos=6400"]


async def test_a_key_that_is_not_an_escape_digit_does_not_stop_it(tmp_path: Path) -> None:
    received = await replies(
        [f'RECORD FILE {tmp_path}/r wav "*" 2000'], Caller([Speak(seconds=0.5, after=0.0, end="#")])
    )

    # the '#' tone (100 ms) carries no frames: 2 s - 0.1 s = 1.9 s recorded
    assert received == ["200 result=0 (timeout) endpos=15200"]


async def test_a_key_during_the_beep_is_a_random_error(tmp_path: Path) -> None:
    received = await replies(
        [f'RECORD FILE {tmp_path}/r wav "#" 2000 0 BEEP'], Caller([Press("#", barge_in=True, after=0.1)])
    )

    assert received == ["200 result=35 (randomerror) endpos=0"]
    assert not (tmp_path / "r.wav").exists()


async def test_offset_keeps_the_start_of_an_existing_recording(tmp_path: Path) -> None:
    commands = [f'RECORD FILE {tmp_path}/r wav "#" 1000', f'RECORD FILE {tmp_path}/r wav "#" 1000 4000']
    received = await replies(commands, Caller([Speak(seconds=2.0, after=0.0), Speak(seconds=2.0, after=0.0)]))

    assert received == ["200 result=0 (timeout) endpos=8000", "200 result=0 (timeout) endpos=12000"]
    assert len(_samples(tmp_path / "r.wav")) == 12000


async def test_missing_directory_or_unknown_format_cannot_be_written(tmp_path: Path) -> None:
    commands = [
        f'RECORD FILE {tmp_path}/missing/r wav "#" 1000',
        f'RECORD FILE {tmp_path}/r mp3 "#" 1000',
        'RECORD FILE relative wav "#" 1000',
        f'RECORD FILE {tmp_path}/missing/r wav "#" 1000 0 BEEP',
        f'RECORD FILE {tmp_path}/r sln "#" 1000',
    ]
    received = await replies(commands)

    assert received[:4] == ["200 result=-1 (writefile)"] * 4
    assert received[4] == "200 result=0 (timeout) endpos=8000"
    assert (tmp_path / "r.sln").stat().st_size == 16000
    assert not (tmp_path / "missing").exists()


async def test_no_time_limit_is_ended_by_silence(tmp_path: Path) -> None:
    received = await replies(
        [f'RECORD FILE {tmp_path}/r wav "#" -1 s=1'], Caller([Speak(seconds=1.0, after=0.0)])
    )

    # 1 s of speech, 1020 ms of silence detected, none of it cut (1 s - 1 s); ast_waitfor's 100 s slice.
    assert received == ["200 result=99980 (timeout) endpos=16160"]
