"""What the read side hands out: one survey response with everything that belongs to it."""

from __future__ import annotations

from dataclasses import dataclass

from ivr.store.tables import Call, Comment, SurveyAnswer, SurveyResponse


@dataclass(frozen=True)
class ResponseRecord:
    """One survey response with its call, its answers in the order asked, and its comments by time."""

    response: SurveyResponse
    call: Call
    answers: tuple[SurveyAnswer, ...]
    comments: tuple[Comment, ...]

    def answer(self, question_id: str) -> SurveyAnswer | None:
        return next((answer for answer in self.answers if answer.question_id == question_id), None)

    @property
    def comment(self) -> Comment | None:
        """The first comment, for the usual survey with one comment question."""
        return self.comments[0] if self.comments else None
