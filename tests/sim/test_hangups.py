"""A caller hanging up at every kind of command that listens, while the bot idles, and what follows."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.sim.caller import Caller, HangUp, Press
from ivr.sim.sounds import SoundLibrary

from .scripted_bot import ScriptedBot, call, replies

HANGUP = "HANGUP"
DEAD = "511 Command Not Permitted on a dead channel or intercept routine"

# beep is 3404 samples (0.4255 s). A hang-up 0.2 s into a prompt stops it in frame 10: endpos 1600 (200 ms).
DURING_PROMPT = HangUp(during_prompt=True, after=0.2)


@pytest.mark.parametrize(
    ("command", "hangup", "reply"),
    [
        ('STREAM FILE beep "#"', DURING_PROMPT, "200 result=-1 endpos=1600"),
        ('CONTROL STREAM FILE beep "#"', DURING_PROMPT, "200 result=-1 endpos=200"),
        ('SAY DIGITS 123 "#"', DURING_PROMPT, "200 result=-1"),
        ("GET DATA beep 3000 5", DURING_PROMPT, "200 result=-1"),
        ("GET DATA beep 3000 5", HangUp(), "200 result=-1"),
        ('GET OPTION beep "1" 3000', DURING_PROMPT, "200 result=-1 endpos=1600"),
        # res_agi turns a hang-up in GET OPTION's wait into 0: it is not one of the escape digits.
        ('GET OPTION beep "1" 3000', HangUp(), "200 result=0 endpos=3404"),
        ("WAIT FOR DIGIT 5000", HangUp(), "200 result=-1"),
        ("WAIT FOR DIGIT -1", HangUp(after=30.0), "200 result=-1"),
        ('RECORD FILE rec wav "#" 5000 0 BEEP', DURING_PROMPT, "200 result=-1 (randomerror) endpos=0"),
        ('RECORD FILE rec wav "#" 5000', HangUp(after=1.01), "200 result=-1 (hangup) endpos=8000"),
        ("SPEECH RECOGNIZE beep 5", HangUp(), "200 result=1 (hangup) endpos=0"),
    ],
)
async def test_a_hang_up_ends_the_command_then_hangup_then_511(
    tmp_path: Path, command: str, hangup: HangUp, reply: str
) -> None:
    commands = ["SPEECH CREATE", command, "GET VARIABLE CALLERID(num)", 'STREAM FILE beep ""']
    run, trace = await call(
        ScriptedBot(commands), Caller([hangup]), sounds=SoundLibrary([tmp_path]), speech_engine="vosk"
    )

    assert run.received == ["200 result=1", reply, HANGUP, "200 result=1 (0701234567)", DEAD]
    assert trace.hangup_by == "caller"
    assert trace.bot_closed


async def test_a_recording_cut_by_a_hang_up_is_kept(tmp_path: Path) -> None:
    _, trace = await call(
        ScriptedBot(['RECORD FILE rec wav "#" 5000']),
        Caller([HangUp(after=1.01)]),
        sounds=SoundLibrary([tmp_path]),
    )

    [recording] = trace.recordings
    assert (recording.path, recording.samples, recording.ended_by) == (tmp_path / "rec.wav", 8000, "hangup")
    assert recording.path.stat().st_size == 44 + 2 * 8000


async def test_a_timed_hang_up_ends_a_plain_announcement() -> None:
    received = await replies(['STREAM FILE hello-world ""'], Caller(hang_up_after=1.0))

    assert received[0].startswith("200 result=-1 endpos=")
    assert received[1] == HANGUP


async def test_a_caller_hanging_up_while_the_bot_idles_gets_hangup_on_its_own() -> None:
    bot = ScriptedBot(["ANSWER", "GET VARIABLE CALLERID(num)", 'STREAM FILE beep ""'], think=0.1)
    run, trace = await call(bot, Caller(hang_up_after=0.15))

    assert run.received == ["200 result=0", HANGUP, "200 result=1 (0701234567)", DEAD]
    assert trace.hangup_by == "caller"
    sent_at = [line.at for line in trace.lines if line.sender == "bot"]
    hangup_at = next(line.at for line in trace.lines if line.data == b"HANGUP")
    assert sent_at[0] < hangup_at < sent_at[1]


async def test_hang_up_at_the_nth_input() -> None:
    received = await replies(
        ["GET DATA beep 1000 1", "GET DATA beep 1000 1", "NOOP"],
        Caller([Press("1"), Press("2")], hang_up_at_input=2),
    )

    assert received == ["200 result=1", "200 result=-1", HANGUP, "200 result=0"]


async def test_commands_that_run_on_a_dead_channel(tmp_path: Path) -> None:
    after_hangup = [
        "GET VARIABLE CALLERID(name)",
        "GET FULL VARIABLE ${CALLERID(num)}",
        "SET VARIABLE DONE yes",
        "NOOP",
        'VERBOSE "still here" 1',
        "DATABASE PUT survey last 1",
        "DATABASE GET survey last",
        "SPEECH DESTROY",
        "EXEC Wait 1",
        "EXEC Verbose hello",
        "ANSWER",
        "HANGUP",
        "CHANNEL STATUS",
        'SAY NUMBER 5 ""',
        "SET MUSIC on",
        "SPEECH CREATE",
    ]
    run, trace = await call(ScriptedBot(["WAIT FOR DIGIT -1", *after_hangup]), Caller([HangUp(after=2.0)]))

    assert run.received == [
        "200 result=-1",
        HANGUP,
        "200 result=1 (Test Caller)",
        "200 result=1 (0701234567)",
        "200 result=1",
        "200 result=0",
        "200 result=1",
        "200 result=1",
        "200 result=1 (1)",
        "200 result=0",
        "200 result=-1",
        "200 result=0",
        *[DEAD] * 6,
    ]
    assert trace.variables == {"DONE": "yes"}


async def test_the_bot_hanging_up() -> None:
    run, trace = await call(ScriptedBot(["HANGUP", "GET DATA beep", "EXEC Hangup"]))

    assert run.received == ["200 result=1", HANGUP, DEAD, "200 result=-1"]
    assert trace.hangup_by == "bot"
    assert not trace.caller_hung_up


async def test_exec_hangup_hangs_up_the_channel() -> None:
    run, trace = await call(ScriptedBot(["EXEC Hangup", "ANSWER"]))

    assert run.received == ["200 result=-1", HANGUP, DEAD]
    assert trace.hangup_by == "bot"


async def test_set_autohangup_hangs_up_at_its_time() -> None:
    run, trace = await call(ScriptedBot(["SET AUTOHANGUP 2", 'STREAM FILE vm-intro ""']))

    assert run.received == ["200 result=0", "200 result=-1 endpos=16000", HANGUP]
    assert trace.hangup_by == "autohangup"
    assert trace.hangup_at == pytest.approx(2.0, abs=0.01)
