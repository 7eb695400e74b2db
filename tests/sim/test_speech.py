"""The SPEECH commands with a speech engine (the Vosk module's behaviour) and without one."""

from __future__ import annotations

import pytest

from ivr.sim.caller import Caller, Press, Silence, Speak

from .scripted_bot import ScriptedBot, call, replies

SETUP = ["SPEECH CREATE vosk", "SPEECH LOAD GRAMMAR yesno /tmp/yesno.gram", "SPEECH ACTIVATE GRAMMAR yesno"]


async def test_speech_object_lifecycle_with_an_engine() -> None:
    received = await replies(
        [
            "SPEECH CREATE vosk",
            "SPEECH CREATE vosk",
            "SPEECH SET confidence 0.5",
            "SPEECH LOAD GRAMMAR g1 /tmp/g1.gram",
            "SPEECH ACTIVATE GRAMMAR g1",
            "SPEECH DEACTIVATE GRAMMAR g1",
            "SPEECH UNLOAD GRAMMAR g1",
            "SPEECH DESTROY",
            "SPEECH DESTROY",
            "SPEECH RECOGNIZE beep 3",
            "SPEECH SET only-two",
        ],
        speech_engine="vosk",
    )

    assert received[:10] == [
        "200 result=1",
        "200 result=0",
        *["200 result=1"] * 6,
        "200 result=0",
        "200 result=0",
    ]
    assert received[10].startswith("520-")


@pytest.mark.parametrize(
    ("create", "result"), [("SPEECH CREATE", 1), ("SPEECH CREATE Vosk", 1), ("SPEECH CREATE x", 0)]
)
async def test_speech_create_finds_the_engine_by_name_or_default(create: str, result: int) -> None:
    assert await replies([create], speech_engine="vosk") == [f"200 result={result}"]


async def test_the_engine_hears_what_the_caller_says() -> None:
    caller = Caller([Speak(text="ring upp mig"), Speak(text="ja", score=870, grammar="yesno")])
    received = await replies(
        [*SETUP, "SPEECH RECOGNIZE beep 5", "SPEECH RECOGNIZE beep 5"], caller, speech_engine="vosk"
    )

    assert received[3:] == [
        '200 result=1 (speech) endpos=0 results=1 score0=100 text0="ring upp mig" grammar0=(null)',
        '200 result=1 (speech) endpos=0 results=1 score0=870 text0="ja" grammar0=yesno',
    ]


async def test_a_key_silence_or_unrecognised_speech() -> None:
    caller = Caller([Press("3", barge_in=True, after=0.1), Silence(), Speak(seconds=1.0)])
    commands = [*SETUP, "SPEECH RECOGNIZE beep 5", "SPEECH RECOGNIZE beep 2", "SPEECH RECOGNIZE beep 2"]
    run, trace = await call(ScriptedBot(commands), caller, speech_engine="vosk")

    assert run.received[3:] == [
        "200 result=1 (digit) digit=3 endpos=0",
        "200 result=1 (timeout) endpos=0",
        "200 result=1 (timeout) endpos=0",
    ]
    # The timeout is in seconds and counts from the end of the prompt: 0.2 + 2 x (0.4255 + 2).
    last_reply = trace.lines[-1]
    assert last_reply.call_time == pytest.approx(0.2 + 2 * (3404 / 8000 + 2), abs=0.02)


async def test_speech_that_outlasts_the_timeout_times_out() -> None:
    received = await replies(
        [*SETUP, "SPEECH RECOGNIZE beep 1"],
        Caller([Speak(text="en lång mening", seconds=3.0)]),
        speech_engine="vosk",
    )

    assert received[3] == "200 result=1 (timeout) endpos=0"


async def test_without_an_engine_every_speech_command_answers_0() -> None:
    received = await replies(
        [*SETUP, "SPEECH RECOGNIZE beep 3", "SPEECH DESTROY"], Caller([Speak(text="ja")])
    )

    assert received == ["200 result=0"] * 5
