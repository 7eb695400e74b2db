"""Survey calls end to end: the simulated Asterisk calls the real bot over TCP; then the store is read."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ivr.apps.runtime import BotRuntime
from ivr.sim.asterisk import SimulatedAsterisk
from ivr.sim.caller import Action, Caller, HangUp, Press, Silence, Speak
from ivr.store.records import ResponseRecord
from ivr.store.results import ResultsRepository

DEFAULT_KEYS = ("4", "5", "1", "3", "4", "5")  # bemotande, kunskap, losning, vantetid, tillganglighet, helhet
DEFAULT_IDS = ("bemotande", "kunskap", "losning", "vantetid", "tillganglighet", "helhet")


def responses(bot: BotRuntime) -> list[ResponseRecord]:
    repo = ResultsRepository(bot.settings.effective_database_url)
    try:
        return repo.responses()
    finally:
        repo.close()


async def call(asterisk: SimulatedAsterisk, bot: BotRuntime, actions: list[Action], request: str = "survey"):  # type: ignore[no-untyped-def]
    trace = await asterisk.place_call(request, Caller(actions))
    await bot.store.flush()
    return trace


async def test_a_full_survey_is_stored_with_every_answer_and_the_comment(
    bot: BotRuntime, asterisk: SimulatedAsterisk
) -> None:
    actions: list[Action] = [Press(key) for key in DEFAULT_KEYS]
    trace = await call(
        asterisk, bot, [*actions, Speak(seconds=3.0, end="#")], "survey?queue=bygglov&agent=kv07"
    )

    assert trace.bot_closed
    assert trace.variables["SURVEY_STATUS"] == "completed"
    [record] = responses(bot)
    assert record.response.status == "completed"
    assert (record.response.queue, record.response.agent, record.response.tenant) == (
        "bygglov",
        "kv07",
        "default",
    )
    assert [(a.question_id, a.value, a.status) for a in record.answers] == [
        ("bemotande", "4", "match"),
        ("kunskap", "5", "match"),
        ("losning", "ja", "match"),
        ("vantetid", "3", "match"),
        ("tillganglighet", "4", "match"),
        ("helhet", "5", "match"),
    ]
    losning = record.answer("losning")
    assert losning is not None
    assert losning.score == 1
    comment = record.comment
    assert comment is not None
    assert comment.ended_by == "dtmf"
    assert Path(comment.recording_path).exists()
    assert 2.5 < comment.duration_s < 3.5
    assert record.call.caller_ref
    assert "0701234567" not in record.call.caller_ref


async def test_a_key_pressed_during_the_prompt_answers_it(
    bot: BotRuntime, asterisk: SimulatedAsterisk
) -> None:
    actions: list[Action] = [Press(key, barge_in=True, after=1.0) for key in DEFAULT_KEYS]
    await call(asterisk, bot, [*actions, Speak(seconds=1.0, end="#")])
    [record] = responses(bot)
    assert [a.value for a in record.answers] == ["4", "5", "ja", "3", "4", "5"]


async def test_a_wrong_key_and_silence_get_a_reprompt_and_count_attempts(
    bot: BotRuntime, asterisk: SimulatedAsterisk
) -> None:
    actions: list[Action] = [
        Press("9"),
        Press("4"),
        Silence(),
        Press("5"),
        *(Press(k) for k in DEFAULT_KEYS[2:]),
    ]
    trace = await call(asterisk, bot, [*actions, Speak(seconds=1.0, end="#")])
    [record] = responses(bot)
    first, second = record.answers[0], record.answers[1]
    assert (first.value, first.attempts, second.value, second.attempts) == ("4", 2, "5", 2)
    assert sum(1 for line in trace.commands if line.startswith("GET DATA")) == 8


async def test_a_low_overall_score_brings_the_follow_up(bot: BotRuntime, asterisk: SimulatedAsterisk) -> None:
    keys = ("2", "2", "2", "1", "2", "1", "3")
    await call(asterisk, bot, [*(Press(k) for k in keys), Speak(seconds=1.0, end="#")])
    [record] = responses(bot)
    assert record.answer("brist") is not None
    assert record.answer("brist").value == "ingen_hjalp"  # type: ignore[union-attr]


async def test_a_silent_caller_ends_the_survey_after_the_first_question(
    bot: BotRuntime, asterisk: SimulatedAsterisk
) -> None:
    trace = await call(asterisk, bot, [])
    [record] = responses(bot)
    assert record.response.status == "ended"
    assert [(a.question_id, a.status, a.attempts) for a in record.answers] == [("bemotande", "noinput", 3)]
    assert trace.variables["SURVEY_STATUS"] == "ended"


@pytest.mark.parametrize("step", range(1, 8))
async def test_a_hang_up_at_every_step_keeps_the_answers_given(
    bot: BotRuntime, asterisk: SimulatedAsterisk, step: int
) -> None:
    """Step 1..6: during question N's prompt; 7: during the comment recording."""
    actions: list[Action] = [Press(k) for k in DEFAULT_KEYS[: step - 1]]
    actions.append(HangUp(during_prompt=True) if step <= 6 else Speak(seconds=2.0, end="hangup"))
    trace = await call(asterisk, bot, actions)

    assert trace.bot_closed
    [record] = responses(bot)
    answered = [a for a in record.answers if a.status == "match"]
    assert [a.question_id for a in answered] == list(DEFAULT_IDS[: step - 1])
    if step <= 6:
        assert record.response.status == "partial"
        assert record.answers[-1].status == "hangup"
    else:
        assert record.response.status == "completed"
        assert record.comment is not None
        assert record.comment.ended_by == "hangup"
        assert Path(record.comment.recording_path).exists()


