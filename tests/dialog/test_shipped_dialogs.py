"""The dialogs shipped in dialogs/: they load cleanly; the default survey survives a hang-up at every step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ivr.dialog.engine import DialogEngine, DialogResult
from ivr.dialog.io import Answer, RawInput
from ivr.dialog.loader import check_paths, dialog_json_schema, load_dialog
from ivr.dialog.model import (
    ChoiceQuestion,
    CommentQuestion,
    Dialog,
    NumberQuestion,
    ScaleQuestion,
    YesNoQuestion,
)
from ivr.dialog.registry import DialogRegistry

from .fakes import RecordingObserver, ScriptedCallIO

DIALOGS = Path(__file__).resolve().parents[2] / "dialogs"
COMMENT_SENTENCE = "Säg gärna med egna ord vad du tyckte, och tryck fyrkant när du är klar."

# A full run with reprompts and the follow-up: every io call the default survey can make appears in it.
FULL_SCRIPT: list[RawInput | str] = ["", "4", "9", "5", "2", "", "*", "3", "4", "2", "3"]
FULL_TRACE = [
    "intro",
    "bemotande.prompt",
    "bemotande.noinput",
    "kunskap.prompt",
    "kunskap.nomatch",
    "losning.prompt",
    "vantetid.prompt",
    "vantetid.noinput",
    "vantetid.nomatch",
    "tillganglighet.prompt",
    "helhet.prompt",
    "brist.prompt",
    "kommentar.prompt",
    "goodbye",
]


@pytest.fixture(scope="module")
def survey() -> Dialog:
    return load_dialog(DIALOGS / "default" / "survey.yaml")


async def run(dialog: Dialog, io: ScriptedCallIO) -> tuple[DialogResult, RecordingObserver]:
    observer = RecordingObserver()
    result = await DialogEngine(dialog, io, observer).run()
    assert io.calls_after_hangup == [], "the engine touched the io after the hang-up"
    assert observer.statuses == [result.status]
    assert {qid: answer for qid, _, answer in observer.answers} == result.answers
    return result, observer


def test_the_shipped_dialogs_have_no_errors_or_warnings() -> None:
    assert [str(problem) for problem in check_paths(sorted(DIALOGS.glob("*/survey.yaml")))] == []


def test_the_registry_serves_the_default_and_the_norrtalje_survey(tmp_path: Path) -> None:
    for survey in DIALOGS.glob("*/survey.yaml"):  # the other documents there are the apps' business
        (tmp_path / survey.parent.name).mkdir()
        (tmp_path / survey.parent.name / survey.name).write_bytes(survey.read_bytes())
    registry = DialogRegistry(tmp_path)
    assert registry.load() == []
    assert registry.available() == [("default", "survey"), ("norrtalje", "survey")]
    assert registry.get("survey", "norrtalje").id == "norrtalje-enkat"
    assert registry.get("survey", "sundsvall").id == "kontaktcenter-enkat"


def test_the_committed_schema_file_is_current() -> None:
    committed = json.loads((DIALOGS / "dialog.schema.json").read_text(encoding="utf-8"))
    assert committed == dialog_json_schema(), "regenerate it: ivr dialogs schema > dialogs/dialog.schema.json"


def test_the_default_survey_asks_what_municipalities_measure(survey: Dialog) -> None:
    kinds = [(question.id, type(question)) for question in survey.questions]
    assert kinds == [
        ("bemotande", ScaleQuestion),
        ("kunskap", ScaleQuestion),
        ("losning", YesNoQuestion),
        ("vantetid", ScaleQuestion),
        ("tillganglighet", ScaleQuestion),
        ("helhet", ScaleQuestion),
        ("brist", ChoiceQuestion),
        ("kommentar", CommentQuestion),
    ]
    for question in survey.questions:
        if isinstance(question, ScaleQuestion):
            assert (question.min, question.max) == (1, 5)
            assert "1" in question.prompt.text
            assert "5" in question.prompt.text
    losning = survey.question("losning")
    assert isinstance(losning, YesNoQuestion)
    assert (losning.yes_key, losning.no_key) == ("1", "2")
    assert "1 för ja" in losning.prompt.text
    assert "2 för nej" in losning.prompt.text
    brist = survey.question("brist")
    assert isinstance(brist, ChoiceQuestion)
    assert brist.prompt.text.startswith("Vad var det främst som inte fungerade?")
    assert 3 <= len(brist.options) <= 4
    assert brist.ask_if is not None
    assert (brist.ask_if.question, brist.ask_if.at_most) == ("helhet", 2)
    assert survey.question("kommentar").prompt.text.endswith(COMMENT_SENTENCE)


def test_the_norrtalje_survey_asks_how_likely_a_recommendation_is() -> None:
    dialog = load_dialog(DIALOGS / "norrtalje" / "survey.yaml")
    question = dialog.question("rekommendation")
    assert isinstance(question, NumberQuestion)
    assert (question.min, question.max, question.max_digits()) == (0, 10, 2)
    assert "rekommendera kontaktcentret till en vän" in question.prompt.text
    assert dialog.questions[-1].prompt.text.endswith(COMMENT_SENTENCE)


async def test_a_full_run_of_the_default_survey(survey: Dialog) -> None:
    io = ScriptedCallIO(FULL_SCRIPT)
    result, observer = await run(survey, io)
    assert io.said == FULL_TRACE
    assert result.status == "completed"
    assert {qid: (a.status, a.value, a.attempts) for qid, a in result.answers.items()} == {
        "bemotande": ("match", "4", 2),
        "kunskap": ("match", "5", 2),
        "losning": ("match", "nej", 1),
        "vantetid": ("match", "3", 3),
        "tillganglighet": ("match", "4", 1),
        "helhet": ("match", "2", 1),
        "brist": ("match", "ingen_hjalp", 1),
    }
    assert [position for _, position, _ in observer.answers] == [1, 2, 3, 4, 5, 6, 7]
    assert [(qid, position) for qid, position, _ in observer.comments] == [("kommentar", 8)]


async def test_a_satisfied_caller_is_not_asked_what_went_wrong(survey: Dialog) -> None:
    io = ScriptedCallIO(["5", "5", "1", "4", "5", "4"])
    result, _ = await run(survey, io)
    assert result.status == "completed"
    assert "brist" not in result.answers
    assert "brist.prompt" not in io.said


async def test_nobody_answering_the_first_question_ends_the_survey(survey: Dialog) -> None:
    io = ScriptedCallIO(["", "", ""])
    result, _ = await run(survey, io)
    assert result.status == "ended"
    assert result.answers == {"bemotande": Answer("noinput", "dtmf", "", None, 1.0, attempts=3)}
    assert io.said[-2:] == ["ended_early", "goodbye"]


@pytest.mark.parametrize(("step", "name"), list(enumerate(FULL_TRACE)))
async def test_a_hangup_at_every_step_of_the_default_survey(survey: Dialog, step: int, name: str) -> None:
    io = ScriptedCallIO(FULL_SCRIPT, hang_up_at=step)
    result, observer = await run(survey, io)
    assert io.said == FULL_TRACE[: step + 1]
    full, _ = await run(survey, ScriptedCallIO(FULL_SCRIPT))
    question_id = name.split(".")[0]
    finished_before = {
        qid: answer
        for qid, answer in full.answers.items()
        if max(i for i, said in enumerate(FULL_TRACE) if said.startswith(f"{qid}.")) < step
    }
    if name == "intro":
        assert (result.status, result.answers) == ("partial", {})
    elif name in ("kommentar.prompt", "goodbye"):
        assert (result.status, result.answers) == ("completed", full.answers)
        assert (result.comment is not None) is (name == "goodbye")
        assert len(observer.comments) == (1 if name == "goodbye" else 0)
    else:
        attempts = sum(1 for said in FULL_TRACE[: step + 1] if said.startswith(f"{question_id}."))
        hangup = Answer("hangup", "dtmf", "", None, 0.0, attempts=attempts)
        assert result.status == "partial"
        assert result.answers == {**finished_before, question_id: hangup}
        assert observer.answers[-1][0] == question_id
        assert result.comment is None


async def test_a_hangup_while_recording_the_comment_keeps_it(survey: Dialog) -> None:
    io = ScriptedCallIO(FULL_SCRIPT, recording_end="hangup")
    result, observer = await run(survey, io)
    assert result.status == "completed"
    assert result.comment is not None
    assert result.comment.ended_by == "hangup"
    assert len(observer.comments) == 1
    assert io.said == FULL_TRACE[:-1]


def test_the_readme_example_is_a_valid_dialog(tmp_path: Path) -> None:
    readme = (DIALOGS / "README.md").read_text(encoding="utf-8")
    example = readme.split("## A complete example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "malmo" / "survey.yaml"
    path.parent.mkdir()
    path.write_text(example, encoding="utf-8")
    assert check_paths([path]) == []
    assert load_dialog(path).question("brist").ask_if is not None
