"""Reading Rasa's NLU YAML: the project's own files, the annotation forms, and broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.nlu.data import NluDataError, data_fingerprint, load_examples, load_file, parse_annotated
from ivr.nlu.labels import AREAS, SENTIMENTS

from .support import HELD_OUT, NLU_DATA


def test_the_project_data_has_enough_examples_of_every_label() -> None:
    examples = load_examples([NLU_DATA])
    for sentiment in SENTIMENTS:
        assert sum(e.sentiment == sentiment for e in examples) >= 60, sentiment
    for area in AREAS:
        assert sum(area in e.areas for e in examples) >= 40, area
    mixed = [e for e in examples if len({s.sentiment for s in e.spans}) > 1]
    assert len(mixed) >= 20


def test_the_held_out_comments_are_never_in_the_training_data() -> None:
    training = {e.text for e in load_examples([NLU_DATA])}
    held_out = load_examples([HELD_OUT])
    assert len(held_out) >= 60
    assert not training & {e.text for e in held_out}
    assert not any(path.resolve() == HELD_OUT.resolve() for path in NLU_DATA.rglob("*"))


def test_annotations_with_roles_keep_the_plain_text_and_the_offsets() -> None:
    text, spans = parse_annotated(
        'eh [hon var trevlig]{"entity": "handlaggaren", "role": "positiv"} men [vänta](vantetid) länge'
    )
    assert text == "eh hon var trevlig men vänta länge"
    assert spans == [(3, 18, "handlaggaren", "positiv"), (23, 28, "vantetid", None)]
    assert text[3:18] == "hon var trevlig"


def test_all_example_forms_of_rasa_are_read(tmp_path: Path) -> None:
    path = tmp_path / "nlu.yml"
    path.write_text(
        'version: "3.1"\n'
        "nlu:\n"
        "  - intent: negativ\n"
        "    examples: |\n"
        "      - [appen](digitala_tjanster:app) kraschar\n"
        "  - intent: positiv\n"
        "    examples:\n"
        "      - text: |\n"
        "          bra [kö](vantetid)\n"
        "  - synonym: app\n"
        "    examples: |\n"
        "      - appen\n",
        encoding="utf-8",
    )
    examples = load_file(path)
    assert [(e.text, e.sentiment, e.areas) for e in examples] == [
        ("appen kraschar", "negativ", ("digitala_tjanster",)),
        ("bra kö", "positiv", ("vantetid",)),
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("nlu:\n  - intent: positiv\n    examples: |\n      - bra\n   - dålig: [\n", "not valid YAML"),
        ("version: '3.1'\n", "top-level `nlu:` list"),
        ("nlu:\n  - intent: glad\n    examples: |\n      - bra\n", "unknown sentiment 'glad'"),
        ("nlu:\n  - intent: positiv\n    examples: |\n      - [bra](trafik)\n", "unknown area 'trafik'"),
        ('nlu:\n  - intent: positiv\n    examples: |\n      - [bra]{"entity": }\n', "not valid JSON"),
        ("nlu:\n  - intent: positiv\n    examples: |\n      - [bra](vantetid\n", "malformed"),
        ("nlu:\n  - intent: positiv\n    examples: |\n      bra\n", "does not start with '- '"),
        ("nlu:\n  - intent: positiv\n", "has no `examples:`"),
    ],
)
def test_a_broken_file_is_reported_with_its_name(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "trasig.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(NluDataError) as caught:
        load_file(path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NluDataError, match="no such file"):
        load_examples([tmp_path / "finns-inte"])
    with pytest.raises(NluDataError, match="no NLU files"):
        load_examples([tmp_path])


def test_the_fingerprint_changes_with_the_content(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("nlu: []\n", encoding="utf-8")
    before = data_fingerprint([tmp_path])
    assert data_fingerprint([tmp_path]) == before
    (tmp_path / "a.yml").write_text("nlu: [] # changed\n", encoding="utf-8")
    assert data_fingerprint([tmp_path]) != before
