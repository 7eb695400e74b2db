"""The interpreter beyond the table: confidence, thresholds, noinput, the YAML winning, grammars."""

from __future__ import annotations

import pytest

from ivr.dialog.engine import AnswerInterpreter
from ivr.dialog.io import RawInput
from ivr.dialog.model import Defaults, Dialog, KeypadQuestion, ScaleQuestion
from ivr.speech.understanding import REJECT_BELOW, SwedishAnswerInterpreter
from ivr.speech.understanding.text import sound_key
from ivr.speech.understanding.vocabulary import NO_PHRASES, SCALE_PHRASES, YES_PHRASES

CONFIRM_BELOW = Defaults().confirm_below


def heard(text: str, confidence: float = 1.0) -> RawInput:
    return RawInput("speech", text, confidence)


@pytest.fixture
def interpreter() -> SwedishAnswerInterpreter:
    return SwedishAnswerInterpreter()


def test_it_is_the_engines_answer_interpreter(interpreter: SwedishAnswerInterpreter) -> None:
    engine_side: AnswerInterpreter = interpreter
    assert engine_side.grammar is not None


@pytest.mark.parametrize("said", ["", "   ", "\t", "\n"])
def test_nothing_said_is_noinput(
    interpreter: SwedishAnswerInterpreter, questions: dict[str, KeypadQuestion], said: str
) -> None:
    answer = interpreter.interpret(questions["bemotande"], heard(said))
    assert (answer.status, answer.value, answer.mode) == ("noinput", None, "speech")


def test_confidence_combines_the_recogniser_and_the_match(
    interpreter: SwedishAnswerInterpreter, questions: dict[str, KeypadQuestion]
) -> None:
    scale = questions["bemotande"]
    exact = interpreter.interpret(scale, heard("fyra", 0.8)).confidence
    assert exact == pytest.approx(0.8)
    misheard = interpreter.interpret(scale, heard("fira", 0.8)).confidence
    assert 0.5 < misheard < exact
    with_other_words = interpreter.interpret(scale, heard("fyra för hon var trevlig", 0.8)).confidence
    assert with_other_words < exact
    assert interpreter.interpret(scale, heard("fyra", 0.4)).confidence < misheard


def test_below_the_reject_threshold_is_nomatch(
    interpreter: SwedishAnswerInterpreter, questions: dict[str, KeypadQuestion]
) -> None:
    scale = questions["bemotande"]
    assert interpreter.interpret(scale, heard("fyra", REJECT_BELOW + 0.01)).status == "match"
    rejected = interpreter.interpret(scale, heard("fyra", REJECT_BELOW - 0.01))
    assert (rejected.status, rejected.value) == ("nomatch", None)
    strict = SwedishAnswerInterpreter(reject_below=0.95)
    assert strict.interpret(scale, heard("fira", 1.0)).status == "nomatch"
    assert strict.interpret(scale, heard("fyra", 1.0)).status == "match"


def test_confirmation_is_asked_between_the_thresholds(
    interpreter: SwedishAnswerInterpreter, questions: dict[str, KeypadQuestion], survey: Dialog
) -> None:
    assert REJECT_BELOW < CONFIRM_BELOW < 1
    scale = questions["bemotande"]
    assert not survey.reads_back(scale, interpreter.interpret(scale, heard("fyra", 0.95)))
    unsure = interpreter.interpret(scale, heard("fyra", CONFIRM_BELOW - 0.1))
    assert unsure.status == "match"
    assert survey.reads_back(scale, unsure)
    assert not survey.reads_back(scale, interpreter.interpret(scale, heard("sex", 0.5)))


def test_thresholds_are_confidences() -> None:
    with pytest.raises(ValueError, match="reject_below is a confidence from 0 to 1"):
        SwedishAnswerInterpreter(reject_below=1.5)
    with pytest.raises(ValueError, match="reject_below"):
        SwedishAnswerInterpreter(reject_below=-0.1)


def test_the_yaml_words_win_over_the_built_in_phrases(interpreter: SwedishAnswerInterpreter) -> None:
    plain = ScaleQuestion.model_validate({"id": "q", "type": "scale", "prompt": "Hur var det?"})
    own = ScaleQuestion.model_validate(
        {"id": "q", "type": "scale", "prompt": "Hur var det?", "words": {2: ["sådär"], 5: ["nöjd"]}}
    )
    assert "sådär" in SCALE_PHRASES[3]
    assert "nöjd" in SCALE_PHRASES[4]
    assert interpreter.interpret(plain, heard("sådär")).value == "3"
    assert interpreter.interpret(own, heard("sådär")).value == "2"
    assert interpreter.interpret(own, heard("så där")).value == "2"
    assert interpreter.interpret(plain, heard("nöjd")).value == "4"
    assert interpreter.interpret(own, heard("nöjd")).value == "5"
    assert interpreter.interpret(own, heard("inte nöjd")).value == "2", "a longer phrase still wins"


