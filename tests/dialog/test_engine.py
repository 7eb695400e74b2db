"""The dialog engine over a scripted CallIO: every question type and every outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ivr.dialog.engine import DialogEngine, DialogResult
from ivr.dialog.io import Answer, InputSpec, RawInput
from ivr.dialog.model import Dialog

from .fakes import FakeInterpreter, FakeYesNoInterpreter, RecordingObserver, ScriptedCallIO

BASE = """
id: test
purpose: survey
defaults: {timeout_s: 5, retries: 1, noinput: Jag hörde inget., nomatch: Det förstod jag inte.}
intro: Välkommen.
goodbye: Hej då.
ended_early: Vi slutar här.
"""


def make_dialog(questions: str, base: str = BASE) -> Dialog:
    data: dict[str, Any] = yaml.safe_load(base)
    data["questions"] = yaml.safe_load(questions)
    return Dialog.model_validate(data)


async def run(
    dialog: Dialog, io: ScriptedCallIO, interpreter: FakeInterpreter | None = None
) -> tuple[DialogResult, RecordingObserver]:
    observer = RecordingObserver(io.events)
    result = await DialogEngine(dialog, io, observer, interpreter).run()
    assert io.calls_after_hangup == []
    assert observer.statuses == [result.status]
    return result, observer


SCALE = "- {id: nojd, type: scale, prompt: 'Hur nöjd är du?', words: {5: [mycket nöjd, fem]}}"


async def test_scale_match_is_stored_with_value_score_and_mode() -> None:
    io = ScriptedCallIO(["4"])
    result, observer = await run(make_dialog(SCALE), io)
    expected = Answer("match", "dtmf", "4", "4", 1.0, score=4, attempts=1)
    assert result == DialogResult("completed", {"nojd": expected}, None)
    assert observer.answers == [("nojd", 1, expected)]
    assert io.said == ["intro", "nojd.prompt", "goodbye"]
    assert [call.kind for call in io.calls] == ["play", "ask", "play"]
    assert io.calls[1].spec == InputSpec(max_digits=1, timeout_s=5.0, phrases=("mycket nöjd", "fem"))


async def test_scale_key_outside_the_range_is_a_nomatch() -> None:
    dialog = make_dialog("- {id: nojd, type: scale, min: 2, max: 4, prompt: 'Hur?', retries: 0}")
    result, _ = await run(dialog, ScriptedCallIO(["5"]))
    assert result.answers["nojd"] == Answer("nomatch", "dtmf", "5", None, 1.0, attempts=1)


@pytest.mark.parametrize(
    ("keys", "value", "score"),
    [("1", "ja", 1), ("2", "nej", 0)],
)
async def test_yesno_reads_ja_and_nej(keys: str, value: str, score: int) -> None:
    dialog = make_dialog("- {id: lost, type: yesno, prompt: 'Blev det löst?'}")
    result, _ = await run(dialog, ScriptedCallIO([keys]))
    assert result.answers["lost"] == Answer("match", "dtmf", keys, value, 1.0, score=score)


async def test_yesno_keys_can_be_changed() -> None:
    dialog = make_dialog("- {id: lost, type: yesno, prompt: 'Löst?', yes_key: 9, no_key: '6', retries: 0}")
    result, _ = await run(dialog, ScriptedCallIO(["6"]))
    assert (result.answers["lost"].value, result.answers["lost"].score) == ("nej", 0)
    result, _ = await run(dialog, ScriptedCallIO(["1"]))
    assert result.answers["lost"].status == "nomatch"


CHOICE = """
- id: brist
  type: choice
  prompt: Vad gick fel?
  options:
    - {key: 1, value: vantetid, words: [väntetiden]}
    - {key: 2, value: bemotande, words: [bemötandet]}
    - {key: 0, value: annat}
