"""Survey calls answered partly by voice, end to end: the simulated Asterisk, the real bot, the store.

The `record` strategy gets a scripted recogniser (the real engines are tested on real audio in
tests/speech/recognition); the Swedish answer understanding is the real one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ivr.apps.runtime import BotRuntime
from ivr.settings import Settings
from ivr.sim.asterisk import SimulatedAsterisk
from ivr.sim.caller import Action, Caller, Press, Speak
from ivr.sim.sounds import SoundLibrary
from ivr.store.records import ResponseRecord
from ivr.store.results import ResultsRepository

from .speech_fakes import ScriptedRecognizer


def stored(bot: BotRuntime) -> ResponseRecord:
    repo = ResultsRepository(bot.settings.effective_database_url)
    try:
        [record] = repo.responses()
    finally:
        repo.close()
    return record


def answers(record: ResponseRecord) -> list[tuple[str, str, str | None]]:
    return [(answer.question_id, answer.mode, answer.value) for answer in record.answers]


@pytest.fixture
def recognizer() -> ScriptedRecognizer:
    return ScriptedRecognizer([], confidence=0.9)


@pytest.fixture
async def speaking_bot(settings: Settings, recognizer: ScriptedRecognizer) -> AsyncIterator[BotRuntime]:
    runtime = BotRuntime(settings, recognizer=recognizer)
    await runtime.start("127.0.0.1", 0)
    yield runtime
    await runtime.stop()


async def place(bot: BotRuntime, prompts: SoundLibrary, actions: list[Action], engine: str | None = None):  # type: ignore[no-untyped-def]
    sim = SimulatedAsterisk("127.0.0.1", bot.port, sounds=prompts, speech_engine=engine)
    trace = await sim.place_call("survey?queue=bygglov", Caller(actions))
    await bot.store.flush()
    assert not trace.failures, trace.failures
    return trace


@pytest.fixture
def sounds(prompts_dir) -> SoundLibrary:  # type: ignore[no-untyped-def]
    return SoundLibrary([prompts_dir])


async def test_record_keys_and_words_in_one_survey_are_stored_with_their_mode(
    speaking_bot: BotRuntime, recognizer: ScriptedRecognizer, sounds: SoundLibrary
) -> None:
    recognizer.texts += ["fyra", "ja det blev det", "mycket nöjd", "två", "det var väntetiden"]
    actions: list[Action] = [
        Speak(seconds=0.6),  # bemotande
        Press("5"),  # kunskap
        Speak(seconds=1.2),  # losning
        Speak(seconds=0.9),  # vantetid
        Press("4", barge_in=True, after=1.0),  # tillganglighet, during the prompt
        Speak(seconds=0.5),  # helhet: two, so the follow-up is asked
        Speak(seconds=1.0),  # brist
        Speak(seconds=3.0, end="#"),  # the comment
    ]
    trace = await place(speaking_bot, sounds, actions)

    record = stored(speaking_bot)
    assert record.response.status == "completed"
    assert answers(record) == [
        ("bemotande", "speech", "4"),
        ("kunskap", "dtmf", "5"),
        ("losning", "speech", "ja"),
        ("vantetid", "speech", "5"),
        ("tillganglighet", "dtmf", "4"),
        ("helhet", "speech", "2"),
        ("brist", "speech", "vantetid"),
    ]
    spoken = [answer for answer in record.answers if answer.mode == "speech"]
    assert all(answer.confidence >= 0.6 for answer in spoken)
    assert [answer.utterance for answer in spoken][:2] == ["fyra", "ja det blev det"]
    assert record.comment is not None
    assert record.comment.duration_s > 2.5
    assert trace.variables["SURVEY_STATUS"] == "completed"
    grammar = recognizer.seen[0][1]
    assert grammar is not None
    assert {"fyra", "mycket nöjd", "femma"} <= set(grammar)


async def test_record_an_uncertain_answer_is_read_back_and_kept_after_a_yes(
    speaking_bot: BotRuntime, recognizer: ScriptedRecognizer, sounds: SoundLibrary
) -> None:
    recognizer.texts += [("fyra", 0.45), ("ja", 0.9)]
    actions: list[Action] = [Speak(seconds=0.6), Speak(seconds=0.4)]
    actions += [Press(key) for key in "51345"] + [Speak(seconds=1.0, end="#")]
    trace = await place(speaking_bot, sounds, actions)

    record = stored(speaking_bot)
    bemotande = record.answer("bemotande")
    assert bemotande is not None
    assert (bemotande.mode, bemotande.value, bemotande.attempts) == ("speech", "4", 1)
    assert bemotande.confidence < 0.6
    said = " ".join(trace.commands)
    assert said.count("STREAM FILE") >= 2  # the question, then the read-back


async def test_record_an_uncertain_answer_denied_is_asked_again(
    speaking_bot: BotRuntime, recognizer: ScriptedRecognizer, sounds: SoundLibrary
) -> None:
    recognizer.texts += [("fyra", 0.45), ("nej", 0.9), ("fem", 0.95)]
    actions: list[Action] = [Speak(seconds=0.6), Speak(seconds=0.4), Speak(seconds=0.5)]
    actions += [Press(key) for key in "51345"] + [Speak(seconds=1.0, end="#")]
    await place(speaking_bot, sounds, actions)

    bemotande = stored(speaking_bot).answer("bemotande")
    assert bemotande is not None
    assert (bemotande.mode, bemotande.value, bemotande.attempts) == ("speech", "5", 2)


async def test_asterisk_speech_answers_come_from_speech_recognize(
    settings: Settings, sounds: SoundLibrary
) -> None:
    bot = BotRuntime(settings.model_copy(update={"speech_strategy": "asterisk-speech"}))
    await bot.start("127.0.0.1", 0)
    try:
        actions: list[Action] = [
            Speak(text="fyra"),
            Press("5"),
            Speak(text="nej"),
            Speak(text="trean"),
            Speak(text="mycket lätt"),
            Speak(text="fem"),
            Speak(seconds=2.0, end="#"),
        ]
        trace = await place(bot, sounds, actions, engine="vosk")
        record = stored(bot)
    finally:
        await bot.stop()
    assert answers(record) == [
        ("bemotande", "speech", "4"),
        ("kunskap", "dtmf", "5"),
        ("losning", "speech", "nej"),
        ("vantetid", "speech", "3"),
        ("tillganglighet", "speech", "5"),
        ("helhet", "speech", "5"),
    ]
    assert trace.commands[:3] == ["ANSWER", trace.commands[1], "SPEECH CREATE vosk"]  # after the intro
    assert "SPEECH DESTROY" in trace.commands


async def test_asterisk_speech_without_a_speech_module_runs_on_keys(
    settings: Settings, sounds: SoundLibrary
) -> None:
    bot = BotRuntime(settings.model_copy(update={"speech_strategy": "asterisk-speech"}))
    await bot.start("127.0.0.1", 0)
    try:
        actions: list[Action] = [*(Press(key) for key in "451345"), Speak(seconds=1.0, end="#")]
        await place(bot, sounds, actions, engine=None)
        record = stored(bot)
    finally:
        await bot.stop()
    assert [(mode, value) for _, mode, value in answers(record)] == [
        ("dtmf", "4"),
        ("dtmf", "5"),
        ("dtmf", "ja"),
        ("dtmf", "3"),
        ("dtmf", "4"),
        ("dtmf", "5"),
    ]


async def test_with_speech_off_the_survey_is_keys_only(settings: Settings, sounds: SoundLibrary) -> None:
    bot = BotRuntime(
        settings.model_copy(update={"speech_strategy": "off"}), recognizer=ScriptedRecognizer([])
    )
    await bot.start("127.0.0.1", 0)
    try:
        actions: list[Action] = [*(Press(key) for key in "451345"), Speak(seconds=1.0, end="#")]
        trace = await place(bot, sounds, actions)
    finally:
        await bot.stop()
    assert not [command for command in trace.commands if command.startswith("RECORD FILE")][:-1]
    assert sum(command.startswith("GET DATA") for command in trace.commands) == 6
