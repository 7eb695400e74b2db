"""Every recorded transcript, replayed against the simulator: its replies must equal Asterisk's byte for byte.

The scripted callers reproduce what the recording's caller half did (its header and `## t=` notes). Where an
endpos depends on when a key arrived or the caller hung up, the caller's timing is scripted so that the
simulator's model (a stopped playback counts the 20 ms frame under way) gives the recorded value exactly;
those timings lie within a few milliseconds of the DTMF times in Asterisk's log. No tolerance is used.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from ivr.sim.audio import load_caller_wav
from ivr.sim.caller import Caller, HangUp, Press, Silence, Speak

from .replay_server import TRANSCRIPTS, mismatches, replay, transcript

RECORDINGS = TRANSCRIPTS / "recordings"
SPEECH_WAV = RECORDINGS / "r5f.wav"
"""3 s of the caller half's speech as Asterisk received it (23978 samples)."""

CALLERS: dict[str, Caller] = {
    # '1' (not an escape digit) at 1.40 s is ignored; '5' stops vm-intro at 2.66 s, in frame 133 -> 21280.
    # '#' at 1.33 s stops it in frame 67 -> endpos 10720.
    "agi-01": Caller(
        [Press("15", barge_in=True, after=1.3, interval=1.26), Press("#", barge_in=True, after=1.23)]
    ),
    "agi-02": Caller(),
    "agi-03": Caller([Press("123#", after=0.35), Press("456"), Silence(), Press("78", after=1.2)]),
    # '2' at 1.71 s during vm-intro -> frame 86 -> endpos 13760; '9' during GET OPTION's wait; '*'; hang-up.
    "agi-04": Caller(
        [
            Press("2", barge_in=True, after=1.61),
            Silence(),
            Press("9", after=1.2),
            Silence(),
            Press("*", after=1.5),
            HangUp(after=3.27),
        ]
    ),
    "agi-06": Caller([Press("#", barge_in=True, after=1.1), Press("*", barge_in=True, after=1.5)]),
    "agi-07": Caller(),
    "agi-08": Caller(),
    # The caller hangs up 2.01 s into vm-intro, in frame 101 -> endpos 16160.
    "agi-09": Caller([HangUp(during_prompt=True, after=2.01)]),
    "agi-10": Caller(),
    "agi-11": Caller(),
}


@pytest.mark.parametrize("name", sorted(CALLERS))
async def test_replies_equal_the_recording(name: str) -> None:
    replayed, trace = await replay(transcript(name), CALLERS[name])

    assert mismatches(replayed) == [], trace.describe()
    assert replayed.extra == b""
    assert trace.bot_closed
    assert trace.failures == []


@pytest.mark.parametrize("name", sorted(CALLERS))
async def test_environment_block_matches_the_recording(name: str) -> None:
    recorded = transcript(name)
    replayed, _ = await replay(recorded, CALLERS[name])

    assert len(replayed.environment) == len(recorded.environment_lines)
    for sent, expected in zip(replayed.environment, recorded.environment_lines, strict=True):
        key = expected.split(b":")[0]
        assert sent.split(b":")[0] == key
        if key not in (b"agi_request", b"agi_threadid"):
            assert sent == expected
    assert replayed.environment[-1] == b""


def _wav_samples(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")


def _silence_wav(tmp_path: Path, name: str, samples: np.ndarray) -> Path:
    path = tmp_path / f"{name}.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(samples.astype("<i2").tobytes())
    return path


async def test_record_file_replies_and_files_equal_the_recording(tmp_path: Path) -> None:
    """agi-05 on a caller line that, like the recorded Local channel, carries no frames while idle."""
    spool = tmp_path / "spool"
    (spool / "recording").mkdir(parents=True)
    speech = load_caller_wav(SPEECH_WAV)
    silence_then_speech = _silence_wav(tmp_path, "r5d", np.concatenate([np.zeros(31338, np.int16), speech]))
    caller = Caller(
        [
            # r5a: 23978 samples, '#' -> 200 ms cut -> 22378
            Speak(SPEECH_WAV, after=0.495, end="#"),
            # r5b: 2020 ms of silence detected, 1 s of it kept; result = 15000 - 5845 ms
            Speak(SPEECH_WAV, after=0.8275, end="silence"),
            # r5c: 3 s of digital silence, cut by the 3000 ms timeout
            Speak(RECORDINGS / "r5c.wav", after=0.0),
            # r5d: after the beep, silence then speech, then '#'
            Speak(silence_then_speech, after=0.0, end="#"),
            # r5f: the caller hangs up at the end of the speech; the file is kept
            Speak(SPEECH_WAV, after=0.2, end="hangup"),
        ],
        idle_audio=False,
    )
    replayed, trace = await replay(transcript("agi-05"), caller, path_map={"/var/spool/asterisk": spool})

    assert mismatches(replayed) == [], trace.describe()
    assert not (spool / "no-such-dir").exists()
    recorded_files = {path.stem: path for path in RECORDINGS.glob("r5*.wav")}
    written = {recording.path.stem: recording for recording in trace.recordings}
    assert sorted(written) == ["r5a", "r5b", "r5c", "r5d", "r5f"]
    for stem, recording in written.items():
        assert recording.path == spool / "recording" / f"{stem}.wav"
        assert recording.path.stat().st_size == recorded_files[stem].stat().st_size
        assert np.array_equal(_wav_samples(recording.path), _wav_samples(recorded_files[stem])), stem
    endings = [written[stem].ended_by for stem in sorted(written)]
    assert endings == ["dtmf", "silence", "timeout", "dtmf", "hangup"]
    assert trace.hangup_by == "caller"


async def test_dtmf_while_no_command_reads_keys_is_discarded() -> None:
    """agi-12 in scaled real time: the bot idles 2.5 s; keys at 1.5 s (idle), 6.06 s, 10.3 s (EXEC Wait)."""
    caller = Caller(timed_keys=[(1.5, "5"), (6.06, "7"), (10.3, "8")])
    replayed, trace = await replay(transcript("agi-12"), caller, time_scale=0.1, gap_scale=0.1)

    assert mismatches(replayed) == [], trace.describe()


async def test_after_a_hang_up_the_simulator_waits_for_the_bot_to_close() -> None:
    replayed, trace = await replay(transcript("agi-09"), CALLERS["agi-09"], hold_open=0.3)

    assert not replayed.closed_by_simulator
    assert trace.bot_closed
    assert trace.failures == []
    assert trace.hangup_by == "caller"
