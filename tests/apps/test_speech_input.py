"""Both ways of hearing spoken answers, over the simulated Asterisk: keys and speech in the same question.

Each test runs one `ask` in a small FastAGI app and looks at what came back and at the AGI commands sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from ipaddress import ip_network
from pathlib import Path

import pytest

from ivr.agi.channel import Channel
from ivr.agi.server import FastAGIServer
from ivr.apps.shared_dir import SharedDir
from ivr.apps.speech_input import AsteriskSpeechAnswers, RecordedAnswers, SpeechInput, normalise
from ivr.dialog.io import CallerHungUp, InputSpec, RawInput
from ivr.sim.asterisk import SimulatedAsterisk
from ivr.sim.caller import Action, Caller, HangUp, Press, Silence, Speak
from ivr.sim.sounds import SoundLibrary
from ivr.sim.trace import CallTrace

from .speech_fakes import ScriptedRecognizer

SCALE = InputSpec(max_digits=1, timeout_s=3.0, phrases=("fyra", "fem"), speech=True)
NUMBER = InputSpec(max_digits=3, timeout_s=3.0, speech=True)
PROMPT = "beep"  # a sound the simulator knows: about a quarter of a second


@dataclass
class Asked:
    """What one call's `ask` returned, or that the caller hung up."""

    inputs: list[RawInput] = field(default_factory=list)
    hung_up: bool = False


MakeInput = Callable[[Channel], SpeechInput]


async def ask_over_sim(
    make: MakeInput,
    actions: Sequence[Action],
    specs: Sequence[InputSpec] = (SCALE,),
    speech_engine: str | None = None,
) -> tuple[Asked, CallTrace]:
    asked = Asked()

    async def app(channel: Channel) -> None:
        speech = make(channel)
        try:
            for spec in specs:
                asked.inputs.append(await speech.ask(PROMPT, spec))
        except CallerHungUp:
            asked.hung_up = True
        finally:
            await speech.close()

    server = FastAGIServer({"ask": app}, allow=[ip_network("127.0.0.1/32")])
    await server.start("127.0.0.1", 0)
    try:
        sim = SimulatedAsterisk(
            "127.0.0.1", server.port, sounds=SoundLibrary([]), speech_engine=speech_engine
        )
        trace = await sim.place_call("ask", Caller(actions))
    finally:
        await server.close(1.0)
    assert not trace.failures, trace.failures
    return asked, trace


def recorded(tmp_path: Path, recognizer: ScriptedRecognizer) -> MakeInput:
    directory = tmp_path / "recordings"
    return lambda channel: RecordedAnswers(channel, SharedDir(directory), "tenant/day/call1", recognizer)


def commands(trace: CallTrace, verb: str) -> list[str]:
    return [command for command in trace.commands if command.startswith(verb)]


# --- record: keys during the prompt, else RECORD FILE and recognition in the bot


async def test_record_a_key_during_the_prompt_answers_without_recording(tmp_path: Path) -> None:
    recognizer = ScriptedRecognizer([])
    asked, trace = await ask_over_sim(recorded(tmp_path, recognizer), [Press("4", barge_in=True, after=0.1)])
    assert asked.inputs == [RawInput("dtmf", "4")]
    assert commands(trace, "STREAM FILE") == ['STREAM FILE beep "0123456789*#"']
    assert commands(trace, "RECORD FILE") == []


async def test_record_speech_is_recorded_recognised_with_the_grammar_and_deleted(tmp_path: Path) -> None:
    recognizer = ScriptedRecognizer(["fyra"])
    asked, trace = await ask_over_sim(recorded(tmp_path, recognizer), [Speak(seconds=0.8)])
    assert asked.inputs == [RawInput("speech", "fyra", 0.8)]
    [record] = commands(trace, "RECORD FILE")
    take = tmp_path / "recordings/tenant/day/call1-answer1"
    assert record == f'RECORD FILE {take} wav "0123456789*#" 13000 0 s=1'
    assert recognizer.seen == [(take.with_name("call1-answer1.wav"), ("fyra", "fem"))]
    assert not take.with_name("call1-answer1.wav").exists()


async def test_record_a_key_after_the_prompt_ends_the_recording_and_counts(tmp_path: Path) -> None:
    recognizer = ScriptedRecognizer([])
    asked, trace = await ask_over_sim(recorded(tmp_path, recognizer), [Press("5", after=0.4)])
    assert asked.inputs == [RawInput("dtmf", "5")]
    assert len(commands(trace, "RECORD FILE")) == 1
    assert recognizer.seen == []
    assert list((tmp_path / "recordings").rglob("*.wav")) == []


async def test_record_a_caller_who_starts_late_is_still_heard(tmp_path: Path) -> None:
    recognizer = ScriptedRecognizer(["fem"])
    # The simulator gives each take one action: a first take of silence, then speech in the next.
    asked, trace = await ask_over_sim(recorded(tmp_path, recognizer), [Silence(), Speak(seconds=0.6)])
    assert asked.inputs == [RawInput("speech", "fem", 0.8)]
    assert len(commands(trace, "RECORD FILE")) == 2  # the first take ended in silence after one second
    assert len(recognizer.seen) == 1


async def test_record_silence_until_the_timeout_is_no_input(tmp_path: Path) -> None:
    recognizer = ScriptedRecognizer([])
    asked, trace = await ask_over_sim(recorded(tmp_path, recognizer), [Silence()])
    assert asked.inputs == [RawInput("dtmf", "")]
    assert len(commands(trace, "RECORD FILE")) == 3  # 3 s of timeout, one second a take
    assert recognizer.seen == []
    assert list((tmp_path / "recordings").rglob("*.wav")) == []


