"""Spoken answers with real recognition: the simulator plays espeak-ng's Swedish into RECORD FILE, the bot
recognises the take with Whisper base (from the dev extra's packages) in its worker process; and without any
model the same survey runs on the keypad alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.apps.runtime import BotRuntime
from ivr.settings import Settings
from ivr.sim.asterisk import SimulatedAsterisk
from ivr.sim.caller import Action, Caller, Press, Speak
from ivr.sim.sounds import SoundLibrary
from ivr.speech.audio import TELEPHONE_RATE, resample, write_wav_atomically
from ivr.speech.recognition.packaged import packaged_whisper_base
from ivr.speech.tts import engine_for
from ivr.store.results import ResultsRepository


@pytest.fixture(scope="module")
def whisper_dir(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    cache = getattr(pytestconfig, "cache", None)
    directory = cache.mkdir("whisper-base") if cache is not None else tmp_path_factory.mktemp("whisper-base")
    return packaged_whisper_base(Path(directory))


async def survey(settings: Settings, prompts_dir: Path, actions: list[Action]):  # type: ignore[no-untyped-def]
    bot = BotRuntime(settings)
    await bot.start("127.0.0.1", 0)
    try:
        sim = SimulatedAsterisk("127.0.0.1", bot.port, sounds=SoundLibrary([prompts_dir]))
        trace = await sim.place_call("survey", Caller(actions))
        await bot.store.flush()
    finally:
        await bot.stop()
    repo = ResultsRepository(settings.effective_database_url)
    try:
        [record] = repo.responses()
    finally:
        repo.close()
    return trace, record


async def test_a_spoken_ja_recorded_by_asterisk_is_recognised_by_whisper_and_stored(
    settings: Settings, prompts_dir: Path, whisper_dir: Path, tmp_path: Path
) -> None:
    with_whisper = settings.model_copy(
        update={"answer_engine": "faster-whisper", "whisper_model": str(whisper_dir)}
    )
    ja = tmp_path / "ja.wav"  # as Asterisk records it: 8 kHz
    write_wav_atomically(ja, resample(engine_for("espeak-ng", "sv").render("ja"), TELEPHONE_RATE))
    actions: list[Action] = [Press("4"), Press("5"), Speak(wav=ja), *map(Press, "345")]
    trace, record = await survey(with_whisper, prompts_dir, [*actions, Speak(seconds=1.0, end="#")])

    losning = record.answer("losning")
    assert losning is not None
    assert (losning.mode, losning.status, losning.value, losning.score) == ("speech", "match", "ja", 1)
    assert "ja" in losning.utterance
    takes = [
        command for command in trace.commands if command.startswith("RECORD FILE") and "-answer" in command
    ]
    assert len(takes) == 6  # after each prompt the bot listens; a key ends the take like speech does
    assert not list(with_whisper.effective_recordings_dir.rglob("*-answer*.wav"))  # takes are deleted
    assert [answer.mode for answer in record.answers] == ["dtmf", "dtmf", "speech", "dtmf", "dtmf", "dtmf"]


async def test_without_a_speech_model_the_record_strategy_leaves_the_survey_on_keys(
    settings: Settings, prompts_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    no_models = settings.model_copy(
        update={"models_dir": tmp_path / "no-models", "speech_strategy": "record"}
    )
    actions: list[Action] = [*map(Press, "451345"), Speak(seconds=1.0, end="#")]
    trace, record = await survey(no_models, prompts_dir, actions)

    assert [answer.value for answer in record.answers] == ["4", "5", "ja", "3", "4", "5"]
    assert sum(command.startswith("GET DATA") for command in trace.commands) == 6
    assert sum(command.startswith("RECORD FILE") for command in trace.commands) == 1  # the comment only
    assert "Speech answers are off; the survey runs on the keypad alone" in caplog.text
    assert "ivr models fetch" in caplog.text
