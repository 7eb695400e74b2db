"""The embedded engine, trained from the project's own nlu/data."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ivr.nlu.data import load_examples
from ivr.nlu.embedded import EmbeddedClassifier
from ivr.nlu.labels import SENTIMENTS

from .support import HELD_OUT, NLU_DATA


@pytest.fixture(scope="module")
def classifier() -> EmbeddedClassifier:
    return EmbeddedClassifier.from_data(NLU_DATA)


@pytest.mark.parametrize(
    ("comment", "sentiment", "area"),
    [
        ("hon var jättetrevlig och hjälpte mig direkt", "positiv", "handlaggaren"),
        ("eh jag fick vänta i kön alldeles för länge", "negativ", "vantetid"),
        ("e tjänsten funkar inte alls", "negativ", "digitala_tjanster"),
        ("snöröjningen har varit jättebra i vinter", "positiv", "kommunala_tjanster"),
        ("jag vet inte om det kommer att bli gjort vi får se", "skeptisk", None),
    ],
)
def test_clear_comments_get_their_labels(
    classifier: EmbeddedClassifier, comment: str, sentiment: str, area: str | None
) -> None:
    result = classifier.classify(comment)
    assert result.sentiment == sentiment
    if area is not None:
        assert area in result.areas
    assert result.ranking[0].name == result.sentiment
    assert sorted(score.name for score in result.ranking) == sorted(SENTIMENTS)
    assert abs(sum(score.confidence for score in result.ranking) - 1.0) < 1e-6


def test_a_mixed_comment_gets_a_sentiment_per_area(classifier: EmbeddedClassifier) -> None:
    result = classifier.classify("hon var trevlig men jag fick vänta alldeles för länge")
    assert result.by_area == {"handlaggaren": "positiv", "vantetid": "negativ"}
    assert result.areas == ("handlaggaren", "vantetid")
    assert result.sentiment == "negativ"  # what follows "men" carries the comment


def test_the_held_out_comments_are_classified_well(classifier: EmbeddedClassifier) -> None:
    held_out = load_examples([HELD_OUT])
    assert not classifier.training_texts & {e.text for e in held_out}
    results = classifier.classify_many([e.text for e in held_out])
    correct = sum(r.sentiment == e.sentiment for r, e in zip(results, held_out, strict=True))
    assert correct / len(held_out) >= 0.8


def test_personal_data_is_masked_before_classifying(classifier: EmbeddedClassifier) -> None:
    result = classifier.classify("ring mig på 070-123 45 67 hon var så trevlig")
    assert "070" not in result.text
    assert "[TELEFONNUMMER]" in result.text


def test_the_model_is_cached_while_the_data_is_unchanged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "nlu.yml").write_text((NLU_DATA / "positiv.yml").read_text(encoding="utf-8"), encoding="utf-8")
    (data / "neg.yml").write_text((NLU_DATA / "negativ.yml").read_text(encoding="utf-8"), encoding="utf-8")
    started = time.perf_counter()
    first = EmbeddedClassifier.from_data(data)
    assert time.perf_counter() - started < 10
    assert EmbeddedClassifier.from_data(data) is first
    with (data / "neg.yml").open("a", encoding="utf-8") as extra:
        extra.write("      - det var uselt\n")
    assert EmbeddedClassifier.from_data(data) is not first


def test_empty_training_data_is_refused() -> None:
    with pytest.raises(ValueError, match="no training examples"):
        EmbeddedClassifier([])
