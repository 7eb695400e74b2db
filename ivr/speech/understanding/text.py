"""Words of an utterance, their sound keys, and how far two keys may differ and still be the same word.

A recogniser writes what it heard, not always what was said: "fira" for fyra, "fämm" or "femm" for fem,
"jaa", "nää", "ne". Matching works on a *sound key*, a spelling reduced to how Swedish sounds (ä like e,
y like i, double letters single), so such variants are equal before any fuzzy matching starts.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from ivr.speech.recognition.base import UNKNOWN_WORD

_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[^\W\d_]+")
_SPELLINGS = (
    ("é", "e"),
    ("è", "e"),
    ("ä", "e"),
    ("æ", "e"),
    ("ø", "ö"),
    ("ü", "i"),
    ("y", "i"),
    ("ck", "k"),
    ("c", "k"),
    ("q", "k"),
    ("w", "v"),
    ("z", "s"),
    ("x", "ks"),
    ("ph", "f"),
)
_SOFT_J = re.compile(r"^(?:dj|gj|hj|lj)")  # silent first letter: "hjälp" sounds like "jälp"
_SJ_SOUND = re.compile(r"^(?:stj|skj|sch)")
_REPEATS = re.compile(r"(.)\1+")


def words(utterance: str) -> list[str]:
    """The utterance's words, lower case, without punctuation or Vosk's "[unk]"; "7,5" stays one word."""
    return _TOKEN.findall(utterance.lower().replace(UNKNOWN_WORD, " "))


@lru_cache(maxsize=8192)
def sound_key(text: str) -> str:
    """How the words sound, spaces removed: "Fämm" -> "fem", "jaa" -> "ja", "fyra" and "fira" -> "fira"."""
    parts = []
    for word in text.lower().split():
        for written, said in _SPELLINGS:
            word = word.replace(written, said)
        word = _SJ_SOUND.sub("sj", _SOFT_J.sub("j", word))
        parts.append(word)
    return _REPEATS.sub(r"\1", "".join(parts))


def allowed_edits(key_length: int) -> int:
    """Edits tolerated between sound keys: none up to 3 letters ("ja" is not "jag"), one up to 7, then two."""
    return min(2, key_length // 4)


def key_distance(heard: str, expected: str) -> int | None:
    """Edits between two sound keys, or None when they differ more than the shorter one tolerates."""
    limit = allowed_edits(min(len(heard), len(expected)))
    distance = Levenshtein.distance(heard, expected, score_cutoff=limit)
    return distance if distance <= limit else None


EXACT = 1.0
SAME_SOUND = 0.9  # spelled differently, sounds the same: a recognition variant rather than the word itself


def match_quality(heard: str, expected: str, distance: int) -> float:
    """1.0 for the words themselves (apart or together); 0.9 for a same-sounding variant; less per edit."""
    if heard.replace(" ", "") == expected.replace(" ", ""):
        return EXACT
    key_length = max(len(sound_key(heard)), len(sound_key(expected)), 1)
    return SAME_SOUND * (1 - distance / key_length)
