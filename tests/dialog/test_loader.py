"""Loading dialog files: every mistake an operator can make gives file:line:column and a clear message."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ivr.dialog.loader import DialogError, Problem, check_paths, dialog_json_schema, load_dialog, read_dialog
from ivr.dialog.model import DialogRuleError

HEAD = "id: test\npurpose: survey\ngoodbye: Hej då.\nquestions:\n"  # questions start on line 5

FIVE_QUESTIONS = "".join(f"  - {{id: q{n}, type: scale, prompt: Fråga {n}}}\n" for n in range(1, 6))


def write(directory: Path, text: str, name: str = "survey.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    """The problems as the CLI prints them, without the file name."""
    return [str(problem).removeprefix(f"{path}:") for problem in read_dialog(path)[1]]


BROKEN = {
    "syntax error": (
        HEAD + '  - id: q1\n    type: scale\n    prompt: "Hur nöjd\n',
        [
            "8:1: YAML syntax error: found unexpected end of stream (while "
            "scanning a quoted scalar that starts on line 7)"
        ],
    ),
    "tab indentation": (
        HEAD + "\t- id: q1\n",
        [
            "5:1: YAML syntax error: found character '\\t' that cannot "
            "start any token (indent with spaces, not tabs)"
        ],
    ),
    "duplicate key": (
        HEAD + "  - id: q1\n    type: scale\n    prompt: Hur nöjd?\n    prompt: Igen?\n",
        ["8:5: duplicate key 'prompt' (first on line 7)"],
    ),
    "wrong type": (
        HEAD + "  - id: q1\n    type: scale\n    prompt: Hur?\n    timeout_s: länge\n",
        [
            "8:16: question 'q1': timeout_s: input should be a valid "
            "number, unable to parse string as a number"
        ],
    ),
    "keys 11": (
        HEAD + "  - id: q3\n    type: choice\n    prompt: Vad?\n    options:\n"
        "      - key: 1\n        value: a\n      - key: 11\n        value: b\n",
        ["11:14: question 'q3': keys must be digits 1-9 (or 0), got '11'"],
    ),
    "unknown ask_if target": (
        HEAD + "  - {id: q1, type: scale, prompt: Hur}\n"
        "  - id: q2\n    type: yesno\n    prompt: Varför\n    ask_if: {question: helhet, at_most: 2}\n",
        ["9:24: question 'q2': ask_if refers to 'helhet': no such question; use an earlier question"],
    ),
    "ask_if on a later question": (
        HEAD + "  - id: q1\n    type: scale\n    prompt: Hur\n    ask_if: {question: q2, equals: ja}\n"
        "  - {id: q2, type: yesno, prompt: Ja}\n",
        ["8:24: question 'q1': ask_if refers to 'q2': a later question or itself; use an earlier question"],
    ),
    "ask_if values that cannot match": (
        HEAD + "  - {id: q1, type: choice, prompt: Vad, options: [{key: 1, value: a}, {key: 2, value: b}]}\n"
        "  - id: q2\n    type: yesno\n    prompt: Ja\n    ask_if: {question: q1, at_most: 2, in: [a, c]}\n"
        "  - id: q3\n    type: yesno\n    prompt: Ja\n    ask_if: {question: q2, equals: kanske}\n",
        [
            "9:37: question 'q2': at_most compares scores, but 'q1' is a choice: use equals or in",
            "9:48: question 'q2': 'q1' has the options a, b; got 'c'",
            "13:36: question 'q3': 'q2' is a yes/no question; compare with ja or nej, got 'kanske'",
        ],
    ),
    "ask_if outside a scale": (
        HEAD + "  - {id: q1, type: scale, prompt: Hur}\n"
        "  - {id: q2, type: yesno, prompt: Ja, ask_if: {question: q1, at_least: 6}}\n",
        ["6:72: question 'q2': 'q1' is a scale 1..5; use a number in it, got 6"],
    ),
    "ask_if without a condition": (
        HEAD + "  - {id: q1, type: yesno, prompt: Ja}\n"
        "  - {id: q2, type: yesno, prompt: Ja, ask_if: {question: q1}}\n",
        ["6:47: question 'q2': ask_if needs a condition: at_most, at_least, equals or in"],
    ),
    "unknown field typo": (
        HEAD + "  - id: q1\n    type: scale\n    promt: Hur?\n",
        [
            "5:5: question 'q1': missing field 'prompt'",
            "7:5: question 'q1': unknown field 'promt'; did you mean 'prompt'?",
        ],
    ),
    "unknown top-level field": (
        "id: test\npurpose: survey\ngoodbye: Hej\ngodbye: Hej\nquestions:\n"
        "  - {id: q1, type: yesno, prompt: Ja}\n",
        ["4:1: unknown field 'godbye'; did you mean 'goodbye'?"],
    ),
    "comment not last": (
        HEAD + "  - id: kommentar\n    type: comment\n    prompt: Säg något.\n"
        "  - {id: q1, type: scale, prompt: Hur}\n",
        ["6:11: question 'kommentar': a comment question must be the last question"],
    ),
    "unknown question type": (
        HEAD + "  - id: q1\n    type: skala\n    prompt: Hur?\n",
        [
            "6:11: question 'q1': unknown question type 'skala'; use one "
            "of: scale, yesno, choice, number, comment"
        ],
    ),
    "question without a type": (
        HEAD + "  - id: q1\n    prompt: Hur?\n",
        ["5:5: question 'q1': a question needs a type: one of scale, yesno, choice, number, comment"],
    ),
    "min above max": (
        HEAD + "  - id: q1\n    type: scale\n    prompt: Hur?\n    min: 5\n    max: 1\n",
        ["8:10: question 'q1': min (5) must be less than max (1)"],
    ),
    "scale wider than a key": (
        HEAD + "  - {id: q1, type: scale, prompt: Hur, max: 10}\n",
        ["5:45: question 'q1': a scale's keys are digits 0-9, got 10; use type: number for wider ranges"],
    ),
    "duplicate question ids": (
        HEAD + "  - {id: q1, type: yesno, prompt: Ja}\n  - {id: q1, type: yesno, prompt: Nej}\n",
        ["6:10: question 'q1': duplicate question id 'q1' (also question 1)"],
    ),
    "duplicate option keys": (
        HEAD + "  - {id: q1, type: choice, prompt: Vad, options: [{key: 1, value: a}, {key: 1, value: b}]}\n",
        ["5:77: question 'q1': key '1' is used by two options"],
    ),
    "same yes and no key": (
        HEAD + "  - {id: q1, type: yesno, prompt: Ja, yes_key: 1, no_key: 1}\n",
        ["5:59: question 'q1': yes_key and no_key are both '1'"],
    ),
    "words key that is not a number": (
        HEAD + "  - id: q1\n    type: scale\n    prompt: Hur\n    words:\n      fem: [fem]\n",
        [
            "9:7: question 'q1': words: key 'fem': input should be a valid "
            "integer, unable to parse string as an integer"
        ],
    ),
    "not a slug": (
        HEAD + "  - {id: Helhet, type: yesno, prompt: Ja}\n",
        ["5:10: question 'Helhet': must be a slug (lowercase a-z, digits, '_' or '-'), got 'Helhet'"],
    ),
    "prompt that is not text": (
        HEAD + "  - {id: q1, type: yesno, prompt: [Ja]}\n",
        ["5:35: question 'q1': a prompt is Swedish text, or a mapping with 'text' and 'audio', got ['Ja']"],
    ),
    "empty prompt": (
        HEAD + "  - {id: q1, type: yesno, prompt: {text: '  '}}\n",
        ["5:42: question 'q1': a prompt's text must not be empty"],
    ),
    "comment end keys": (
        HEAD + "  - {id: k, type: comment, prompt: Säg, end_keys: '#A'}\n",
        ["5:51: question 'k': end_keys may hold 0-9, * and #, got 'A'"],
    ),
    "no questions": (
        "id: test\npurpose: survey\ngoodbye: Hej\nquestions: []\n",
        ["4:12: questions: list should have at least 1 item after validation, not 0"],
    ),
    "missing goodbye": (
        "id: test\npurpose: survey\nquestions:\n  - {id: q1, type: yesno, prompt: Ja}\n",
        ["1:1: missing field 'goodbye'"],
    ),
    "file name that is not the purpose": (
        "id: test\npurpose: callback\ngoodbye: Hej\nquestions:\n" + FIVE_QUESTIONS,
        ["2:10: purpose 'callback' does not match the file name; name the file callback.yaml"],
    ),
    "empty file": ("", ["1:1: the file is empty; a dialog needs id, purpose and questions"]),
    "a list instead of a mapping": (
        "- id: test\n",
        ["1:1: a dialog file must be a mapping of fields (id: ...)"],
    ),
    "two documents": (
        "id: a\n---\nid: b\n",
        ["2:1: YAML syntax error: found another document (expected a single document in the stream)"],
    ),
}


@pytest.mark.parametrize(("text", "expected"), list(BROKEN.values()), ids=list(BROKEN))
def test_a_broken_file_says_where_and_what(tmp_path: Path, text: str, expected: list[str]) -> None:
    path = write(tmp_path, text)
    assert problems_of(path) == expected
    with pytest.raises(DialogError) as raised:
        load_dialog(path)
    assert [str(problem) for problem in raised.value.problems] == [f"{path}:{line}" for line in expected]
    assert str(raised.value).startswith(f"{path}:{expected[0]}")


def test_a_file_that_is_not_utf8_says_where(tmp_path: Path) -> None:
    path = tmp_path / "survey.yaml"
    path.write_bytes(b"id: test\npurpose: survey\ngoodbye: Hej d\xe5\n")
    assert problems_of(path) == ["3:15: the file is not UTF-8 text"]


def test_a_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "survey.yaml"
    assert problems_of(path) == ["1:1: cannot read the file: No such file or directory"]


def test_a_good_file_loads_with_a_version_from_its_content(tmp_path: Path) -> None:
    text = HEAD + FIVE_QUESTIONS
    path = write(tmp_path, text)
    dialog = load_dialog(path)
    assert dialog.version == hashlib.sha256(text.encode()).hexdigest()[:12]
    assert len(dialog.version) == 12
    write(tmp_path, text + "# a comment changes the file\n")
    assert load_dialog(path).version != dialog.version


def test_too_few_questions_is_a_warning_not_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path, HEAD + "  - {id: q1, type: yesno, prompt: Ja}\n  - {id: k, type: comment, prompt: Säg}\n"
    )
    assert load_dialog(path).id == "test"
    dialog, problems = read_dialog(path)
    assert dialog is not None
    assert [str(problem) for problem in problems] == [
        f"{path}:5:3: warning: 1 question besides the comment; 5-8 are recommended"
    ]


def test_too_many_questions_is_a_warning(tmp_path: Path) -> None:
    nine = "".join(f"  - {{id: q{n}, type: yesno, prompt: Ja}}\n" for n in range(9))
    assert problems_of(write(tmp_path, HEAD + nine)) == [
        "5:3: warning: 9 questions besides the comment; 5-8 are recommended"
    ]


def test_ending_early_without_ended_early_text_is_a_warning(tmp_path: Path) -> None:
    path = write(
        tmp_path, HEAD.replace("questions:", "defaults: {on_exhausted: end}\nquestions:") + FIVE_QUESTIONS
    )
    assert problems_of(path) == [
        "3:10: warning: a question may end the dialog early, but there is no ended_early text to say first"
    ]


def test_audio_is_found_relative_to_the_yaml_file(tmp_path: Path) -> None:
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "hej.wav").write_bytes(b"RIFF")
    text = HEAD.replace("goodbye: Hej då.", "goodbye: {text: Hej då., audio: audio/hej.wav}") + FIVE_QUESTIONS
    path = write(tmp_path, text)
    assert problems_of(path) == []
    goodbye = load_dialog(path).goodbye_prompt()
    assert goodbye.audio == tmp_path / "audio" / "hej.wav"
    assert goodbye.text == "Hej då."


def test_missing_audio_is_a_warning_and_tts_is_used(tmp_path: Path) -> None:
    text = HEAD.replace("goodbye: Hej då.", "goodbye:\n  text: Hej då.\n  audio: saknas.wav") + FIVE_QUESTIONS
    path = write(tmp_path, text)
    assert problems_of(path) == [
        f"5:10: warning: audio file not found: {tmp_path / 'saknas.wav'}; text-to-speech is used instead"
    ]
    assert load_dialog(path).goodbye_prompt().audio is None


def test_check_paths_walks_directories_and_reports_every_file(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "empty").mkdir()
    good = write(tmp_path / "a", HEAD + FIVE_QUESTIONS)
    broken = write(tmp_path / "b", HEAD + "  - {id: q1, type: yesno}\n")
    warned = write(tmp_path / "b", HEAD + "  - {id: q1, type: yesno, prompt: Ja}\n", name="other.yml")
    problems = check_paths([tmp_path / "a", tmp_path / "b", tmp_path / "empty"])
    assert [(problem.path, problem.severity) for problem in problems] == [
        (warned, "error"),
        (warned, "warning"),
        (broken, "error"),
        (tmp_path / "empty", "warning"),
    ]
    assert check_paths([good]) == []


def test_problem_formats_like_a_compiler() -> None:
    assert str(Problem(Path("dialogs/survey.yaml"), 14, 7, "question 'q3': bad")) == (
        "dialogs/survey.yaml:14:7: question 'q3': bad"
    )
    assert str(Problem(Path("x.yaml"), 1, 2, "hm", "warning")) == "x.yaml:1:2: warning: hm"


def test_rules_across_questions_also_hold_without_a_file() -> None:
    from ivr.dialog.model import Dialog

    data = {
        "id": "x",
        "purpose": "survey",
        "goodbye": "Hej",
        "questions": [
            {"id": "a", "type": "yesno", "prompt": "Ja"},
            {"id": "a", "type": "yesno", "prompt": "Ja"},
        ],
    }
    with pytest.raises(DialogRuleError, match="duplicate question id 'a'"):
        Dialog.model_validate(data)


def test_the_json_schema_describes_dialog_files() -> None:
    schema = dialog_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["required"]) == {"id", "purpose", "questions", "goodbye"}
    assert schema["additionalProperties"] is False
    questions = schema["properties"]["questions"]["items"]
    assert questions["discriminator"]["propertyName"] == "type"
    assert set(questions["discriminator"]["mapping"]) == {"scale", "yesno", "choice", "number", "comment"}
    for name, definition in schema["$defs"].items():
        if definition.get("type") == "object" and "properties" in definition:
            assert definition["additionalProperties"] is False, f"{name} should forbid unknown fields"
    prompt = schema["$defs"]["ScaleQuestion"]["properties"]["prompt"]
    assert {"type": "string"} in prompt["anyOf"]
    assert schema["$defs"]["AskIf"]["properties"]["in"]["anyOf"][0]["type"] == "array"
    key = schema["$defs"]["ChoiceOption"]["properties"]["key"]
    assert {"type": "integer", "minimum": 0, "maximum": 9} in key["anyOf"]
