"""Splits a spoken comment into clauses at contrast words, so each part can get its own area and sentiment:
"hon var trevlig men jag fick vänta" -> "hon var trevlig", "jag fick vänta"."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words that start a new clause in spoken Swedish. After a contrast word comes what the caller stresses
# ("trevlig men fick vänta" is a complaint); "och" only joins, and often the same thing ("trevlig och
# kunnig"): a part that names no area of its own leans on its neighbour (see embedded.py).
CONTRAST_WORDS = ("men", "fast", "däremot", "medan", "trots att", "annars", "samtidigt som", "tyvärr")
JOINING_WORDS = ("och", "plus att")
_SPLIT = re.compile(
    r"\s*\b(" + "|".join(re.escape(word) for word in CONTRAST_WORDS + JOINING_WORDS) + r")\b\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Clause:
    text: str
    after_contrast: bool  # introduced by a contrast word: the caller's stress lies here


def split_clauses(text: str) -> list[Clause]:
    """The comment's clauses in order (the linking words themselves dropped); the whole text when none."""
    pieces = _SPLIT.split(text)
    clauses: list[Clause] = []
    contrast = False
    for index, piece in enumerate(pieces):
        if index % 2:  # a linking word captured by the split
            contrast = piece.lower() in CONTRAST_WORDS
            continue
        part = piece.strip(" ,.;:!?")
        if part:
            clauses.append(Clause(part, contrast and bool(clauses)))
        contrast = False
    return clauses or [Clause(text, False)]
