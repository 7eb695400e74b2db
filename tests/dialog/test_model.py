"""The dialog model on its own: the prompts a dialog can say, its version, and ask_if evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from ivr.dialog.io import Answer, Prompt
from ivr.dialog.model import Dialog, KeypadQuestionBase

SURVEY = """
id: test
purpose: survey
intro: Hej.
defaults: {noinput: Inget svar., nomatch: Fel svar.}
questions:
  - {id: helhet, type: scale, prompt: Helheten, nomatch: Tryck 1 till 5.}
  - {id: varfor, type: choice, prompt: Varför, ask_if: {question: helhet, at_most: 2},
     options: [{key: 1, value: vantan}, {key: 2, value: annat}]}
  - {id: kommentar, type: comment, prompt: Säg något}
ended_early: Vi slutar.
goodbye: Hej då.
"""


def dialog_from(text: str, **changes: Any) -> Dialog:
    data = yaml.safe_load(text)
    data.update(changes)
    return Dialog.model_validate(data)


CONSENT = (
    "Vill du svara på några korta frågor? Det tar ungefär en minut. "
    "Säg ja eller nej, eller tryck 1 för ja och 2 för nej."
)
KEYPAD_ONLY = {"noinput": "Inget svar.", "nomatch": "Fel svar.", "speech": False}


def test_prompts_lists_everything_the_dialog_can_say_by_name() -> None:
    prompts = dialog_from(SURVEY, defaults=KEYPAD_ONLY).prompts()
    assert [(prompt.name, prompt.text) for prompt in prompts] == [
        ("intro", "Hej."),
        ("helhet.prompt", "Helheten"),
        ("helhet.noinput", "Inget svar. Helheten"),
        ("helhet.nomatch", "Tryck 1 till 5. Helheten"),
        ("varfor.prompt", "Varför"),
        ("varfor.noinput", "Inget svar. Varför"),
        ("varfor.nomatch", "Fel svar. Varför"),
        ("kommentar.prompt", "Säg något"),
        ("ended_early", "Vi slutar."),
        ("goodbye", "Hej då."),
        (
            "outbound.greeting",
            "Hej! Du ringde nyss till kommunens kontaktcenter, och vi vill gärna veta hur det gick.",
        ),
        ("outbound.declined", "Det går bra. Vi hör inte av oss om det här igen. Ha en fin dag!"),
        ("samtycke.prompt", CONSENT),
        ("samtycke.noinput", f"Inget svar. {CONSENT}"),
        ("samtycke.nomatch", f"Fel svar. {CONSENT}"),
    ]
    assert all(prompt.audio is None for prompt in prompts)


def test_prompts_of_speech_questions_include_each_read_back_and_the_rejected_reprompt() -> None:
    dialog = dialog_from(SURVEY, defaults={"confirm": "Sa du {svar}?", "rejected": "Igen."})
    said = {prompt.name: prompt.text for prompt in dialog.prompts()}
    assert [said[f"helhet.confirm.{value}"] for value in range(1, 6)] == [
        "Sa du ett?",
        "Sa du två?",
        "Sa du tre?",
        "Sa du fyra?",
        "Sa du fem?",
    ]
    assert said["varfor.confirm.vantan"] == "Sa du vantan?"
    assert said["helhet.rejected"] == "Igen. Helheten"
    assert said["varfor.rejected"] == "Igen. Varför"


def test_a_question_can_turn_speech_off_and_then_has_no_read_backs() -> None:
    dialog = dialog_from(
        SURVEY, questions=[{"id": "helhet", "type": "scale", "prompt": "Helheten", "speech": False}]
    )
    names = [prompt.name for prompt in dialog.prompts() if not prompt.name.startswith("samtycke.")]
    assert not any(".confirm." in name or name.endswith(".rejected") for name in names)
    assert dialog.accepts_speech(dialog.questions[0]) is False  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["Sa du fyra?", "Sa du {svar} eller {svar}?", "Sa du {svaret}?"])
def test_the_confirm_text_needs_the_answer_placeholder_exactly_once(text: str) -> None:
    with pytest.raises(ValidationError, match=r"\{svar\} exactly once"):
        dialog_from(SURVEY, defaults={"confirm": text})


def test_a_choice_is_read_back_by_its_first_word() -> None:
    dialog = dialog_from(
        SURVEY,
        questions=[
            {
                "id": "brist",
                "type": "choice",
                "prompt": "Vad?",
                "options": [
                    {"key": 1, "value": "vantetid", "words": ["väntetiden", "kön"]},
                    {"key": 2, "value": "ingen_hjalp"},
                ],
            }
        ],
    )
    question = dialog.questions[0]
    assert isinstance(question, KeypadQuestionBase)
    assert dialog.confirm_prompt(question, "vantetid") == Prompt(
        "Jag uppfattade väntetiden. Stämmer det? Säg ja eller nej, eller tryck 1 för ja och 2 för nej.",
        name="brist.confirm.vantetid",
    )
    confirm = dialog.confirm_prompt(question, "ingen_hjalp")
    assert confirm is not None
    assert confirm.text.startswith("Jag uppfattade ingen hjalp.")


def test_prompts_with_recordings_list_the_lead_in_and_the_question_apart(tmp_path: Path) -> None:
    (tmp_path / "fel.wav").write_bytes(b"RIFF")
    (tmp_path / "helhet.wav").write_bytes(b"RIFF")
    dialog = dialog_from(
        SURVEY,
        defaults={"nomatch": {"text": "Fel svar.", "audio": str(tmp_path / "fel.wav")}},
        questions=[
            {
                "id": "helhet",
                "type": "scale",
                "prompt": {"text": "Helheten", "audio": str(tmp_path / "helhet.wav")},
            }
        ],
    )
    named = {(prompt.name, prompt.text, prompt.audio) for prompt in dialog.prompts()}
    assert ("helhet.prompt", "Helheten", tmp_path / "helhet.wav") in named
    assert ("helhet.nomatch", "Fel svar.", tmp_path / "fel.wav") in named
    assert ("helhet.noinput", "Jag hörde inget svar.", None) in named  # a lead-in: the question is recorded
    helhet = dialog.questions[0]
    assert isinstance(helhet, KeypadQuestionBase)
    reprompt = dialog.reprompt(helhet, "noinput")
    assert reprompt.lead_in == Prompt("Jag hörde inget svar.", None, "helhet.noinput")
    assert reprompt.ask == Prompt("Helheten", tmp_path / "helhet.wav", "helhet.prompt")


def test_folded_text_becomes_one_line() -> None:
    dialog = dialog_from(SURVEY, goodbye="Tack   för\nditt svar.\n")
    assert dialog.goodbye_prompt().text == "Tack för ditt svar."


def test_a_dialog_built_from_data_has_a_stable_version() -> None:
    assert dialog_from(SURVEY).version == dialog_from(SURVEY).version
    assert dialog_from(SURVEY).version != dialog_from(SURVEY, goodbye="Adjö.").version


def test_dialogs_are_immutable() -> None:
    dialog = dialog_from(SURVEY)
    with pytest.raises(ValidationError):
        dialog.goodbye = dialog.defaults.noinput  # type: ignore[misc]


def match(value: str, score: int | None) -> Answer:
    return Answer("match", "dtmf", value, value, 1.0, score=score)


@pytest.mark.parametrize(
    ("answers", "asked"),
    [
        ({"helhet": match("2", 2)}, True),
        ({"helhet": match("3", 3)}, False),
        ({"helhet": Answer("nomatch", "dtmf", "9", None, 1.0)}, False),
        ({"helhet": Answer("hangup", "dtmf", "", None, 0.0)}, False),
        ({}, False),
    ],
)
def test_should_ask_follows_ask_if(answers: dict[str, Answer], asked: bool) -> None:
    dialog = dialog_from(SURVEY)
    assert dialog.should_ask(dialog.question("varfor"), answers) is asked
    assert dialog.should_ask(dialog.question("helhet"), answers) is True


def test_effective_settings_come_from_the_question_or_the_defaults() -> None:
    dialog = dialog_from(SURVEY, defaults={"retries": 1, "timeout_s": 4, "on_exhausted": "end"})
    helhet = dialog.question("helhet")
    assert isinstance(helhet, KeypadQuestionBase)
    assert dialog.retries(helhet) == 1
    assert dialog.on_exhausted(helhet) == "end"
    own = dialog_from(
        SURVEY,
        questions=[{"id": "q", "type": "number", "prompt": "Hur", "max": 99, "retries": 0, "timeout_s": 9}],
    ).questions[0]
    assert isinstance(own, KeypadQuestionBase)
    spec = dialog.input_spec(own)
    assert (spec.max_digits, spec.timeout_s, spec.phrases) == (2, 9.0, ())
    assert dialog.retries(own) == 0