async def test_record_unintelligible_sound_is_a_speech_noinput(tmp_path: Path) -> None:
    recognizer = ScriptedRecognizer(["", "", ""], confidence=0.3)
    actions = [Speak(seconds=0.5), Speak(seconds=0.5), Speak(seconds=0.5)]
    asked, _ = await ask_over_sim(recorded(tmp_path, recognizer), actions)
    assert asked.inputs == [RawInput("speech", "")]


async def test_record_a_number_keyed_after_a_first_key_in_the_prompt(tmp_path: Path) -> None:
    recognizer = ScriptedRecognizer([])
    actions = [Press("1", barge_in=True, after=0.1), Press("2", after=0.2), Press("#", after=0.2)]
    asked, trace = await ask_over_sim(recorded(tmp_path, recognizer), actions, specs=[NUMBER])
    assert asked.inputs == [RawInput("dtmf", "12")]
    assert commands(trace, "GET DATA") == ["GET DATA silence/1 3000 2"]


async def test_record_a_hangup_while_recording_ends_the_question(tmp_path: Path) -> None:
    recognizer = ScriptedRecognizer([])
    asked, _ = await ask_over_sim(recorded(tmp_path, recognizer), [Speak(seconds=0.5, end="hangup")])
    assert asked.hung_up
    assert recognizer.seen == []


async def test_record_a_hangup_during_the_prompt_ends_the_question(tmp_path: Path) -> None:
    hang_up: list[Action] = [HangUp(during_prompt=True, after=0.1)]  # the beep lasts a quarter of a second
    asked, trace = await ask_over_sim(recorded(tmp_path, ScriptedRecognizer([])), hang_up)
    assert asked.hung_up
    assert commands(trace, "RECORD FILE") == []


async def test_record_a_failing_recogniser_leaves_the_call_on_keys(tmp_path: Path) -> None:
    recognizer = ScriptedRecognizer([], fail=True)
    actions: list[Action] = [Speak(seconds=0.5), Press("3"), Press("2")]
    asked, trace = await ask_over_sim(recorded(tmp_path, recognizer), actions, specs=[SCALE, SCALE])
    assert asked.inputs == [RawInput("dtmf", "3"), RawInput("dtmf", "2")]
    assert len(commands(trace, "RECORD FILE")) == 1
    assert commands(trace, "GET DATA") == ["GET DATA silence/1 3000 1", "GET DATA beep 3000 1"]


async def test_record_when_asterisk_cannot_write_the_take_keys_still_work(tmp_path: Path) -> None:
    recognizer = ScriptedRecognizer([])

    def unwritable(channel: Channel) -> SpeechInput:
        # The bot's side exists; Asterisk sees another path that does not: RECORD FILE answers (writefile).
        shared = SharedDir(tmp_path / "recordings", on_asterisk=tmp_path / "missing")
        return RecordedAnswers(channel, shared, "call1", recognizer)

    asked, _ = await ask_over_sim(unwritable, [Press("4")])
    assert asked.inputs == [RawInput("dtmf", "4")]


# --- asterisk-speech: SPEECH RECOGNIZE gives speech or a key in one command


def asterisk_speech(channel: Channel) -> SpeechInput:
    return AsteriskSpeechAnswers(channel, "vosk")


async def test_asterisk_speech_words_come_back_as_speech() -> None:
    asked, trace = await ask_over_sim(asterisk_speech, [Speak(text="Mycket nöjd")], speech_engine="vosk")
    assert asked.inputs == [RawInput("speech", "mycket nöjd", 1.0)]
    assert trace.commands[:2] == ["SPEECH CREATE vosk", "SPEECH RECOGNIZE beep 3"]
    assert trace.commands[-1] == "SPEECH DESTROY"


async def test_asterisk_speech_the_score_is_the_confidence() -> None:
    asked, _ = await ask_over_sim(asterisk_speech, [Speak(text="fyra", score=42)], speech_engine="vosk")
    assert asked.inputs == [RawInput("speech", "fyra", 0.42)]


async def test_asterisk_speech_a_key_wins_and_a_number_is_completed() -> None:
    actions = [Press("4"), Press("1"), Press("0"), Press("#")]
    asked, _ = await ask_over_sim(asterisk_speech, actions, specs=[SCALE, NUMBER], speech_engine="vosk")
    assert asked.inputs == [RawInput("dtmf", "4"), RawInput("dtmf", "10")]


async def test_asterisk_speech_silence_is_no_input() -> None:
    asked, _ = await ask_over_sim(asterisk_speech, [Silence()], speech_engine="vosk")
    assert asked.inputs == [RawInput("dtmf", "")]


async def test_asterisk_speech_a_hangup_ends_the_question_without_destroying() -> None:
    asked, trace = await ask_over_sim(asterisk_speech, [HangUp()], speech_engine="vosk")
    assert asked.hung_up
    assert "SPEECH DESTROY" not in trace.commands


async def test_asterisk_speech_without_a_speech_module_falls_back_to_keys() -> None:
    actions = [Press("4"), Press("5")]
    asked, trace = await ask_over_sim(asterisk_speech, actions, specs=[SCALE, SCALE], speech_engine=None)
    assert asked.inputs == [RawInput("dtmf", "4"), RawInput("dtmf", "5")]
    assert commands(trace, "SPEECH") == ["SPEECH CREATE vosk"]  # tried once per call
    assert commands(trace, "GET DATA") == ["GET DATA beep 3000 1", "GET DATA beep 3000 1"]


@pytest.mark.parametrize(
    ("heard", "expected"),
    [("Fyra.", "fyra"), ("  mycket   NÖJD! ", "mycket nöjd"), ("ja, absolut", "ja absolut"), ("", "")],
)
def test_recognised_text_is_normalised_for_the_matcher(heard: str, expected: str) -> None:
    assert normalise(heard) == expected
