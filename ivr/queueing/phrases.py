"""The spoken pieces of the queue announcements as prompts: whole sentences where the set is small (places,
rounded waits), and words to join where it is not (a phone number, the next opening)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ivr.dialog.io import Prompt
from ivr.speech.swedish import ONES, number_words, position_sentence, wait_sentence

MAX_ANNOUNCED_POSITION = 50  # beyond this the caller hears "many ahead" instead of a number
MAX_ANNOUNCED_WAIT_S = 3 * 3600  # longer estimates are announced as this
WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")


def position(place: int) -> Prompt:
    return Prompt(position_sentence(place), name=f"queue.position.{place}")


def wait(seconds: float) -> Prompt:
    sentence = wait_sentence(min(seconds, MAX_ANNOUNCED_WAIT_S))
    return Prompt(sentence, name=f"queue.wait.{sentence}")


def digit(character: str) -> Prompt:
    return Prompt(ONES[int(character)], name=f"digit.{character}")


def word(text: str) -> Prompt:
    return Prompt(text, name=f"word.{text}")


def reopening(at: datetime, now: datetime) -> list[Prompt]:
    """ "i morgon" / "på måndag" / "i dag", "klockan", "sju" (and "och trettio")."""
    days = (at.date() - now.date()).days
    day = "i dag" if days == 0 else "i morgon" if days == 1 else f"på {WEEKDAYS[at.weekday()]}"
    pieces = [word(day), word("klockan"), word(number_words(at.hour, "neuter"))]
    if at.minute:
        pieces += [word("och"), word(number_words(at.minute, "neuter"))]
    return pieces


def all_prompts() -> Iterator[Prompt]:
    yield from (position(place) for place in range(1, MAX_ANNOUNCED_POSITION + 1))
    seen: set[str] = set()
    for seconds in range(0, MAX_ANNOUNCED_WAIT_S + 1, 30):
        prompt = wait(seconds)
        if prompt.text not in seen:
            seen.add(prompt.text)
            yield prompt
    yield from (digit(str(n)) for n in range(10))
    days = ["i dag", "i morgon", *(f"på {day}" for day in WEEKDAYS)]
    numbers = {number_words(n, "neuter") for n in range(60)}
    yield from (word(text) for text in [*days, "klockan", "och", *sorted(numbers)])
