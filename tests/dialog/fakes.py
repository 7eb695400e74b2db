"""A scripted CallIO and a recording observer for the dialog engine's tests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from ivr.dialog.engine import DialogStatus
from ivr.dialog.io import Answer, CallerHungUp, InputSpec, Prompt, RawInput, Recording, RecordingEnd
from ivr.dialog.model import CommentQuestion, KeypadQuestion

CallKind = Literal["play", "ask", "record"]


@dataclass(frozen=True)
class IoCall:
    kind: CallKind
    prompt: Prompt
    spec: InputSpec | None = None
    record_options: dict[str, Any] = field(default_factory=dict)


class ScriptedCallIO:
    """Answers `ask` with scripted inputs in order and records every call.

    `hang_up_at` makes the call with that 0-based index raise CallerHungUp. After a hang-up every further call
    is noted in `calls_after_hangup` (the engine must not make any) and raises CallerHungUp again.
    """

    def __init__(
        self,
        inputs: Iterable[RawInput | str] = (),
        *,
        hang_up_at: int | None = None,
        recording_end: RecordingEnd = "dtmf",
        events: list[str] | None = None,
    ) -> None:
        self.inputs = [RawInput("dtmf", item) if isinstance(item, str) else item for item in inputs]
        self.hang_up_at = hang_up_at
        self.recording_end = recording_end
        self.calls: list[IoCall] = []
        self.calls_after_hangup: list[IoCall] = []
        self.hung_up = False
        self.events = events if events is not None else []

    @property
    def said(self) -> list[str]:
        """The names of the prompts, in the order they were played, asked or recorded after."""
        return [call.prompt.name for call in self.calls]

    async def play(self, prompt: Prompt) -> None:
        self._enter(IoCall("play", prompt))

    async def ask(self, prompt: Prompt, spec: InputSpec) -> RawInput:
        self._enter(IoCall("ask", prompt, spec))
        if not self.inputs:
            raise AssertionError(f"the script has no input left for {prompt.name}")
        return self.inputs.pop(0)

    async def record(
        self,
        prompt: Prompt,
        *,
        name: str,
        max_s: float,
        silence_s: float,
        end_keys: str = "#",
        beep: bool = True,
    ) -> Recording:
        options = {"name": name, "max_s": max_s, "silence_s": silence_s, "end_keys": end_keys, "beep": beep}
        self._enter(IoCall("record", prompt, record_options=options))
        if self.recording_end == "hangup":
            self.hung_up = True
        return Recording(Path(f"/recordings/{name}.wav"), 7.5, self.recording_end)

    async def hangup(self) -> None:
        raise AssertionError("the engine must leave hanging up to the app")

    def _enter(self, call: IoCall) -> None:
        if self.hung_up:
            self.calls_after_hangup.append(call)
            raise CallerHungUp
        self.events.append(f"io.{call.kind}:{call.prompt.name}")
        if self.hang_up_at is not None and len(self.calls) == self.hang_up_at:
            self.hung_up = True
            self.calls.append(call)
            raise CallerHungUp
        self.calls.append(call)


class RecordingObserver:
    def __init__(self, events: list[str] | None = None) -> None:
        self.answers: list[tuple[str, int, Answer]] = []
        self.comments: list[tuple[str, int, Recording]] = []
        self.statuses: list[DialogStatus] = []
        self.events = events if events is not None else []

    async def answered(self, question: KeypadQuestion, position: int, answer: Answer) -> None:
        self.events.append(f"answered:{question.id}")
        self.answers.append((question.id, position, answer))

    async def commented(self, question: CommentQuestion, position: int, recording: Recording) -> None:
        self.events.append(f"commented:{question.id}")
        self.comments.append((question.id, position, recording))

    async def finished(self, status: DialogStatus) -> None:
        self.events.append(f"finished:{status}")
        self.statuses.append(status)

    def answer_of(self, question_id: str) -> Answer:
        found = [answer for qid, _, answer in self.answers if qid == question_id]
        assert len(found) == 1, f"{question_id} was reported {len(found)} times"
        return found[0]


class FakeInterpreter:
    """Reads "fyra"-style words for a scale; anything else is a nomatch. Notes what it was given."""

    WORDS: ClassVar[dict[str, int]] = {"ett": 1, "två": 2, "tre": 3, "fyra": 4, "fem": 5}

    def __init__(self) -> None:
        self.seen: list[tuple[str, RawInput]] = []

    def interpret(self, question: KeypadQuestion, raw: RawInput) -> Answer:
        self.seen.append((question.id, raw))
        score = self.WORDS.get(raw.utterance.strip().lower())
        if score is None:
            return Answer("nomatch", "speech", raw.utterance, None, raw.confidence)
        return Answer("match", "speech", raw.utterance, str(score), raw.confidence, score=score)

    def grammar(self, question: KeypadQuestion) -> tuple[str, ...]:
        return (*self.WORDS, *question.phrases())


class FakeYesNoInterpreter(FakeInterpreter):
    """Also reads "ja" and "nej" for yes/no questions (the read-back of an uncertain answer)."""

    def interpret(self, question: KeypadQuestion, raw: RawInput) -> Answer:
        word = raw.utterance.strip().lower()
        if question.type == "yesno" and word in ("ja", "nej"):
            self.seen.append((question.id, raw))
            return Answer("match", "speech", raw.utterance, word, raw.confidence, score=int(word == "ja"))
        return super().interpret(question, raw)