async def test_a_tenant_gets_its_own_dialog_and_a_number_question(
    bot: BotRuntime, asterisk: SimulatedAsterisk
) -> None:
    actions: list[Action] = [
        Press("5"),
        Press("4"),
        Press("4"),
        Press("1"),
        Press("10"),
        Speak(seconds=1.0, end="#"),
    ]
    await call(asterisk, bot, actions, "survey?tenant=norrtalje")
    [record] = responses(bot)
    assert record.response.tenant == "norrtalje"
    assert record.answer("rekommendation") is not None
    assert record.answer("rekommendation").score == 10  # type: ignore[union-attr]


async def test_a_hostile_tenant_name_falls_back_to_the_default_dialog(
    bot: BotRuntime, asterisk: SimulatedAsterisk
) -> None:
    await call(asterisk, bot, [HangUp(during_prompt=True)], "survey?tenant=../../etc&agent=%27%3B%20DROP")
    [record] = responses(bot)
    assert (record.response.tenant, record.response.dialog_id, record.response.agent) == (
        "default",
        "kontaktcenter-enkat",
        None,
    )


async def test_a_broken_dialog_edit_keeps_the_last_good_version_serving(
    bot: BotRuntime, asterisk: SimulatedAsterisk
) -> None:
    survey = bot.settings.dialogs_dir / "default" / "survey.yaml"
    good = survey.read_text()
    survey.write_text(good.replace("type: scale", "type: skala", 1))
    bot.reload_dialogs()
    await call(asterisk, bot, [Press("3"), HangUp(during_prompt=True)])
    assert responses(bot)[0].answers[0].value == "3"

    survey.write_text(good.replace("id: kontaktcenter-enkat", "id: kontaktcenter-enkat-v2"))
    bot.reload_dialogs()
    await call(asterisk, bot, [HangUp(during_prompt=True)])
    assert {r.response.dialog_id for r in responses(bot)} == {"kontaktcenter-enkat", "kontaktcenter-enkat-v2"}


async def test_a_prompt_without_audio_plays_silence_and_the_call_goes_on(
    bot: BotRuntime, asterisk: SimulatedAsterisk
) -> None:
    survey = bot.settings.dialogs_dir / "default" / "survey.yaml"
    survey.write_text(
        survey.read_text().replace("Hur nöjd är du med bemötandet", "Hur nöjd var du med bemötandet")
    )
    bot.reload_dialogs()
    trace = await call(asterisk, bot, [Press("4"), HangUp(during_prompt=True)])
    assert any(line.startswith("GET DATA silence/1 ") for line in trace.commands)
    assert responses(bot)[0].answers[0].value == "4"


async def test_an_unwritable_recordings_directory_does_not_lose_the_survey(
    bot: BotRuntime, asterisk: SimulatedAsterisk, tmp_path: Path
) -> None:
    # RECORD FILE does not create directories: a stem in a directory that vanishes gives `(writefile)`.
    bot.settings.effective_recordings_dir.mkdir(parents=True, exist_ok=True)
    blocker = bot.settings.effective_recordings_dir / "default"
    blocker.write_text("not a directory")
    trace = await call(asterisk, bot, [*(Press(k) for k in DEFAULT_KEYS), Speak(seconds=1.0, end="#")])
    [record] = responses(bot)
    assert len([a for a in record.answers if a.status == "match"]) == 6
    assert trace.bot_closed


async def test_concurrent_calls_are_kept_apart(bot: BotRuntime, asterisk: SimulatedAsterisk) -> None:
    async def one(key: str, number: int) -> None:
        caller = Caller([*(Press(key) for _ in DEFAULT_KEYS), Speak(seconds=1.0, end="#")])
        await asterisk.place_call(f"survey?agent=kv{number:02d}", caller, uniqueid=f"1795350000.{number}")

    await asyncio.gather(*(one(str(1 + n % 5), n) for n in range(20)))
    await bot.store.flush()
    records = responses(bot)
    assert len(records) == 20
    for record in records:
        number = int(record.response.agent.removeprefix("kv"))  # type: ignore[union-attr]
        assert record.answers[0].value == str(1 + number % 5)


async def test_an_outbound_survey_asks_consent_first_and_is_stored_as_outbound(
    bot: BotRuntime, asterisk: SimulatedAsterisk
) -> None:
    actions: list[Action] = [Press("1"), *(Press(key) for key in DEFAULT_KEYS), Speak(seconds=1.0, end="#")]
    trace = await call(asterisk, bot, actions, "survey?tenant=default&purpose=outbound&direction=outbound")
    assert trace.variables["SURVEY_STATUS"] == "completed"
    [record] = responses(bot)
    assert (record.response.direction, record.response.purpose) == ("outbound", "outbound")
    consent = record.answer("samtycke")
    assert consent is not None
    assert (consent.value, consent.position) == ("ja", 0)
    assert len(record.answers) == 7


async def test_an_outbound_survey_declined_asks_nothing_more(
    bot: BotRuntime, asterisk: SimulatedAsterisk
) -> None:
    trace = await call(asterisk, bot, [Press("2")], "survey?purpose=outbound&direction=outbound")
    assert trace.variables["SURVEY_STATUS"] == "ended"
    [record] = responses(bot)
    assert [(answer.question_id, answer.value) for answer in record.answers] == [("samtycke", "nej")]
    assert record.comment is None
