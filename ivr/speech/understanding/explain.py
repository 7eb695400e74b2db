"""How an utterance was understood, as lines for `ivr dialogs try` (for operators tuning their words)."""

from __future__ import annotations

from ivr.dialog.model import Dialog, KeypadQuestion, NumberQuestion, ScaleQuestion, YesNoQuestion
from ivr.speech.understanding.interpreter import SwedishAnswerInterpreter, Understanding
from ivr.speech.understanding.matcher import Hit

_SOURCES = {"yaml": "word from the YAML", "built-in": "built-in phrase", "number": "number"}


def describe_question(question: KeypadQuestion) -> str:
    if isinstance(question, ScaleQuestion | NumberQuestion):
        return f"{question.id} ({question.type} {question.min}..{question.max})"
    if isinstance(question, YesNoQuestion):
        return f"{question.id} (yesno: ja on key {question.yes_key}, nej on key {question.no_key})"
    options = ", ".join(f"{option.key}={option.value}" for option in question.options)
    return f"{question.id} (choice: {options})"


def explain(
    dialog: Dialog,
    question: KeypadQuestion,
    understanding: Understanding,
    interpreter: SwedishAnswerInterpreter,
) -> list[str]:
    """The question, the status, value, score and confidence, the phrases matched, and why not when not."""
    answer = understanding.answer
    note = _threshold_note(dialog, question, understanding, interpreter)
    lines = [
        f"question:   {describe_question(question)}",
        f"heard:      {answer.utterance!r}",
        f"status:     {answer.status}",
        f"value:      {_shown(answer.value)}",
        f"score:      {_shown(answer.score)}",
        f"confidence: {answer.confidence:.2f} ({note})",
    ]
    lines += [f"matched:    {_hit_line(hit)}" for hit in understanding.matched]
    if understanding.unexplained:
        lines.append(f"not understood: {' '.join(understanding.unexplained)} (each lowers the confidence)")
    if understanding.reason:
        lines.append(f"why:        {understanding.reason}")
    return lines


def _shown(value: object) -> str:
    return "-" if value is None else str(value)


def _threshold_note(
    dialog: Dialog,
    question: KeypadQuestion,
    understanding: Understanding,
    interpreter: SwedishAnswerInterpreter,
) -> str:
    confirm_below = dialog.defaults.confirm_below
    limits = f"confirm below {confirm_below:.2f}, reject below {interpreter.reject_below:.2f}"
    if understanding.answer.status != "match":
        return limits
    if dialog.reads_back(question, understanding.answer):
        return f"the bot would ask the caller to confirm; {limits}"
    return f"accepted; {limits}"


def _hit_line(hit: Hit) -> str:
    said = repr(hit.heard) if hit.heard == hit.phrase.text else f"{hit.heard!r} as {hit.phrase.text!r}"
    meaning = "negated" if hit.negated else ("no valid answer" if hit.meaning is None else hit.meaning.value)
    return f"{said} -> {meaning} ({_SOURCES[hit.phrase.source]}, quality {hit.quality:.2f})"