"""


async def test_choice_answers_the_option_value_without_a_score() -> None:
    io = ScriptedCallIO(["0"])
    result, _ = await run(make_dialog(CHOICE), io)
    assert result.answers["brist"] == Answer("match", "dtmf", "0", "annat", 1.0, score=None)
    assert io.calls[1].spec == InputSpec(1, 5.0, ("väntetiden", "bemötandet"))


NUMBER = "- {id: rek, type: number, min: 0, max: 10, prompt: 'Från noll till tio?', retries: 0}"


@pytest.mark.parametrize(
    ("keys", "status", "value"),
    [
        ("7", "match", "7"),
        ("10", "match", "10"),
        ("07", "match", "7"),
        ("11", "nomatch", None),
        ("1*", "nomatch", None),
    ],
)
async def test_number_reads_several_digits(keys: str, status: str, value: str | None) -> None:
    io = ScriptedCallIO([keys])
    result, _ = await run(make_dialog(NUMBER), io)
    answer = result.answers["rek"]
    assert (answer.status, answer.value, answer.utterance) == (status, value, keys)
    assert answer.score == (int(value) if value else None)
    assert io.calls[1].spec == InputSpec(max_digits=2, timeout_s=5.0)


async def test_number_allows_as_many_digits_as_max_has() -> None:
    io = ScriptedCallIO(["250"])
    result, _ = await run(make_dialog("- {id: n, type: number, min: 1, max: 500, prompt: 'Hur många?'}"), io)
    assert io.calls[1].spec is not None
    assert io.calls[1].spec.max_digits == 3
    assert result.answers["n"].score == 250


COMMENT = "- {id: kommentar, type: comment, prompt: Säg vad du tyckte., max_s: 30, silence_s: 3, beep: false}"


async def test_comment_is_recorded_and_reported() -> None:
    io = ScriptedCallIO()
    result, observer = await run(make_dialog(COMMENT), io)
    assert result.status == "completed"
    assert result.comment is not None
    assert result.comment.path == Path("/recordings/kommentar.wav")
    assert observer.comments == [("kommentar", 1, result.comment)]
    record = io.calls[1]
    assert record.kind == "record"
    assert record.prompt.name == "kommentar.prompt"
    options = {"name": "kommentar", "max_s": 30, "silence_s": 3, "end_keys": "#", "beep": False}
    assert record.record_options == options
    assert io.said[-1] == "goodbye"


async def test_nomatch_then_match_says_the_nomatch_text_with_the_question() -> None:
    io = ScriptedCallIO(["8", "3"])
    result, observer = await run(make_dialog(SCALE), io)
    assert result.answers["nojd"] == Answer("match", "dtmf", "3", "3", 1.0, score=3, attempts=2)
    assert io.said == ["intro", "nojd.prompt", "nojd.nomatch", "goodbye"]
    assert io.calls[2].prompt.text == "Det förstod jag inte. Hur nöjd är du?"
    assert len(observer.answers) == 1


async def test_noinput_then_match_says_the_noinput_text_with_the_question() -> None:
    io = ScriptedCallIO(["", "5"])
    result, _ = await run(make_dialog(SCALE), io)
    assert result.answers["nojd"].attempts == 2
    assert io.calls[2].prompt.text == "Jag hörde inget. Hur nöjd är du?"
    assert io.calls[2].prompt.name == "nojd.noinput"


async def test_a_question_can_have_its_own_reprompts_and_retries() -> None:
    questions = "- {id: nojd, type: scale, prompt: Hur, nomatch: Tryck en siffra., retries: 3, timeout_s: 9}"
    io = ScriptedCallIO(["0", "0", "0", "2"])
    result, _ = await run(make_dialog(questions), io)
    assert result.answers["nojd"].attempts == 4
    assert io.calls[2].prompt.text == "Tryck en siffra. Hur"
    assert {call.spec.timeout_s for call in io.calls if call.spec} == {9.0}


TWO_QUESTIONS = SCALE + "\n- {id: lost, type: yesno, prompt: 'Löst?'}"


async def test_exhausted_retries_store_the_last_status_and_go_on() -> None:
    io = ScriptedCallIO(["9", "", "1"])
    result, observer = await run(make_dialog(TWO_QUESTIONS), io)
    assert result.status == "completed"
    assert result.answers["nojd"] == Answer("noinput", "dtmf", "", None, 1.0, attempts=2)
    assert observer.answers[0] == ("nojd", 1, result.answers["nojd"])
    assert result.answers["lost"].value == "ja"
    assert io.said == ["intro", "nojd.prompt", "nojd.nomatch", "lost.prompt", "goodbye"]


async def test_exhausted_retries_with_end_say_ended_early_then_goodbye() -> None:
    first = SCALE.replace("fem]}}", "fem]}, on_exhausted: end}")
    questions = first + "\n- {id: lost, type: yesno, prompt: Löst}"
    io = ScriptedCallIO(["9", "9"])
    result, observer = await run(make_dialog(questions), io)
    assert result.status == "ended"
    assert result.answers == {"nojd": Answer("nomatch", "dtmf", "9", None, 1.0, attempts=2)}
    assert io.said == ["intro", "nojd.prompt", "nojd.nomatch", "ended_early", "goodbye"]
    assert observer.statuses == ["ended"]


async def test_ending_early_without_an_ended_early_text_says_only_goodbye() -> None:
    base = "{id: test, purpose: survey, goodbye: Hej då., defaults: {on_exhausted: end, retries: 0}}"
    io = ScriptedCallIO([""])
    result, _ = await run(make_dialog(TWO_QUESTIONS, base), io)
    assert result.status == "ended"
    assert io.said == ["nojd.prompt", "goodbye"]


FOLLOW_UP = """
- {id: helhet, type: scale, prompt: 'Helheten?', retries: 0}
- id: varfor
  type: choice
  prompt: Vad var fel?
  ask_if: {question: helhet, at_most: 2}
  options: [{key: 1, value: vantan}, {key: 2, value: annat}]
