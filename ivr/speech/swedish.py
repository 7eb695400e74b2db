"""Swedish number words and the phrases the bot says about the queue, built here rather than by Asterisk.

Asterisk's Swedish say rules sit under the language code `se`, and with `sv` it falls back to English;
even its `se` rules get the gender wrong ("1 minut" comes out neuter). Swedish counts common-gender nouns
with "en" (en minut, tjugoen minuter) and neuter nouns with "ett" (ett samtal, tjugoett samtal); a number
said on its own, as in "plats nummer ett", is "ett".
"""

from __future__ import annotations

from typing import Literal

Gender = Literal["common", "neuter"]

ONES = ("noll", "ett", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio")
TEENS = ("tio", "elva", "tolv", "tretton", "fjorton", "femton", "sexton", "sjutton", "arton", "nitton")
TENS = ("", "", "tjugo", "trettio", "fyrtio", "femtio", "sextio", "sjuttio", "åttio", "nittio")


def number_words(number: int, gender: Gender = "neuter") -> str:
    """0 ≤ number < 1,000,000 in words, written together as Swedish does: 21 -> "tjugoett" / "tjugoen"."""
    if not 0 <= number < 1_000_000:
        raise ValueError(f"cannot say {number} in words (0 to 999 999)")
    if number == 0:
        return ONES[0]
    thousands, rest = divmod(number, 1000)
    words = ""
    if thousands:
        # "ettusen" is written with one t; "tusen" takes "ett" (it is neuter).
        words = "ettusen" if thousands == 1 else _below_thousand(thousands, "neuter") + "tusen"
    if rest:
        words += _below_thousand(rest, gender)
    return words


def _below_thousand(number: int, gender: Gender) -> str:
    hundreds, rest = divmod(number, 100)
    words = (_below_hundred(hundreds, "neuter") + "hundra") if hundreds else ""
    return words + (_below_hundred(rest, gender) if rest else "")


def _below_hundred(number: int, gender: Gender) -> str:
    if number < 10:
        return "en" if number == 1 and gender == "common" else ONES[number]
    if number < 20:
        return TEENS[number - 10]
    tens, ones = divmod(number, 10)
    return TENS[tens] + (_below_hundred(ones, gender) if ones else "")


def count_phrase(number: int, singular: str, plural: str, gender: Gender) -> str:
    """ "en minut", "två minuter", "ett samtal", "tjugoett samtal"."""
    return f"{number_words(number, gender)} {singular if number == 1 else plural}"


def minutes_phrase(minutes: int) -> str:
    return count_phrase(minutes, "minut", "minuter", "common")


def wait_phrase(seconds: float) -> str:
    """How long the wait is, rounded the way people speak of waits.

    Under a minute: "mindre än en minut". Up to 10 minutes: whole minutes. Then to the nearest 5 minutes,
    and from an hour on to the quarter hour ("ungefär en timme och femton minuter").
    """
    if seconds < 0:
        raise ValueError(f"a wait cannot be negative: {seconds}")
    if seconds < 60:
        return "mindre än en minut"
    minutes = round(seconds / 60)
    if minutes > 10:
        minutes = 5 * round(minutes / 5)
    if minutes < 60:
        return f"ungefär {minutes_phrase(minutes)}"
    hours, quarters = divmod(round(minutes / 15), 4)
    hour_words = count_phrase(hours, "timme", "timmar", "common")
    return f"ungefär {hour_words}" + (f" och {minutes_phrase(15 * quarters)}" if quarters else "")


def position_sentence(position: int) -> str:
    """ "Du har plats nummer tre i kön." (first place: "Du är först i kön.")."""
    if position < 1:
        raise ValueError(f"a place in the queue starts at 1, got {position}")
    if position == 1:
        return "Du är först i kön."
    return f"Du har plats nummer {number_words(position, 'neuter')} i kön."


def wait_sentence(seconds: float) -> str:
    """ "Beräknad väntetid är ungefär fyra minuter." """
    return f"Beräknad väntetid är {wait_phrase(seconds)}."


def digits_words(digits: str) -> str:
    """A phone number read back digit by digit: "0701" -> "noll sju noll ett"."""
    if not digits.isdigit():
        raise ValueError(f"only digits can be read back, got {digits!r}")
    return " ".join(ONES[int(digit)] for digit in digits)
