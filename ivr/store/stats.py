"""Per question figures for one dialog: counts, value distribution, mean score and the 0–100 index."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ivr.store.records import ResponseRecord
from ivr.store.tables import SurveyAnswer

SCALE_TYPE = "scale"
DEFAULT_SCALE = (1, 5)


@dataclass(frozen=True)
class QuestionStats:
    question_id: str
    question_type: str
    answered: int  # answers with status "match"
    by_status: dict[str, int]  # match / nomatch / noinput / hangup
    distribution: dict[str, int]  # value -> count, over matched answers
    mean_score: float | None  # over matched answers with a score
    index: float | None  # 0–100 for scale questions: min -> 0, max -> 100


@dataclass(frozen=True)
class DialogStats:
    tenant: str | None
    dialog_id: str
    responses: int
    completed: int
    completion_rate: float | None  # completed / all responses; None without responses
    by_status: dict[str, int]  # response status -> count
    questions: tuple[QuestionStats, ...]  # in the order asked

    def question(self, question_id: str) -> QuestionStats | None:
        return next((stats for stats in self.questions if stats.question_id == question_id), None)


def scale_index(mean: float, low: int = DEFAULT_SCALE[0], high: int = DEFAULT_SCALE[1]) -> float:
    """Where the mean sits on the scale, 0–100: on 1–5, 5 -> 100, 4 -> 75, 3 -> 50, 2 -> 25, 1 -> 0."""
    return (mean - low) / (high - low) * 100


def compute_dialog_stats(
    tenant: str | None,
    dialog_id: str,
    records: Sequence[ResponseRecord],
    scales: Mapping[str, tuple[int, int]] | None = None,
) -> DialogStats:
    """`scales` gives a scale question's (min, max) by question id; scale questions not named are 1–5."""
    statuses = Counter(record.response.status for record in records)
    answers_by_question: dict[str, list[SurveyAnswer]] = {}
    for record in records:
        for answer in record.answers:
            answers_by_question.setdefault(answer.question_id, []).append(answer)
    order = sorted(
        answers_by_question, key=lambda qid: (min(a.position for a in answers_by_question[qid]), qid)
    )
    questions = tuple(
        _question_stats(qid, answers_by_question[qid], (scales or {}).get(qid, DEFAULT_SCALE))
        for qid in order
    )
    completed = statuses.get("completed", 0)
    return DialogStats(
        tenant=tenant,
        dialog_id=dialog_id,
        responses=len(records),
        completed=completed,
        completion_rate=completed / len(records) if records else None,
        by_status=dict(statuses),
        questions=questions,
    )


def _question_stats(question_id: str, answers: list[SurveyAnswer], scale: tuple[int, int]) -> QuestionStats:
    matched = [answer for answer in answers if answer.status == "match"]
    scores = [answer.score for answer in matched if answer.score is not None]
    question_type = answers[-1].question_type  # the latest dialog version's type
    mean = sum(scores) / len(scores) if scores else None
    return QuestionStats(
        question_id=question_id,
        question_type=question_type,
        answered=len(matched),
        by_status=dict(Counter(answer.status for answer in answers)),
        distribution=_distribution(answer.value for answer in matched if answer.value is not None),
        mean_score=mean,
        index=_index(question_type, scores, mean, scale),
    )


def _index(question_type: str, scores: list[int], mean: float | None, scale: tuple[int, int]) -> float | None:
    low, high = scale
    # A score outside the scale means it is not the scale we think: better no index than a wrong one.
    if (
        question_type != SCALE_TYPE
        or mean is None
        or low >= high
        or not all(low <= s <= high for s in scores)
    ):
        return None
    return scale_index(mean, low, high)


def _distribution(values: Iterable[str]) -> dict[str, int]:
    counts = Counter(values)
    numeric = all(value.lstrip("-").isdigit() for value in counts)
    ordered = sorted(counts, key=lambda value: (int(value), value) if numeric else (0, value))
    return {value: counts[value] for value in ordered}