- {id: lost, type: yesno, prompt: 'Löst?'}
"""


@pytest.mark.parametrize(("overall", "asked"), [("1", True), ("2", True), ("3", False), ("5", False)])
async def test_ask_if_asks_the_follow_up_only_when_it_holds(overall: str, asked: bool) -> None:
    io = ScriptedCallIO([overall, "2", "1"] if asked else [overall, "1"])
    result, observer = await run(make_dialog(FOLLOW_UP), io)
    assert ("varfor" in result.answers) is asked
    assert ("varfor.prompt" in io.said) is asked
    positions = {qid: position for qid, position, _ in observer.answers}
    assert positions["lost"] == 3  # positions count every question in the file, asked or not


async def test_ask_if_skips_when_the_earlier_answer_did_not_match() -> None:
    io = ScriptedCallIO(["7", "1"])
    result, _ = await run(make_dialog(FOLLOW_UP), io)
    assert result.answers["helhet"].status == "nomatch"
    assert "varfor" not in result.answers
    assert result.status == "completed"


async def test_ask_if_skips_when_the_earlier_question_was_itself_skipped() -> None:
    questions = FOLLOW_UP + "- {id: mer, type: yesno, prompt: Mer, ask_if: {question: varfor, equals: annat}}"
    io = ScriptedCallIO(["4", "1"])
    result, _ = await run(make_dialog(questions), io)
    assert set(result.answers) == {"helhet", "lost"}


@pytest.mark.parametrize(
    ("condition", "answers", "asked"),
    [
        ("{question: lost, equals: nej}", ["2"], True),
        ("{question: lost, equals: nej}", ["1"], False),
        ("{question: lost, equals: 1}", ["1"], True),
        ("{question: brist, in: [vantetid, bemotande]}", ["2"], True),
        ("{question: brist, in: [vantetid, bemotande]}", ["0"], False),
        ("{question: nojd, at_least: 4, at_most: 4}", ["4"], True),
        ("{question: nojd, at_least: 4, at_most: 4}", ["5"], False),
    ],
)
async def test_ask_if_conditions(condition: str, answers: list[str], asked: bool) -> None:
    target = {"lost": "- {id: lost, type: yesno, prompt: 'Löst?'}", "brist": CHOICE, "nojd": SCALE}
    question_id = condition.split(",")[0].removeprefix("{question: ")
    questions = target[question_id] + f"\n- {{id: sen, type: yesno, prompt: 'Sen?', ask_if: {condition}}}"
    result, _ = await run(make_dialog(questions), ScriptedCallIO([*answers, "1"] if asked else answers))
    assert ("sen" in result.answers) is asked


class BargeInCallIO(ScriptedCallIO):
    """Keys pressed while the prompt plays come back from `ask` like any other input (the io's business)."""

    def __init__(self, inputs: list[str]) -> None:
        super().__init__(inputs)
        self.interrupted: list[str] = []

    async def ask(self, prompt: Any, spec: InputSpec) -> RawInput:
        raw = await super().ask(prompt, spec)
        self.interrupted.append(prompt.name)  # as if the key had cut the prompt short
        return raw


async def test_input_given_during_a_prompt_counts_like_any_other() -> None:
    script = ["9", "4", "2"]
    plain, _ = await run(make_dialog(TWO_QUESTIONS), ScriptedCallIO(script))
    barge_in_io = BargeInCallIO(script)
    barged, _ = await run(make_dialog(TWO_QUESTIONS), barge_in_io)
    assert barged == plain
    assert barge_in_io.interrupted == ["nojd.prompt", "nojd.nomatch", "lost.prompt"]


async def test_speech_without_an_interpreter_is_a_nomatch() -> None:
    io = ScriptedCallIO([RawInput("speech", "fyra", 0.8), "4"])
    result, _ = await run(make_dialog(SCALE), io)
    assert io.said[2] == "nojd.nomatch"
    assert result.answers["nojd"] == Answer("match", "dtmf", "4", "4", 1.0, score=4, attempts=2)


async def test_speech_without_an_interpreter_is_stored_as_a_speech_nomatch_when_exhausted() -> None:
    dialog = make_dialog("- {id: nojd, type: scale, prompt: 'Hur?', retries: 0}")
    result, _ = await run(dialog, ScriptedCallIO([RawInput("speech", "fyra", 0.8)]))
    assert result.answers["nojd"] == Answer("nomatch", "speech", "fyra", None, 0.8, attempts=1)


async def test_speech_is_read_by_the_interpreter() -> None:
    interpreter = FakeInterpreter()
    io = ScriptedCallIO([RawInput("speech", "hmm", 0.4), RawInput("speech", "fyra", 0.9)])
    result, _ = await run(make_dialog(SCALE), io, interpreter)
    assert result.answers["nojd"] == Answer("match", "speech", "fyra", "4", 0.9, score=4, attempts=2)
    assert [(qid, raw.utterance) for qid, raw in interpreter.seen] == [("nojd", "hmm"), ("nojd", "fyra")]
    assert io.said[2] == "nojd.nomatch"


async def test_empty_speech_is_a_noinput_without_asking_the_interpreter() -> None:
    interpreter = FakeInterpreter()
    io = ScriptedCallIO([RawInput("speech", "  ", 0.0), "2"])
    result, _ = await run(make_dialog(SCALE), io, interpreter)
    assert io.said[2] == "nojd.noinput"
    assert interpreter.seen == []
    assert result.answers["nojd"].value == "2"


async def test_keys_are_read_by_the_engine_even_with_an_interpreter() -> None:
    interpreter = FakeInterpreter()
    result, _ = await run(make_dialog(SCALE), ScriptedCallIO(["5"]), interpreter)
    assert result.answers["nojd"].value == "5"
    assert interpreter.seen == []


def with_recorded_nomatch(directory: Path) -> str:
    (directory / "forlat.wav").write_bytes(b"RIFF")
    recorded = f"nomatch: {{text: Förlåt., audio: {directory}/forlat.wav}}"
    return BASE.replace("nomatch: Det förstod jag inte.", recorded)


async def test_a_reprompt_with_an_operator_recording_is_played_before_the_question(tmp_path: Path) -> None:
    base = with_recorded_nomatch(tmp_path)
    io = ScriptedCallIO(["9", "3"])
    await run(make_dialog(SCALE, base), io)
    assert [(call.kind, call.prompt.name) for call in io.calls[1:4]] == [
        ("ask", "nojd.prompt"),
        ("play", "nojd.nomatch"),
        ("ask", "nojd.prompt"),
    ]
    assert io.calls[2].prompt.audio == tmp_path / "forlat.wav"


async def test_each_answer_is_reported_before_the_next_question_is_asked() -> None:
    io = ScriptedCallIO(["4", "1"])
    await run(make_dialog(TWO_QUESTIONS), io)
    assert io.events == [
        "io.play:intro",
        "io.ask:nojd.prompt",
        "answered:nojd",
        "io.ask:lost.prompt",
        "answered:lost",
        "io.play:goodbye",
        "finished:completed",
    ]


async def test_a_dialog_without_intro_starts_with_the_first_question() -> None:
    io = ScriptedCallIO(["3"])
    await run(make_dialog(SCALE, BASE.replace("intro: Välkommen.\n", "")), io)
    assert io.said == ["nojd.prompt", "goodbye"]


async def test_hangup_during_a_question_stores_a_hangup_answer_and_stops() -> None:
    io = ScriptedCallIO(["4", "9"], hang_up_at=3)  # intro, nojd, lost, lost.nomatch <- hang-up
    result, observer = await run(make_dialog(TWO_QUESTIONS), io)
    assert result.status == "partial"
    assert result.answers["lost"] == Answer("hangup", "dtmf", "", None, 0.0, attempts=2)
    assert observer.answers[-1] == ("lost", 2, result.answers["lost"])
    assert io.said == ["intro", "nojd.prompt", "lost.prompt", "lost.nomatch"]


async def test_hangup_after_speech_keeps_the_speech_mode() -> None:
    io = ScriptedCallIO([RawInput("speech", "kanske", 0.5)], hang_up_at=2)
    result, _ = await run(make_dialog(SCALE), io, FakeInterpreter())
    assert result.answers["nojd"] == Answer("hangup", "speech", "", None, 0.0, attempts=2)


async def test_hangup_during_a_reprompt_lead_in_is_a_hangup_of_that_question(tmp_path: Path) -> None:
    base = with_recorded_nomatch(tmp_path)
    io = ScriptedCallIO(["9"], hang_up_at=2)  # intro, nojd.prompt, nojd.nomatch (played) <- hang-up
    result, _ = await run(make_dialog(SCALE, base), io)
    assert result.status == "partial"
    assert result.answers["nojd"].status == "hangup"


async def test_hangup_during_the_recording_keeps_it_and_completes_without_goodbye() -> None:
    io = ScriptedCallIO(["4"], recording_end="hangup")
    result, observer = await run(make_dialog(SCALE + "\n" + COMMENT), io)
    assert result.status == "completed"
    assert result.comment is not None
    assert result.comment.ended_by == "hangup"
    assert observer.comments == [("kommentar", 2, result.comment)]
    assert io.said == ["intro", "nojd.prompt", "kommentar.prompt"]


async def test_hangup_while_ended_early_plays_still_ends() -> None:
    questions = "- {id: nojd, type: scale, prompt: 'Hur?', retries: 0, on_exhausted: end}"
    io = ScriptedCallIO(["9"], hang_up_at=2)  # intro, nojd.prompt, ended_early <- hang-up
    result, _ = await run(make_dialog(questions), io)
    assert result.status == "ended"
    assert result.answers["nojd"].status == "nomatch"


async def test_with_an_interpreter_a_question_offers_speech_with_the_interpreters_grammar() -> None:
    io = ScriptedCallIO(["4"])
    await run(make_dialog(SCALE), io, FakeInterpreter())
    spec = io.calls[1].spec
    assert spec is not None
    assert spec.speech is True
    assert spec.phrases == ("ett", "två", "tre", "fyra", "fem", "mycket nöjd", "fem")


async def test_a_question_with_speech_off_stays_on_the_keypad_even_with_an_interpreter() -> None:
    dialog = make_dialog("- {id: nojd, type: scale, prompt: 'Hur?', speech: false}")
    io = ScriptedCallIO(["4"])
    await run(dialog, io, FakeInterpreter())
    assert io.calls[1].spec == InputSpec(max_digits=1, timeout_s=5.0)


async def test_an_uncertain_spoken_answer_confirmed_with_ja_is_kept() -> None:
    io = ScriptedCallIO([RawInput("speech", "fyra", 0.5), RawInput("speech", "ja", 0.9)])
    result, _ = await run(make_dialog(SCALE), io, FakeYesNoInterpreter())
    assert result.answers["nojd"] == Answer("match", "speech", "fyra", "4", 0.5, score=4, attempts=1)
    assert io.said == ["intro", "nojd.prompt", "nojd.confirm.4", "goodbye"]
    assert io.calls[2].prompt.text.startswith("Jag uppfattade fyra. Stämmer det?")


async def test_a_read_back_answered_with_the_yes_key_is_kept() -> None:
    io = ScriptedCallIO([RawInput("speech", "fyra", 0.5), "1"])
    result, _ = await run(make_dialog(SCALE), io, FakeYesNoInterpreter())
    assert result.answers["nojd"].value == "4"


@pytest.mark.parametrize(
    "reply", [RawInput("speech", "nej", 0.9), RawInput("dtmf", "2"), RawInput("dtmf", "")]
)
async def test_an_uncertain_answer_not_confirmed_asks_again_after_the_rejected_lead_in(
    reply: RawInput,
) -> None:
    io = ScriptedCallIO([RawInput("speech", "fyra", 0.5), reply, "2"])
    result, _ = await run(make_dialog(SCALE), io, FakeYesNoInterpreter())
    assert io.said == ["intro", "nojd.prompt", "nojd.confirm.4", "nojd.rejected", "goodbye"]
    assert io.calls[3].prompt.text == "Då frågar jag igen. Hur nöjd är du?"
    assert result.answers["nojd"] == Answer("match", "dtmf", "2", "2", 1.0, score=2, attempts=2)


async def test_a_rejected_read_back_on_the_last_attempt_leaves_a_nomatch() -> None:
    dialog = make_dialog("- {id: nojd, type: scale, prompt: 'Hur?', retries: 0}")
    io = ScriptedCallIO([RawInput("speech", "fyra", 0.5), RawInput("speech", "nej", 0.9)])
    result, _ = await run(dialog, io, FakeYesNoInterpreter())
    assert result.answers["nojd"] == Answer("nomatch", "speech", "fyra", None, 0.5, attempts=1)


async def test_confident_speech_and_keys_are_never_read_back() -> None:
    io = ScriptedCallIO([RawInput("speech", "fyra", 0.95), "3"])
    await run(make_dialog(SCALE + "\n" + SCALE.replace("nojd", "igen")), io, FakeYesNoInterpreter())
    assert io.said == ["intro", "nojd.prompt", "igen.prompt", "goodbye"]


async def test_confirm_below_zero_turns_read_backs_off() -> None:
    base = BASE.replace("retries: 1,", "retries: 1, confirm_below: 0,")
    io = ScriptedCallIO([RawInput("speech", "fyra", 0.1)])
    result, _ = await run(make_dialog(SCALE, base), io, FakeYesNoInterpreter())
    assert result.answers["nojd"].value == "4"
    assert io.said == ["intro", "nojd.prompt", "goodbye"]


async def test_a_hangup_during_the_read_back_stores_a_hangup() -> None:
    io = ScriptedCallIO([RawInput("speech", "fyra", 0.5)], hang_up_at=2)
    result, _ = await run(make_dialog(SCALE), io, FakeYesNoInterpreter())
    assert result.status == "partial"
    assert result.answers["nojd"].status == "hangup"


async def run_outbound(dialog: Dialog, io: ScriptedCallIO) -> tuple[DialogResult, RecordingObserver]:
    observer = RecordingObserver(io.events)
    result = await DialogEngine(dialog, io, observer, outbound=True).run()
    assert io.calls_after_hangup == []
    return result, observer


async def test_an_outbound_survey_greets_asks_consent_and_then_runs_without_the_intro() -> None:
    io = ScriptedCallIO(["1", "4"])
    result, observer = await run_outbound(make_dialog(SCALE), io)
    assert io.said == ["outbound.greeting", "samtycke.prompt", "nojd.prompt", "goodbye"]
    assert result.status == "completed"
    assert result.answers["samtycke"] == Answer("match", "dtmf", "1", "ja", 1.0, score=1)
    assert [(qid, position) for qid, position, _ in observer.answers] == [("samtycke", 0), ("nojd", 1)]


@pytest.mark.parametrize("reply", ["2", ""])
async def test_without_a_yes_the_outbound_survey_says_declined_and_asks_nothing(reply: str) -> None:
    io = ScriptedCallIO([reply] * 3)
    result, _ = await run_outbound(make_dialog(SCALE), io)
    assert io.said[0] == "outbound.greeting"
    assert io.said[-1] == "outbound.declined"
    assert "nojd.prompt" not in io.said
    assert "goodbye" not in io.said
    assert result.status == "ended"
    assert result.answers["samtycke"].value == ("nej" if reply else None)


async def test_a_hangup_during_the_consent_leaves_a_partial_survey() -> None:
    io = ScriptedCallIO([], hang_up_at=1)
    result, _ = await run_outbound(make_dialog(SCALE), io)
    assert result.status == "partial"
    assert result.answers["samtycke"].status == "hangup"
