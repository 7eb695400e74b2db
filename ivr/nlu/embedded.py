"""The embedded engine: trained in-process from the same `nlu/data` files Rasa trains on, no server.

scikit-learn: TF-IDF over words (1-2 grams) and characters within word boundaries (2-5 grams; they carry
Swedish compounds and misrecognised splits such as "hand läggaren") into logistic regression. It is the
library made for small text classification, trains on a few hundred comments in about a second, is
deterministic, and classifies thousands of comments a second in batches. Three models: the overall sentiment
(trained on whole comments and on their annotated parts), the area of a clause and the sentiment of a clause
(both trained on the annotated parts). A comment is split into clauses at contrast words ("men", "fast",
"däremot"...); each clause sure of its area gives that area its own sentiment, the others lean on their
neighbour."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from ivr.nlu.clauses import Clause, split_clauses
from ivr.nlu.data import Example, data_fingerprint, load_examples
from ivr.nlu.labels import AREAS, Area, Classification, Sentiment, SentimentScore, as_area, as_sentiment
from ivr.nlu.masking import mask_personal_data

CLAUSE_AREA_MIN = 0.45  # a clause below this is not sure of its own area and joins its neighbour
EXTRA_AREA_MIN = 0.30  # a one-clause comment also names a second area this likely


def _text_model() -> Pipeline:
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )
    classifier = LogisticRegression(C=20.0, max_iter=5000, class_weight="balanced")
    return Pipeline([("features", features), ("classifier", classifier)])


@dataclass
class _Group:
    """Consecutive clauses that share one area: a sure clause and the unsure ones leaning on it."""

    area_probs: NDArray[np.float64]
    sentiment_probs: NDArray[np.float64]
    stressed: bool  # holds a clause after a contrast word


class EmbeddedClassifier:
    """Train once (about a second), then `classify` / `classify_many` in-process."""

    def __init__(self, examples: Sequence[Example]) -> None:
        if not examples:
            raise ValueError("no training examples")
        spans = [span for example in examples for span in example.spans]
        if not spans:
            raise ValueError('the training examples annotate no areas ([text]{"entity": area, "role": ...})')
        self._overall = _text_model().fit(
            [e.text for e in examples] + [s.text for s in spans],
            [e.sentiment for e in examples] + [s.sentiment or e.sentiment for e in examples for s in e.spans],
        )
        self._area = _text_model().fit([s.text for s in spans], [s.area for s in spans])
        self._clause_sentiment = _text_model().fit(
            [s.text for s in spans], [s.sentiment or e.sentiment for e in examples for s in e.spans]
        )
        self._sentiments = tuple(as_sentiment(str(name)) for name in self._overall.classes_)
        self._areas = tuple(as_area(str(name)) for name in self._area.classes_)
        self._clause_sentiments = tuple(as_sentiment(str(name)) for name in self._clause_sentiment.classes_)
        self.training_texts = frozenset(e.text for e in examples)

    @classmethod
    def from_data(cls, *paths: Path) -> EmbeddedClassifier:
        """Trained on these Rasa NLU files or directories; kept in memory while their content is unchanged."""
        key = data_fingerprint(paths)
        with _cache_lock:
            cached = _cache.get(key)
            if cached is None:
                cached = cls(load_examples(paths))
                _cache.clear()
                _cache[key] = cached
            return cached

    def classify(self, text: str) -> Classification:
        return self.classify_many([text])[0]

    def classify_many(self, texts: Sequence[str]) -> list[Classification]:
        masked = [mask_personal_data(text) for text in texts]
        overall = self._overall.predict_proba(masked)
        whole_areas = self._area.predict_proba(masked)
        clauses = [split_clauses(text) for text in masked]
        flat = [clause.text for parts in clauses for clause in parts]
        clause_areas = self._area.predict_proba(flat)
        clause_sentiments = self._clause_sentiment.predict_proba(flat)
        results = []
        offset = 0
        for index, text in enumerate(masked):
            parts = clauses[index]
            rows = slice(offset, offset + len(parts))
            offset += len(parts)
            groups = _group_clauses(parts, clause_areas[rows], clause_sentiments[rows])
            results.append(self._combine(text, overall[index], whole_areas[index], groups))
        return results

    def _combine(
        self, text: str, overall: NDArray[np.float64], whole_areas: NDArray[np.float64], groups: list[_Group]
    ) -> Classification:
        by_area: dict[Area, Sentiment] = {}
        if len(groups) > 1:
            sure_of: dict[Area, float] = {}
            for group in groups:
                area = self._areas[int(np.argmax(group.area_probs))]
                confidence = float(group.area_probs.max())
                if confidence > sure_of.get(area, 0.0):
                    sure_of[area] = confidence
                    by_area[area] = self._clause_sentiments[int(np.argmax(group.sentiment_probs))]
            stressed = [group for group in groups if group.stressed]
            if (
                stressed
            ):  # "trevlig men fick vänta": the part after the last contrast word carries the comment
                last = stressed[-1].sentiment_probs / stressed[-1].sentiment_probs.sum()
                overall = np.array([last[self._clause_sentiments.index(name)] for name in self._sentiments])
        ranking = sorted(
            (SentimentScore(name, float(p)) for name, p in zip(self._sentiments, overall, strict=True)),
            key=lambda score: -score.confidence,
        )
        sentiment = ranking[0].name
        if len(groups) <= 1:
            order = np.argsort(-whole_areas)
            chosen = [int(order[0])] + [int(i) for i in order[1:] if whole_areas[i] >= EXTRA_AREA_MIN]
            by_area = {self._areas[i]: sentiment for i in chosen}
        areas = tuple(area for area in AREAS if area in by_area)
        ordered = {area: by_area[area] for area in areas}
        return Classification(text, sentiment, ranking[0].confidence, tuple(ranking), areas, ordered)


def _group_clauses(
    clauses: Sequence[Clause], area_probs: NDArray[np.float64], sentiment_probs: NDArray[np.float64]
) -> list[_Group]:
    """Clauses sure of their area start a group; the others join the group before them (or the first one)."""
    groups: list[_Group] = []
    pending: _Group | None = None  # unsure clauses before the first sure one
    for clause, areas, sentiments in zip(clauses, area_probs, sentiment_probs, strict=True):
        if areas.max() >= CLAUSE_AREA_MIN:
            group = _Group(areas.copy(), sentiments.copy(), clause.after_contrast)
            if pending is not None:
                group.sentiment_probs += pending.sentiment_probs
                pending = None
            groups.append(group)
        elif groups:
            groups[-1].sentiment_probs += sentiments
            groups[-1].stressed |= clause.after_contrast
        elif pending is None:
            pending = _Group(areas.copy(), sentiments.copy(), clause.after_contrast)
        else:
            pending.area_probs += areas
            pending.sentiment_probs += sentiments
    if not groups and pending is not None:
        groups.append(pending)
    return groups


_cache: dict[str, EmbeddedClassifier] = {}
_cache_lock = threading.Lock()
