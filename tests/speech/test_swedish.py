"""Swedish number words and queue phrases, with the gender Swedish needs (en minut, ett samtal)."""

from __future__ import annotations

import pytest

from ivr.speech.swedish import (
    count_phrase,
    digits_words,
    minutes_phrase,
    number_words,
    position_sentence,
    wait_phrase,
    wait_sentence,
)


@pytest.mark.parametrize(
    ("number", "neuter", "common"),
    [
        (0, "noll", "noll"),
        (1, "ett", "en"),
        (2, "två", "två"),
        (7, "sju", "sju"),
        (11, "elva", "elva"),
        (18, "arton", "arton"),
        (20, "tjugo", "tjugo"),
        (21, "tjugoett", "tjugoen"),
        (34, "trettiofyra", "trettiofyra"),
        (61, "sextioett", "sextioen"),
        (99, "nittionio", "nittionio"),
        (100, "etthundra", "etthundra"),
        (101, "etthundraett", "etthundraen"),
        (245, "tvåhundrafyrtiofem", "tvåhundrafyrtiofem"),
        (1000, "ettusen", "ettusen"),
        (1001, "ettusenett", "ettusenen"),
        (2021, "tvåtusentjugoett", "tvåtusentjugoen"),
        (16885, "sextontusenåttahundraåttiofem", "sextontusenåttahundraåttiofem"),
    ],
)
def test_number_words_in_both_genders(number: int, neuter: str, common: str) -> None:
    assert number_words(number, "neuter") == neuter
    assert number_words(number, "common") == common


@pytest.mark.parametrize("number", [-1, 1_000_000])
def test_numbers_out_of_range_are_refused(number: int) -> None:
    with pytest.raises(ValueError, match="cannot say"):
        number_words(number)


def test_counting_nouns_agrees_in_gender_and_number() -> None:
    assert minutes_phrase(1) == "en minut"
    assert minutes_phrase(2) == "två minuter"
    assert minutes_phrase(21) == "tjugoen minuter"
    assert count_phrase(1, "samtal", "samtal", "neuter") == "ett samtal"
    assert count_phrase(21, "samtal", "samtal", "neuter") == "tjugoett samtal"


@pytest.mark.parametrize(
    ("seconds", "phrase"),
    [
        (0, "mindre än en minut"),
        (59, "mindre än en minut"),
        (60, "ungefär en minut"),
        (89, "ungefär en minut"),
        (120, "ungefär två minuter"),
        (4 * 60 + 10, "ungefär fyra minuter"),
        (10 * 60, "ungefär tio minuter"),
        (12 * 60, "ungefär tio minuter"),
        (13 * 60, "ungefär femton minuter"),
        (21 * 60, "ungefär tjugo minuter"),
        (23 * 60, "ungefär tjugofem minuter"),
        (58 * 60, "ungefär en timme"),
        (75 * 60, "ungefär en timme och femton minuter"),
        (90 * 60, "ungefär en timme och trettio minuter"),
        (121 * 60, "ungefär två timmar"),
    ],
)
def test_wait_phrases_round_as_people_speak(seconds: float, phrase: str) -> None:
    assert wait_phrase(seconds) == phrase


def test_sentences() -> None:
    assert position_sentence(3) == "Du har plats nummer tre i kön."
    assert position_sentence(21) == "Du har plats nummer tjugoett i kön."
    assert position_sentence(1) == "Du är först i kön."
    assert wait_sentence(4 * 60) == "Beräknad väntetid är ungefär fyra minuter."
    with pytest.raises(ValueError, match="starts at 1"):
        position_sentence(0)
    with pytest.raises(ValueError, match="negative"):
        wait_phrase(-5)


def test_digits_are_read_back_one_by_one() -> None:
    assert digits_words("0701234567") == "noll sju noll ett två tre fyra fem sex sju"
    with pytest.raises(ValueError, match="only digits"):
        digits_words("070-1")
