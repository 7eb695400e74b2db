"""Finding the expected phrases in the words heard, tolerant of recognition errors, and choosing among them.

A phrase is compared word by word with the words heard, by sound key, each word allowing a few edits
(`text.allowed_edits`): a misheard word is tolerated, a different short word ("ja" for "nej") is not. Said
together or apart ("mycketnöjd", "jätte nöjd") it must sound exactly the same. Where found phrases overlap,
the one that explains more of what was heard wins: "inte nöjd" over "nöjd".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from ivr.dialog.model import Reading
from ivr.speech.understanding.text import key_distance, match_quality, sound_key
from ivr.speech.understanding.vocabulary import WEAK_WORDS

Source = Literal["yaml", "built-in", "number"]
SOURCE_RANK: dict[Source, int] = {"yaml": 0, "built-in": 1, "number": 2}  # who wins a tie on the same words


@dataclass(frozen=True)
class Phrase:
    """An expected phrase and what it means for the question; `meaning` None: heard, but no valid answer."""

    text: str
    meaning: Reading | None
    source: Source

    @property
    def key(self) -> str:
        return sound_key(self.text)


@dataclass(frozen=True)
class Hit:
    """A phrase found in the words `start:end`, as `heard`, with the quality of the match (0..1)."""

    start: int
    end: int
    heard: str
    phrase: Phrase
    quality: float
    weak: bool = False  # "en"/"ett": counts only when nothing else was said
    negated: bool = False  # "inte fyra": heard, but no valid answer

    @property
    def meaning(self) -> Reading | None:
        return None if self.negated else self.phrase.meaning

    @property
    def weight(self) -> float:
        """How much of what was heard the hit explains, and how well."""
        return self.quality * len(sound_key(self.heard))

    def overlaps(self, other: Hit) -> bool:
        return self.start < other.end and other.start < self.end


def find_phrases(words: Sequence[str], phrases: Iterable[Phrase]) -> list[Hit]:
    """Every phrase heard in the words: word by word with a few edits each, or run together or apart as is."""
    heard_keys = [sound_key(word) for word in words]
    hits: list[Hit] = []
    for phrase in phrases:
        expected = [sound_key(word) for word in phrase.text.split()]
        for start in range(len(words)):
            hits += _hits_at(words, heard_keys, start, phrase, expected)
    return hits


def _hits_at(
    words: Sequence[str], heard_keys: list[str], start: int, phrase: Phrase, expected: list[str]
) -> Iterator[Hit]:
    size = len(expected)
    weak = phrase.text in WEAK_WORDS
    if start + size <= len(words):
        distances = [
            key_distance(heard, want)
            for heard, want in zip(heard_keys[start : start + size], expected, strict=True)
        ]
        edits = [distance for distance in distances if distance is not None]
        if len(edits) == size:
            heard = " ".join(words[start : start + size])
            yield Hit(start, start + size, heard, phrase, match_quality(heard, phrase.text, sum(edits)), weak)
    for end in (start + size - 1, start + size + 1):  # run together ("mycketnöjd") or apart ("jätte nöjd")
        if start < end <= len(words) and "".join(heard_keys[start:end]) == phrase.key:
            heard = " ".join(words[start:end])
            yield Hit(start, end, heard, phrase, match_quality(heard, phrase.text, 0), weak)


def choose(hits: Iterable[Hit]) -> list[Hit]:
    """Non-overlapping hits, the weightiest first (ties: the operator's words, then the shorter span)."""
    ranked = sorted(
        hits, key=lambda hit: (-hit.weight, -hit.quality, SOURCE_RANK[hit.phrase.source], hit.end - hit.start)
    )
    chosen: list[Hit] = []
    for hit in ranked:
        if not any(hit.overlaps(taken) for taken in chosen):
            chosen.append(hit)
    return sorted(chosen, key=lambda hit: hit.start)
