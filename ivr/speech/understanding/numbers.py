"""Swedish number words heard in an utterance, as whole numbers: the inverse of `ivr.speech.swedish`.

Cardinals are parsed from the same word pieces the bot speaks with (`ONES`, `TEENS`, `TENS`, hundra, tusen),
written together or apart ("tjugotre", "tjugo tre", "två hundra femtio"). Colloquial names of digits ("fyran",
"femma", "tvåan") and ordinals ("första" .. "tionde") are words of their own. Digits count too ("23").
A decimal ("sju komma fem", "7,5", "sju och en halv") is found as a number that is not whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain

from ivr.speech.swedish import ONES, TEENS, TENS, number_words
from ivr.speech.understanding.text import EXACT, SAME_SOUND, key_distance, match_quality, sound_key
from ivr.speech.understanding.vocabulary import WEAK_WORDS

COLLOQUIAL: dict[str, int] = {
    "nolla": 0, "nollan": 0, "etta": 1, "ettan": 1, "tvåa": 2, "tvåan": 2, "trea": 3, "trean": 3,
    "fyran": 4, "femma": 5, "femman": 5, "sexa": 6, "sexan": 6, "sjua": 7, "sjuan": 7,
    "åttan": 8, "nia": 9, "nian": 9, "tia": 10, "tian": 10,
}  # fmt: skip
ORDINALS: dict[str, int] = {
    "första": 1, "förste": 1, "andra": 2, "andre": 2, "tredje": 3, "fjärde": 4, "femte": 5,
    "sjätte": 6, "sjunde": 7, "åttonde": 8, "nionde": 9, "tionde": 10,
}  # fmt: skip
HALF_WORDS = frozenset({"halv", "halva", "halvt"})
DECIMAL_POINT = "komma"
_FUZZY_LIMIT = 100  # cardinals up to here are corrected when misheard; bigger ones must be heard as they are
_LONGEST_NUMBER_WORDS = 6  # "två hundra tjugo tre tusen fem"

Piece = tuple[str, int]  # (kind, value)
_PIECES: dict[str, Piece] = {
    **{word: ("ones", value) for value, word in enumerate(ONES)},
    "en": ("ones", 1),
    **{word: ("teen", value) for value, word in enumerate(TEENS, start=10)},
    **{word: ("tens", 10 * tens) for tens, word in enumerate(TENS) if word},
    "hundra": ("hundred", 100),
    "tusen": ("thousand", 1000),
    "ettusen": ("thousand", 1000),
}
_FOLLOWS: dict[str, tuple[str | None, ...]] = {
    "ones": (None, "tens", "hundred", "thousand"),
    "teen": (None, "hundred", "thousand"),
    "tens": (None, "hundred", "thousand"),
    "hundred": (None, "ones", "thousand"),
    "thousand": (None, "ones", "teen", "tens", "hundred"),
}  # the piece each kind of piece may follow (None: it may come first)


def _longest_first(table: dict[str, Piece]) -> list[tuple[str, Piece]]:
    return sorted(table.items(), key=lambda item: -len(item[0]))


_SPELLED_PIECES = _longest_first(_PIECES)
_SOUNDED_PIECES = _longest_first({sound_key(word): piece for word, piece in _PIECES.items()})
_NAMED = {sound_key(word): (value, word) for word, value in {**COLLOQUIAL, **ORDINALS}.items()}


@dataclass(frozen=True)
class SpokenNumber:
    """A number found in the words `start:end`; `value` None when it is not a whole number (7,5)."""

    start: int
    end: int
    value: int | None
    heard: str
    quality: float
    weak: bool = False


def cardinal_value(text: str) -> int | None:
    """The cardinal the words make, written together or apart, by sound: "tjugo fira" -> 24; else None."""
    spelled = text.replace(" ", "")
    for pieces in chain(_splits(spelled, _SPELLED_PIECES), _splits(sound_key(text), _SOUNDED_PIECES)):
        value = _evaluate(pieces)
        if value is not None:
            return value
    return None


def _spelled_right(text: str) -> bool:
    return any(_evaluate(pieces) is not None for pieces in _splits(text.replace(" ", ""), _SPELLED_PIECES))


def _splits(text: str, pieces: list[tuple[str, Piece]], at: int = 0) -> Iterator[list[Piece]]:
    """Every way to write `text` as pieces, longest pieces first. By sound, two pieces may share the letter
    where they meet ("hundraarton" sounds "hundrarton")."""
    if at == len(text):
        yield []
        return
    for written, piece in pieces:
        starts = [at] if at == 0 or text[at - 1] != written[0] else [at, at - 1]
        for start in starts:
            if text.startswith(written, start) and start + len(written) > at:
                for rest in _splits(text, pieces, start + len(written)):
                    yield [piece, *rest]


def _split_written(text: str, pieces: list[tuple[str, Piece]]) -> list[tuple[str, Piece]] | None:
    found, at = [], 0
    while at < len(text):
        match = next(((written, piece) for written, piece in pieces if text.startswith(written, at)), None)
        if match is None:
            return None
        found.append(match)
        at += len(match[0])
    return found or None


def spoken_forms(value: int) -> list[str]:
    """How a cardinal may be said: "tjugoett", "tjugoen", "tjugo ett", "tjugo en"; 100 also as "hundra"."""
    forms = [number_words(value, "neuter"), number_words(value, "common")]
    forms += [form[3:] for form in forms if form.startswith("etthundra")]
    forms += [form[2:] for form in forms if form.startswith("ettusen")]  # "ettusen" is "ett" + "tusen"
    apart = [
        " ".join(written for written, _ in _split_written(form, _SPELLED_PIECES) or []) for form in forms
    ]
    return list(dict.fromkeys(form for form in [*forms, *apart] if form))


def named_forms(value: int) -> list[str]:
    """The digit's names and the ordinal for a value: 4 -> "fyran", "fjärde"."""
    return [word for word, named in {**COLLOQUIAL, **ORDINALS}.items() if named == value]


