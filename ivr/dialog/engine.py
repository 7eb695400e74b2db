"""The dialog engine: runs one dialog over a `CallIO`, reporting each answer the moment it is given.

Flow: intro, each question in order (skipped when its `ask_if` does not hold), goodbye; the app hangs up.
An outbound survey (the bot called the citizen) says the dialog's outbound greeting instead of the intro and
asks for consent first (stored as the answer `samtycke`, position 0): anything but a yes says `declined` and
ends the dialog as "ended", with no questions asked.

- A keypad question is asked up to 1 + retries times; after a noinput or nomatch the reprompt text is said,
  then the question again. The last attempt's status is the answer.
- When the attempts run out and the question's `on_exhausted` is "end", the engine says `ended_early` (if
  the dialog has it) and then the goodbye, which is always the last thing said; the status is "ended".
- A hang-up (CallerHungUp from any io call) during a question stores a "hangup" answer for it and ends the
  dialog as "partial"; the engine then leaves the io alone. A hang-up during the intro is "partial" with no
  answers. A hang-up after the last question (during the goodbye) keeps the status the dialog had reached.
- The comment is the last question: a hang-up while recording keeps the recording (the io returns it with
  ended_by="hangup"; the goodbye is skipped) and the dialog is "completed". A hang-up while its prompt plays
  also counts as "completed": every scored answer is in, and the comment is voluntary.
- Speech (`RawInput(mode="speech")`) is read by the optional interpreter; without one it is a nomatch, and
  without one no question is offered to speech. With one, a question that accepts speech gets the
  interpreter's grammar. A spoken match heard with less confidence than `confirm_below` is read back
  ("Jag uppfattade fyra. Stämmer det?"); anything but a yes makes it a failed attempt, and the question is
  asked again after the `rejected` lead-in.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Literal, Protocol

from ivr.dialog.io import Answer, CallerHungUp, CallIO, InputMode, InputSpec, Prompt, RawInput, Recording
from ivr.dialog.model import (
    CommentQuestion,
    Dialog,
    KeypadQuestion,
    Question,
    RepromptKind,
    YesNoQuestion,
)

log = logging.getLogger(__name__)

DialogStatus = Literal["completed", "partial", "ended"]

# The yes or no after "Jag uppfattade fyra. Stämmer det?": the default keys, 1 for ja and 2 for nej.
CONFIRMATION = YesNoQuestion(id="confirm", type="yesno", prompt="Stämmer det?")


class DialogObserver(Protocol):
    """Told of each result the moment it happens, so the app can store it at once."""

    async def answered(self, question: KeypadQuestion, position: int, answer: Answer) -> None: ...

    async def commented(self, question: CommentQuestion, position: int, recording: Recording) -> None: ...

    async def finished(self, status: DialogStatus) -> None: ...


class AnswerInterpreter(Protocol):
    """Reads spoken input for a question (Swedish answer understanding)."""

    def interpret(self, question: KeypadQuestion, raw: RawInput) -> Answer:
        """The answer the words mean: "match" with a value and a confidence, or "nomatch"."""
        ...

    def grammar(self, question: KeypadQuestion) -> tuple[str, ...]:
        """Every phrase a recogniser should expect for the question (its grammar), without "[unk]"."""
        ...


@dataclass(frozen=True)
class DialogResult:
    status: DialogStatus
    answers: dict[str, Answer] = field(default_factory=dict)
    comment: Recording | None = None


class _DialogEnded(Exception):
    """A question ran out of attempts with on_exhausted: end."""


@dataclass
class _Progress:
    status: DialogStatus = "partial"  # what a hang-up at this point would leave
    answers: dict[str, Answer] = field(default_factory=dict)
    comment: Recording | None = None


class DialogEngine:
    def __init__(
        self,
        dialog: Dialog,
        io: CallIO,
        observer: DialogObserver,
        interpreter: AnswerInterpreter | None = None,
        *,
        outbound: bool = False,
    ) -> None:
        """`outbound`: the bot called the citizen: it greets them and asks for consent before the survey."""
        self.dialog = dialog
        self.io = io
        self.observer = observer
        self.interpreter = interpreter
        self.outbound = outbound

    async def run(self) -> DialogResult:
        """Run the dialog once; a hang-up is a result, not an exception."""
        progress = _Progress()
        try:
            await self._run_steps(progress)
        except CallerHungUp:
            log.info("caller hung up in dialog %s (%s)", self.dialog.id, progress.status)
        log.info("dialog %s version %s: %s", self.dialog.id, self.dialog.version, progress.status)
        await self.observer.finished(progress.status)
        return DialogResult(status=progress.status, answers=progress.answers, comment=progress.comment)

    async def _run_steps(self, progress: _Progress) -> None:
        if not await self._opening(progress):
            return
        try:
            for position, question in enumerate(self.dialog.questions, start=1):
                if self.dialog.should_ask(question, progress.answers):
                    await self._ask_one(question, position, progress)
            progress.status = "completed"
        except _DialogEnded:
            progress.status = "ended"
            ended_early = self.dialog.ended_early_prompt()
            if ended_early is not None:
                await self.io.play(ended_early)
        await self.io.play(self.dialog.goodbye_prompt())

    async def _opening(self, progress: _Progress) -> bool:
        """The intro; on an outbound call the greeting and the consent instead. False without a yes."""
        if not self.outbound:
            intro = self.dialog.intro_prompt()
            if intro is not None:
                await self.io.play(intro)
            return True
        greeting, declined = self.dialog.outbound_prompts()
        await self.io.play(greeting)
        consent = self.dialog.consent_question()
        answer = await self._ask_keypad(consent, 0)
        progress.answers[consent.id] = answer
        if answer.status == "hangup":
            raise CallerHungUp
        if answer.value == "ja":
            return True
        progress.status = "ended"
        await self.io.play(declined)
        return False

    async def _ask_one(self, question: Question, position: int, progress: _Progress) -> None:
        if isinstance(question, CommentQuestion):
            progress.status = "completed"  # the comment is last and voluntary: every answer is in
            progress.comment = await self._record_comment(question, position)
            if progress.comment.ended_by == "hangup":
                raise CallerHungUp  # nobody is left to hear the goodbye
            return
        answer = await self._ask_keypad(question, position)
        progress.answers[question.id] = answer
        if answer.status == "hangup":
            raise CallerHungUp
        if answer.status != "match" and self.dialog.on_exhausted(question) == "end":
            raise _DialogEnded

    async def _record_comment(self, question: CommentQuestion, position: int) -> Recording:
        recording = await self.io.record(
            self.dialog.question_prompt(question),
            name=question.id,
            max_s=question.max_s,
            silence_s=question.silence_s,
            end_keys=question.end_keys,
            beep=question.beep,
        )
        await self.observer.commented(question, position, recording)
        return recording

    async def _ask_keypad(self, question: KeypadQuestion, position: int) -> Answer:
        """Ask until a match or the attempts run out; the answer (or a hang-up) is reported at once."""
        answer = await self._attempts(question)
        await self.observer.answered(question, position, answer)
        return answer

    async def _attempts(self, question: KeypadQuestion) -> Answer:
        spec = self._input_spec(question)
        attempts = 1 + self.dialog.retries(question)
        prompt = self.dialog.question_prompt(question)
        attempt = 1
        mode: InputMode = "dtmf"
        try:
            while True:
                raw = await self.io.ask(prompt, spec)
                mode = raw.mode
                answer = dataclasses.replace(self._interpret(question, raw), attempts=attempt)
                kind: RepromptKind = "noinput" if answer.status == "noinput" else "nomatch"
                if answer.status == "match" and not await self._confirmed(question, answer):
                    answer = dataclasses.replace(answer, status="nomatch", value=None, score=None)
                    kind = "rejected"
                if answer.status == "match" or attempt == attempts:
                    return answer
                attempt += 1
                prompt = await self._reprompt(question, kind)
        except CallerHungUp:
            return Answer("hangup", mode, "", None, 0.0, attempts=attempt)

    def _input_spec(self, question: KeypadQuestion) -> InputSpec:
        spec = self.dialog.input_spec(question)
        if self.interpreter is None or not self.dialog.accepts_speech(question):
            return spec
        return dataclasses.replace(spec, phrases=self.interpreter.grammar(question), speech=True)

    async def _confirmed(self, question: KeypadQuestion, answer: Answer) -> bool:
        """False only when an uncertain spoken answer was read back and the caller did not say yes to it."""
        prompt = self.dialog.confirm_prompt(question, answer.value or "")
        if prompt is None or not self.dialog.reads_back(question, answer):
            return True  # numbers are not read back: the interpreter has already rejected weak ones
        spec = self._input_spec(CONFIRMATION)
        reply = self._interpret(CONFIRMATION, await self.io.ask(prompt, spec))
        log.info("question %s: read back %r, caller said %s", question.id, answer.value, reply.value)
        return reply.value == "ja"

    async def _reprompt(self, question: KeypadQuestion, kind: RepromptKind) -> Prompt:
        reprompt = self.dialog.reprompt(question, kind)
        if reprompt.lead_in is not None:
            await self.io.play(reprompt.lead_in)
        return reprompt.ask

    def _interpret(self, question: KeypadQuestion, raw: RawInput) -> Answer:
        if not raw.utterance.strip():
            return Answer("noinput", raw.mode, "", None, raw.confidence)
        if raw.mode == "speech":
            if self.interpreter is None:
                return Answer("nomatch", "speech", raw.utterance, None, raw.confidence)
            return self.interpreter.interpret(question, raw)
        reading = question.read_keys(raw.utterance)
        if reading is None:
            return Answer("nomatch", "dtmf", raw.utterance, None, 1.0)
        return Answer("match", "dtmf", raw.utterance, reading.value, 1.0, score=reading.score)
