"""The labels (Medborgarpulsen's three sentiments and five areas) and the one result every engine returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

Sentiment = Literal["positiv", "skeptisk", "negativ"]
Area = Literal["handlaggaren", "vantetid", "digitala_tjanster", "kommunala_tjanster", "upplevelse"]

SENTIMENTS: tuple[Sentiment, ...] = get_args(Sentiment)
AREAS: tuple[Area, ...] = get_args(Area)


def as_sentiment(name: str) -> Sentiment:
    for sentiment in SENTIMENTS:
        if sentiment == name:
            return sentiment
    raise ValueError(f"unknown sentiment {name!r}; expected one of {', '.join(SENTIMENTS)}")


def as_area(name: str) -> Area:
    for area in AREAS:
        if area == name:
            return area
    raise ValueError(f"unknown area {name!r}; expected one of {', '.join(AREAS)}")


@dataclass(frozen=True)
class SentimentScore:
    name: Sentiment
    confidence: float


@dataclass(frozen=True)
class Classification:
    """One comment's labels. `text` is the comment as classified: personal data already masked.

    `by_area` holds each area's own sentiment; in a mixed comment ("trevlig men fick vänta") they differ from
    each other and `sentiment` is the comment's overall one."""

    text: str
    sentiment: Sentiment
    confidence: float
    ranking: tuple[SentimentScore, ...]
    areas: tuple[Area, ...]
    by_area: Mapping[Area, Sentiment] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        """The line `ivr classify` writes."""
        return {
            "text": self.text,
            "sentiment": self.sentiment,
            "confidence": round(self.confidence, 4),
            "areas": list(self.areas),
            "by_area": dict(self.by_area),
        }