def _evaluate(pieces: list[Piece]) -> int | None:
    if len(pieces) > 1 and ("ones", 0) in pieces:
        return None  # "noll" stands alone
    total, group, last = 0, 0, None
    for kind, value in pieces:
        if last not in _FOLLOWS[kind]:
            return None
        if kind == "hundred":
            if group >= 10:
                return None
            group = 100 * (group or 1)
        elif kind == "thousand":
            if total:
                return None
            total, group = 1000 * (group or 1), 0
        else:
            group += value
        last = kind
    return total + group


@cache
def _misheard_forms() -> tuple[tuple[str, int, str], ...]:
    """(sound key, value, word) of what a misheard number may be: digit names, ordinals, cardinals to 100."""
    forms = {**COLLOQUIAL, **ORDINALS, "hundra": 100, "tusen": 1000, "en": 1}
    forms.update({number_words(value): value for value in range(_FUZZY_LIMIT + 1)})
    return tuple((sound_key(word), value, word) for word, value in forms.items())


@dataclass(frozen=True)
class _Word:
    value: int
    quality: float
    cardinal: str | None  # the cardinal as spelled right, so that words said apart can be joined


def word_value(word: str) -> tuple[int, float] | None:
    """The number one word names, and how sure: "fyran" (4, 1.0), "fira" (4, 0.9), "tjugu" (20, 0.72)."""
    read = _read_word(word)
    return None if read is None else (read.value, read.quality)


def _read_word(word: str) -> _Word | None:
    key = sound_key(word)
    if key in _NAMED:
        value, form = _NAMED[key]
        return _Word(value, match_quality(word, form, 0), None)
    cardinal = cardinal_value(word)
    if cardinal is not None:
        return _Word(cardinal, EXACT if _spelled_right(word) else SAME_SOUND, word)
    return _nearest_form(word, key)


def _nearest_form(word: str, key: str) -> _Word | None:
    best: dict[int, tuple[int, str]] = {}
    for form_key, value, form in _misheard_forms():
        distance = key_distance(key, form_key)
        if distance is not None and (value not in best or distance < best[value][0]):
            best[value] = (distance, form)
    if not best:
        return None
    nearest = min(distance for distance, _ in best.values())
    closest = [(value, form) for value, (distance, form) in best.items() if distance == nearest]
    if len(closest) != 1:
        return None  # as near to two numbers ("sextin": sexton or sextio): no guess
    value, form = closest[0]
    cardinal = form if cardinal_value(form) is not None else None
    return _Word(value, match_quality(word, form, nearest), cardinal)


def find_numbers(words: Sequence[str]) -> list[SpokenNumber]:
    """Every number said in the words, left to right; words said apart that make one number are joined."""
    return _mark_decimals(words, list(_joined_numbers(words)))


def _joined_numbers(words: Sequence[str]) -> Iterator[SpokenNumber]:
    at = 0
    while at < len(words):
        number = _number_at(words, at)
        if number is None:
            at += 1
        else:
            yield number
            at = number.end


def _number_at(words: Sequence[str], start: int) -> SpokenNumber | None:
    word = words[start]
    if word[0].isdigit():
        return SpokenNumber(start, start + 1, int(word) if word.isdigit() else None, word, EXACT)
    first = _read_word(word)
    if first is None:
        return None
    read = [first]
    for following in words[start + 1 : start + _LONGEST_NUMBER_WORDS]:
        next_word = _read_word(following)
        if next_word is None or next_word.cardinal is None or read[-1].cardinal is None:
            break
        read.append(next_word)
    for count in range(len(read), 1, -1):
        value = cardinal_value(" ".join(str(part.cardinal) for part in read[:count]))
        if value is not None:
            heard = " ".join(words[start : start + count])
            quality = min(part.quality for part in read[:count])
            return SpokenNumber(start, start + count, value, heard, quality)
    return SpokenNumber(start, start + 1, first.value, word, first.quality, weak=word in WEAK_WORDS)


def _mark_decimals(words: Sequence[str], found: list[SpokenNumber]) -> list[SpokenNumber]:
    """ "sju komma fem" is one number that is not whole; so is any "halv" said with numbers."""
    marked: list[SpokenNumber] = []
    for number in found:
        previous = marked[-1] if marked else None
        if previous is not None and list(words[previous.end : number.start]) == [DECIMAL_POINT]:
            heard = f"{previous.heard} {DECIMAL_POINT} {number.heard}"
            marked[-1] = SpokenNumber(previous.start, number.end, None, heard, EXACT)
        else:
            marked.append(number)
    if marked:
        halves = [at for at, word in enumerate(words) if word in HALF_WORDS]
        marked += [SpokenNumber(at, at + 1, None, words[at], EXACT) for at in halves]
    return sorted(marked, key=lambda number: number.start)
