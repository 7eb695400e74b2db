"""Masks personal data in a comment before it is stored or sent anywhere: Swedish personal identity numbers
(personnummer and samordningsnummer, 10 or 12 digits, written or read out digit by digit), Swedish phone
numbers and e-mail addresses (written or spoken: "anna punkt svensson snabel a exempel punkt se").

A ten- or twelve-digit run counts as a personnummer only when its date exists (a samordningsnummer's day is 60
more) and its Luhn check digit is right, so dates, amounts and case numbers stay as they are. Phone numbers
are found by libphonenumber (valid Swedish numbers only)."""

from __future__ import annotations

import datetime
import re

import phonenumbers
from stdnum import luhn

PERSONNUMMER = "[PERSONNUMMER]"
PHONE = "[TELEFONNUMMER]"
EMAIL = "[E-POST]"
NUMBER = "[NUMMER]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_SPOKEN_EMAIL = re.compile(
    r"\b[\w-]+(?:\s+(?:punkt|streck|understreck)\s+[\w-]+)*\s+snabel\s*-?\s*a\s+[\w-]+(?:\s+punkt\s+[\w-]+)+",
    re.IGNORECASE,
)
_PERSONNUMMER = re.compile(r"(?<![\d-])(\d{6}|\d{8})\s?([-+]?)\s?(\d{4})(?![\d])")
_DIGIT_WORDS = {
    "noll": "0", "nolla": "0",
    "ett": "1", "en": "1", "etta": "1",
    "två": "2", "tvåa": "2",
    "tre": "3", "trea": "3",
    "fyra": "4", "fyran": "4",
    "fem": "5", "femma": "5",
    "sex": "6", "sexa": "6",
    "sju": "7", "sjua": "7",
    "åtta": "8", "åttan": "8",
    "nio": "9", "nia": "9",
}  # fmt: skip
_TEENS = {
    "tio": "10", "elva": "11", "tolv": "12", "tretton": "13", "fjorton": "14",
    "femton": "15", "sexton": "16", "sjutton": "17", "arton": "18", "nitton": "19",
}  # fmt: skip
_TENS = {
    "tjugo": "2", "tjugi": "2", "trettio": "3", "tretti": "3", "fyrtio": "4", "förtio": "4", "fyrti": "4",
    "förti": "4", "femtio": "5", "femti": "5", "sextio": "6", "sexti": "6", "sjuttio": "7", "sjutti": "7",
    "åttio": "8", "åtti": "8", "nittio": "9", "nitti": "9",
}  # fmt: skip
_UNITS = {"ett": "1", "en": "1", "två": "2", "tre": "3", "fyra": "4", "fem": "5", "sex": "6", "sju": "7",
          "åtta": "8", "nio": "9"}  # fmt: skip
_SEPARATOR_WORDS = {"streck", "bindestreck", "minus", "plus"}
_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_MIN_SPOKEN_DIGITS = 7  # shorter runs ("två tre gånger") are ordinary speech


def mask_personal_data(text: str) -> str:
    """The text with identity numbers, phone numbers and e-mail addresses replaced by placeholders."""
    text = _EMAIL.sub(EMAIL, text)
    text = _SPOKEN_EMAIL.sub(EMAIL, text)
    text = _PERSONNUMMER.sub(_mask_personnummer, text)
    text = _mask_phone_numbers(text)
    return _mask_spoken_digits(text)


def is_personnummer(digits: str) -> bool:
    """10 or 12 digits (no separators) forming a personnummer or samordningsnummer, check digit right."""
    if len(digits) not in (10, 12) or not digits.isdigit():
        return False
    if len(digits) == 12 and digits[:2] not in ("18", "19", "20"):
        return False
    short = digits[-10:]
    year = int(digits[:4]) if len(digits) == 12 else 2000 + int(short[:2])  # any leap-year-correct century
    month, day = int(short[2:4]), int(short[4:6])
    if day > 60:
        day -= 60  # samordningsnummer
    try:
        datetime.date(year if len(digits) == 12 else _leap_safe_year(year, month, day), month, day)
    except ValueError:
        return False
    return bool(luhn.is_valid(short))


def _leap_safe_year(year: int, month: int, day: int) -> int:
    # A 10-digit number does not say its century; 29 February exists in 2000 and 1900 cannot both be tried, so
    # accept it when either century has it.
    if month == 2 and day == 29 and year % 4 == 0:
        return 2000
    return year


def _mask_personnummer(match: re.Match[str]) -> str:
    digits = match.group(1) + match.group(3)
    return PERSONNUMMER if is_personnummer(digits) else match.group(0)


def _mask_phone_numbers(text: str) -> str:
    pieces: list[str] = []
    position = 0
    for found in phonenumbers.PhoneNumberMatcher(text, "SE", leniency=phonenumbers.Leniency.VALID):
        if found.number.country_code != 46:
            continue
        pieces.append(text[position : found.start])
        pieces.append(PHONE)
        position = found.end
    pieces.append(text[position:])
    return "".join(pieces)


def _mask_spoken_digits(text: str) -> str:
    """A recogniser writes "noll sju noll ett två tre ..." for a number read out: runs of digit words (or
    single digits) long enough to be a number are masked, as a personnummer when they form one."""
    tokens = list(_WORD.finditer(text))
    pieces: list[str] = []
    position = 0
    index = 0
    while index < len(tokens):
        end_index, digits = _digit_run(tokens, index)
        if len(digits) >= _MIN_SPOKEN_DIGITS:
            pieces.append(text[position : tokens[index].start()])
            pieces.append(_label_for_digits(digits))
            position = tokens[end_index - 1].end()
            index = end_index
        else:
            index += 1
    pieces.append(text[position:])
    return "".join(pieces)


def _digit_run(tokens: list[re.Match[str]], start: int) -> tuple[int, str]:
    digits = ""
    index = start
    last_digit_index = start
    while index < len(tokens):
        word = tokens[index].group(0).lower()
        spoken = _spoken_digits(word)
        if spoken is not None:
            digits += spoken
            last_digit_index = index + 1
        elif not (digits and word in _SEPARATOR_WORDS):
            break
        index += 1
    return (last_digit_index, digits) if digits else (start + 1, "")


def _spoken_digits(word: str) -> str | None:
    """The digits a spoken number word stands for ("sju" 7, "tolv" 12, "trettiofyra" 34: numbers are read out
    digit by digit or in pairs), or None for any other word."""
    if word in _DIGIT_WORDS:
        return _DIGIT_WORDS[word]
    if len(word) == 1 and word.isdigit():
        return word
    if word in _TEENS:
        return _TEENS[word]
    for tens, digit in _TENS.items():
        if word.startswith(tens):
            unit = word[len(tens) :]
            if not unit:
                return digit + "0"
            if unit in _UNITS:
                return digit + _UNITS[unit]
    return None


def _label_for_digits(digits: str) -> str:
    if is_personnummer(digits):
        return PERSONNUMMER
    if digits.startswith(("0", "46")):
        return PHONE
    return NUMBER
