"""Swedish number words to whole numbers: the inverse of the words the bot speaks (`ivr.speech.swedish`)."""

from __future__ import annotations

import pytest

from ivr.speech.swedish import number_words
from ivr.speech.understanding.numbers import cardinal_value, find_numbers, spoken_forms, word_value
from ivr.speech.understanding.text import words


@pytest.mark.parametrize("value", [*range(0, 1000), 1000, 1001, 1999, 2024, 21_000, 100_000, 999_999])
def test_every_number_the_bot_says_reads_back(value: int) -> None:
    for gender in ("neuter", "common"):
        assert cardinal_value(number_words(value, gender)) == value


@pytest.mark.parametrize("value", [21, 100, 123, 1000, 1100, 4567])
def test_each_spoken_form_reads_back_as_one_number(value: int) -> None:
    for form in spoken_forms(value):
        found = find_numbers(words(form))
        assert [(number.value, number.end - number.start) for number in found] == [(value, len(form.split()))]


@pytest.mark.parametrize(
    ("text", "value"),
    [("tjugo tre", 23), ("hundra", 100), ("hundratjugo", 120), ("två hundra femtio", 250), ("tusen", 1000)],
)
def test_cardinals_said_apart_or_without_ett(text: str, value: int) -> None:
    assert cardinal_value(text) == value


@pytest.mark.parametrize(
    "text", ["tre tjugo", "fyra fem", "tjugotjugo", "hundrahundra", "nolltre", "tjugo tolv"]
)
def test_word_sequences_that_are_no_single_number(text: str) -> None:
    assert cardinal_value(text) is None


@pytest.mark.parametrize(
    ("word", "value"),
    [("fyran", 4), ("tvåa", 2), ("nian", 9), ("tia", 10), ("nolla", 0), ("tredje", 3), ("tionde", 10)],
)
def test_names_of_digits_and_ordinals(word: str, value: int) -> None:
    assert word_value(word) == (value, 1.0)


@pytest.mark.parametrize(
    ("word", "value"), [("fira", 4), ("fämm", 5), ("femm", 5), ("tjugu", 20), ("sjutonn", 17)]
)
def test_misheard_numbers_are_read_with_less_certainty(word: str, value: int) -> None:
    found = word_value(word)
    assert found is not None
    assert found[0] == value
    assert 0.5 < found[1] < 1.0


@pytest.mark.parametrize("word", ["tror", "fel", "jag", "sextin", "hej", "kön"])
def test_words_that_are_not_numbers_or_too_unsure(word: str) -> None:
    assert word_value(word) is None


def test_decimals_are_found_as_numbers_that_are_not_whole() -> None:
    assert [number.value for number in find_numbers(words("sju komma fem"))] == [None]
    assert [number.value for number in find_numbers(words("7,5"))] == [None]
    assert None in [number.value for number in find_numbers(words("sju och en halv"))]


def test_en_and_ett_on_their_own_are_weak_as_they_are_also_articles() -> None:
    found = find_numbers(words("det blir en fyra"))
    assert [(number.value, number.weak) for number in found] == [(1, True), (4, False)]
    assert [number.weak for number in find_numbers(words("tjugoen"))] == [False]
