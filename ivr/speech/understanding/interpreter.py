"""`SwedishAnswerInterpreter`: what a spoken Swedish answer means for a survey question.

The engine's `AnswerInterpreter`. A spoken answer means what the same answer on the keypad means (the value
and score come from the question's own `read_keys`). The question's YAML words win over the built-in
phrases; a longer phrase wins over a shorter one inside it; two different meanings are no answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ivr.dialog.io import Answer, RawInput
from ivr.dialog.model import KeypadQuestion, NumberQuestion, Reading, ScaleQuestion, YesNoQuestion
from ivr.speech.understanding.expected import expected_phrases, question_grammar
from ivr.speech.understanding.matcher import Hit, Phrase, choose, find_phrases
from ivr.speech.understanding.numbers import find_numbers
from ivr.speech.understanding.text import words as words_of
from ivr.speech.understanding.vocabulary import FILLER_WORDS, NEGATION_REACH, NEGATIONS

REJECT_BELOW = 0.35
"""A match with a confidence under this is no match: the caller is asked again."""
WEAK_ALONE_AMONG = 1
"""A lone "en"/"ett" is the answer with at most this many other words ("en gång"), else it is an article."""
UNEXPLAINED_WORD_FACTOR = 0.9
"""The confidence is multiplied by this for each word heard that is neither part of the answer nor filler."""


@dataclass(frozen=True)
class Understanding:
    """The answer, and why: the phrases it rests on and, for a nomatch, the reason (for `ivr dialogs try`)."""

    answer: Answer
    matched: tuple[Hit, ...] = ()
    reason: str = ""
    unexplained: tuple[str, ...] = ()


class SwedishAnswerInterpreter:
    """Reads spoken Swedish answers to scale, yes/no, choice and number questions."""

    def __init__(self, *, reject_below: float = REJECT_BELOW) -> None:
        """Whether a match is read back to the caller is the dialog's `confirm_below` (Dialog.reads_back)."""
        if not 0 <= reject_below <= 1:
            raise ValueError(f"reject_below is a confidence from 0 to 1, got {reject_below}")
        self.reject_below = reject_below

    def interpret(self, question: KeypadQuestion, raw: RawInput) -> Answer:
        return self.understand(question, raw).answer

    def grammar(self, question: KeypadQuestion) -> tuple[str, ...]:
        return question_grammar(question)

    def understand(self, question: KeypadQuestion, raw: RawInput) -> Understanding:
        if not raw.utterance.strip():
            return Understanding(
                Answer("noinput", raw.mode, "", None, raw.confidence), reason="nothing was said"
            )
        heard = words_of(raw.utterance)
        hits = choose([*find_phrases(heard, expected_phrases(question)), *_number_hits(question, heard)])
        hits, top = _without_named_top(question, heard, hits)
        hits = _apply_negations(heard, hits)
        if len(_unexplained(heard, [*hits, *top])) > WEAK_ALONE_AMONG or any(not hit.weak for hit in hits):
            hits = [hit for hit in hits if not hit.weak]
        return self._decide(raw, hits, tuple(_unexplained(heard, [*hits, *top])))

    def _decide(self, raw: RawInput, hits: list[Hit], unexplained: tuple[str, ...]) -> Understanding:
        def nomatch(reason: str, confidence: float = raw.confidence) -> Understanding:
            answer = Answer("nomatch", raw.mode, raw.utterance, None, round(confidence, 3))
            return Understanding(answer, tuple(hits), reason, unexplained)

        meanings = {hit.meaning for hit in hits}
        if not meanings:
            return nomatch("no answer to this question was heard")
        if len(meanings) > 1:
            said = ", ".join(sorted({_describe(hit) for hit in hits}))
            return nomatch(f"more than one answer was heard: {said}")
        meaning = meanings.pop()
        if meaning is None:
            return nomatch(f"not an answer to this question: {', '.join(_describe(hit) for hit in hits)}")
        quality = max(hit.quality for hit in hits)
        confidence = raw.confidence * quality * UNEXPLAINED_WORD_FACTOR ** len(unexplained)
        if confidence < self.reject_below:
            return nomatch(f"confidence {confidence:.2f} is below {self.reject_below}", confidence)
        answer = Answer(
            "match", raw.mode, raw.utterance, meaning.value, round(confidence, 3), score=meaning.score
        )
        return Understanding(answer, tuple(hits), "", unexplained)


def _describe(hit: Hit) -> str:
    if hit.negated:
        return f"{hit.heard!r} (negated)"
    return f"{hit.heard!r} ({'no valid answer' if hit.meaning is None else hit.meaning.value})"


def _number_hits(question: KeypadQuestion, heard: Sequence[str]) -> Iterator[Hit]:
    """Numbers heard, each meaning what the same keys would: the scale value, the option on that key, ..."""
    for number in find_numbers(heard):
        phrase = Phrase(number.heard, _number_meaning(question, number.value), "number")
        weak = number.weak or isinstance(question, YesNoQuestion)  # "två" may be a count, not "nej"
        yield Hit(number.start, number.end, number.heard, phrase, number.quality, weak=weak)


def _without_named_top(
    question: KeypadQuestion, heard: Sequence[str], hits: list[Hit]
) -> tuple[list[Hit], list[Hit]]:
    """ "fyra av fem", "nio av tio": the range's top named, not a second answer. (answers, tops named)"""
    if not isinstance(question, ScaleQuestion | NumberQuestion):
        return hits, []
    ends = {hit.end for hit in hits}
    top = [
        hit
        for hit in hits
        if hit.meaning is not None
        and hit.meaning.score == question.max
        and hit.start >= 2
        and heard[hit.start - 1] == "av"
        and hit.start - 1 in ends
    ]
    return [hit for hit in hits if hit not in top], top


def _number_meaning(question: KeypadQuestion, value: int | None) -> Reading | None:
    if value is None:
        return None
    return question.read_keys(str(value))


def _apply_negations(heard: Sequence[str], hits: list[Hit]) -> list[Hit]:
    """A phrase right after a negation of its own ("inte fyra", "inte väntetiden") means no valid answer."""
    covered = {at for hit in hits for at in range(hit.start, hit.end)}
    turned = []
    for hit in hits:
        before = range(max(0, hit.start - NEGATION_REACH), hit.start)
        negated = any(heard[at] in NEGATIONS and at not in covered for at in before)
        turned.append(dataclasses.replace(hit, negated=True) if negated else hit)
    return turned


def _unexplained(heard: Sequence[str], hits: list[Hit]) -> list[str]:
    """Words that are neither part of a phrase found nor filler, nor a negation next to a phrase found."""
    covered = {at for hit in hits for at in range(max(0, hit.start - NEGATION_REACH), hit.end)}
    return [
        word
        for at, word in enumerate(heard)
        if word not in FILLER_WORDS and not (at in covered and (word in NEGATIONS or _in_hit(at, hits)))
    ]


def _in_hit(at: int, hits: list[Hit]) -> bool:
    return any(hit.start <= at < hit.end for hit in hits)
