"""Masking personal data: a table of what must be masked and what must stay."""

from __future__ import annotations

import pytest
from stdnum import luhn

from ivr.nlu.masking import EMAIL, NUMBER, PERSONNUMMER, PHONE, is_personnummer, mask_personal_data


def with_check_digit(first_nine: str) -> str:
    return first_nine + luhn.calc_check_digit(first_nine)


PNR = with_check_digit("811218987")  # 8112189876
SAMORDNING = with_check_digit("811278987")  # day 18 + 60
WRONG_CHECK = PNR[:-1] + str((int(PNR[-1]) + 1) % 10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"mitt personnummer är {PNR[:6]}-{PNR[6:]} tack", f"mitt personnummer är {PERSONNUMMER} tack"),
        (f"19{PNR[:6]}-{PNR[6:]}", PERSONNUMMER),
        (f"19{PNR}", PERSONNUMMER),
        (PNR, PERSONNUMMER),
        (f"{PNR[:6]}+{PNR[6:]} fyllt hundra", f"{PERSONNUMMER} fyllt hundra"),
        (f"samordningsnummer {SAMORDNING[:6]}-{SAMORDNING[6:]}", f"samordningsnummer {PERSONNUMMER}"),
        ("åtta ett ett två ett åtta nio åtta sju sex", PERSONNUMMER),
        ("det är åttioett tolv arton nittioåtta sjuttiosex", f"det är {PERSONNUMMER}"),
        ("ring noll sjuttio tre tjugo trettiofyra femtiosex", f"ring {PHONE}"),
        ("ring 070-123 45 67 efter lunch", f"ring {PHONE} efter lunch"),
        ("+46 70 123 45 67", PHONE),
        ("0701234567", PHONE),
        ("08-123 456 78", PHONE),
        ("växeln 031-123 45 67", f"växeln {PHONE}"),
        ("noll sju noll ett två tre fyra fem sex sju", PHONE),
        ("0 7 0 1 2 3 4 5 6 7", PHONE),
        ("skriv till anna.svensson@example.se", f"skriv till {EMAIL}"),
        ("anna punkt svensson snabel a exempel punkt se", EMAIL),
        ("ett två tre fyra fem sex sju åtta", NUMBER),
    ],
)
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "den 2024-01-15 betalade jag 1 500 000 kr",
        "ärende 2024-123456",
        "fakturanummer 123456789",
        f"{WRONG_CHECK[:6]}-{WRONG_CHECK[6:]}",  # a personnummer's shape with a wrong check digit
        "991332-1234",  # no 32nd day
        "kl 08.15 den 12 mars",
        "1200 kronor i månaden",
        "jag ringde två tre gånger och fick vänta fem minuter",
        "hon sa sju åtta gånger att det var fel",
        "jag väntade i tjugo fem minuter och sen fyrtio till",
        "vi är fyra i familjen och har två barn på sexton och arton",
        "hon var trevlig men jag fick vänta alldeles för länge",
    ],
)
def test_dates_amounts_and_ordinary_speech_stay(text: str) -> None:
    assert mask_personal_data(text) == text


@pytest.mark.parametrize(
    ("digits", "valid"),
    [(PNR, True), (f"19{PNR}", True), (SAMORDNING, True), (WRONG_CHECK, False), ("20240115", False),
     (f"17{PNR}", False), ("0002291234", luhn.is_valid("0002291234"))],
)  # fmt: skip
def test_is_personnummer_checks_date_and_luhn(digits: str, valid: bool) -> None:
    assert is_personnummer(digits) is valid