def test_which_phrase_matched_is_told(
    interpreter: SwedishAnswerInterpreter, questions: dict[str, KeypadQuestion]
) -> None:
    understood = interpreter.understand(questions["bemotande"], heard("eh jag är inte så nöjd"))
    assert [(hit.heard, hit.phrase.text, hit.phrase.source) for hit in understood.matched] == [
        ("inte så nöjd", "inte så nöjd", "built-in")
    ]
    two = interpreter.understand(questions["bemotande"], heard("fyra eller fem"))
    assert "more than one answer" in two.reason


def test_scale_grammar_has_the_yaml_words_and_numbers_of_its_range(
    interpreter: SwedishAnswerInterpreter, questions: dict[str, KeypadQuestion]
) -> None:
    grammar = interpreter.grammar(questions["bemotande"])
    for phrase in ["mycket nöjd", "varken eller", "fyran", "ett", "en", "två", "tre", "fyra", "fem", "femma"]:
        assert phrase in grammar
    assert "sex" not in grammar
    assert "noll" not in grammar
    assert "jättenöjd" in grammar
    assert "inte alls nöjd" in grammar
    assert "ja" not in grammar


def test_yes_no_grammar_has_the_variants_and_the_keys(
    interpreter: SwedishAnswerInterpreter, questions: dict[str, KeypadQuestion]
) -> None:
    grammar = interpreter.grammar(questions["losning"])
    assert grammar[:2] == ("ja", "nej")
    sounds = {sound_key(phrase) for phrase in grammar}
    assert all(sound_key(phrase) in sounds for phrase in (*YES_PHRASES, *NO_PHRASES))
    assert "jaa" not in grammar, "it sounds like the YAML's ja, which the grammar has"
    assert {"ett", "två"} <= set(grammar)
    assert {"gärna", "helst inte"} <= set(interpreter.grammar(questions["omvand"]))


def test_choice_grammar_has_the_option_words_and_the_keys(
    interpreter: SwedishAnswerInterpreter, questions: dict[str, KeypadQuestion]
) -> None:
    grammar = interpreter.grammar(questions["brist"])
    assert {
        "väntetiden",
        "kön",
        "fick inte hjälp",
        "något annat",
        "tvåan",
        "nummer två",
        "alternativ fyra",
    } <= set(grammar)
    assert "fem" not in grammar
    assert "e post" in interpreter.grammar(questions["kanal"]), "written as a recogniser writes it"


def test_number_grammar_has_every_number_of_its_range(
    interpreter: SwedishAnswerInterpreter, questions: dict[str, KeypadQuestion]
) -> None:
    grammar = interpreter.grammar(questions["antal"])
    assert {"noll", "tjugotre", "tjugo tre", "hundra", "etthundra", "nittionio"} <= set(grammar)
    assert "hundraett" not in grammar


@pytest.mark.parametrize(
    "question_id", ["bemotande", "kunskap", "losning", "brist", "antal", "kanal", "omvand"]
)
def test_grammars_are_lower_case_unique_and_without_unk(
    interpreter: SwedishAnswerInterpreter, questions: dict[str, KeypadQuestion], question_id: str
) -> None:
    grammar = interpreter.grammar(questions[question_id])
    assert grammar
    assert len(grammar) == len(set(grammar))
    assert all(phrase == phrase.lower() == " ".join(phrase.split()) and phrase for phrase in grammar)
    assert "[unk]" not in grammar
    assert all(not any(mark in phrase for mark in ",.-?!") for phrase in grammar)


def test_every_grammar_phrase_is_understood_as_itself(
    interpreter: SwedishAnswerInterpreter, questions: dict[str, KeypadQuestion]
) -> None:
    """Whatever the recogniser may return for a question, the interpreter reads: no grammar phrase is lost."""
    for question_id in ["bemotande", "kunskap", "losning", "brist", "antal"]:
        question = questions[question_id]
        for phrase in interpreter.grammar(question):
            answer = interpreter.interpret(question, heard(phrase))
            assert answer.status == "match", (question_id, phrase)
            assert answer.confidence >= CONFIRM_BELOW, (question_id, phrase)
