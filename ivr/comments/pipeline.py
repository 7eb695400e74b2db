"""The one processing function for a recorded comment: transcribe, mask, classify, store.

Used by the queue's job (`ivr worker`), by `ivr comments process` and by the demo, so a comment is handled
the same way whoever runs it. Personal data is masked before the text is stored or sent to a classifier
(Rasa included). The outcome is written to the `comments` row (SQL is the source of truth):

- `done`: transcript, engine, labels and `classified_at` stored, `processing_error` cleared;
- delayed (`CommentDelayed`: Rasa or the recogniser down, the database unreachable): the status stays as it
  was and `processing_error` says why; the caller retries (the job with backoff);
- failed (`CommentFailed`: the recording is gone or unreadable for good, the classifier refused the text):
  status `failed` with the error, visible until `ivr comments process --failed` redoes it;
- waiting for a speech model: the comment stays `pending` with `processing_error` "no speech model: ...
  `ivr models fetch ...`"; the worker's sweep tries it again, so it is done once the model is fetched.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, NoReturn, ParamSpec, Protocol, TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

from ivr.nlu import Classifier, mask_personal_data
from ivr.nlu.rasa_client import RasaError, RasaUnavailable
from ivr.speech.recognition.base import EngineUnavailable, ModelNotFound, RecognitionError, Transcript
from ivr.store.comments import (
    CommentLabels,
    StoredComment,
    load_comment,
    mark_failed,
    note_delay,
    store_labels,
)
from ivr.store.database import Database

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

Outcome = Literal["done", "skipped", "waiting"]
NO_SPEECH_MODEL = "no speech model"


class Transcriber(Protocol):
    """What the pipeline needs of a recogniser: `RecognitionService.transcribe` (the comment engine)."""

    async def transcribe(self, wav: Path) -> Transcript: ...


class SpeechSource(Protocol):
    """Gives the transcriber, or says why there is none (no model yet): asked again for every comment, so
    a model fetched while the worker runs is used from the next comment on."""

    def transcriber(self) -> Transcriber | str: ...


class CommentDelayed(RuntimeError):
    """Something the comment needs is down (Rasa, the recogniser, the database): try again later."""


class CommentFailed(RuntimeError):
    """The comment cannot be processed as it is (retrying will not help); it is marked `failed`."""


@dataclass(frozen=True)
class ProcessResult:
    comment_id: uuid.UUID
    outcome: Outcome
    detail: str = ""  # the reason when waiting or skipped; the sentiment when done


def utc_now() -> datetime:
    return datetime.now(UTC)


class CommentProcessor:
    """Processes one stored comment at a time; see the module docstring for the outcomes."""

    def __init__(
        self,
        database: Database,
        classifier: Classifier,
        speech: SpeechSource,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.database = database
        self._classifier = classifier
        self._speech = speech
        self._clock = clock

    async def process(self, comment_id: uuid.UUID, *, only_pending: bool = True) -> ProcessResult:
        """Process the comment. `only_pending`: leave a comment that is done or failed alone (the queue's
        job); False redoes it whatever its status (`ivr comments process`)."""
        comment = await self._db(load_comment, self.database, comment_id)
        if comment is None:  # e.g. a job from another deployment's database on a shared Redis and prefix
            return ProcessResult(comment_id, "skipped", "not in the database")
        if only_pending and comment.status != "pending":
            return ProcessResult(comment_id, "skipped", f"already {comment.status}")
        source = self._speech.transcriber()
        if isinstance(source, str):
            return await self._wait_for_model(comment_id, source)
        try:
            transcript = await self._transcribe(source, comment)
        except (ModelNotFound, EngineUnavailable) as error:
            return await self._wait_for_model(comment_id, str(error))
        labels = await self._classify(comment_id, transcript)
        await self._db(store_labels, self.database, comment_id, labels)
        return ProcessResult(comment_id, "done", labels.sentiment or "(tyst)")

    async def fail(self, comment_id: uuid.UUID, error: BaseException) -> None:
        """Mark the comment failed for good with `error` (the job's last try)."""
        await self._db(mark_failed, self.database, comment_id, _describe(error))

    async def _transcribe(self, transcriber: Transcriber, comment: StoredComment) -> Transcript:
        path = comment.recording_path
        if not await asyncio.to_thread(path.is_file):
            await self._failed(
                comment.id, f"the recording {path} does not exist (moved or deleted?); nothing to transcribe"
            )
        try:
            return await transcriber.transcribe(path)
        except (ModelNotFound, EngineUnavailable):
            raise
        except RecognitionError as error:
            await self._delayed(comment.id, f"transcription failed: {error}")

    async def _classify(self, comment_id: uuid.UUID, transcript: Transcript) -> CommentLabels:
        masked = mask_personal_data(transcript.text)  # before anything is stored or sent
        sentiment: str | None = None
        confidence: float | None = None
        areas: list[str] = []
        by_area: dict[str, str] = {}
        if masked.strip():
            try:
                result = await asyncio.to_thread(self._classifier.classify, masked)
            except RasaUnavailable as error:
                await self._delayed(comment_id, f"classification delayed: {error}")
            except RasaError as error:
                await self._failed(comment_id, f"Rasa could not classify the comment: {error}")
            sentiment, confidence = result.sentiment, result.confidence
            areas, by_area = list(result.areas), {area: feeling for area, feeling in result.by_area.items()}
        return CommentLabels(
            transcript=masked,
            transcript_engine=transcript.engine,
            sentiment=sentiment,
            sentiment_confidence=confidence,
            areas=areas,
            by_area=by_area,
            classified_at=self._clock(),
        )

    async def _wait_for_model(self, comment_id: uuid.UUID, reason: str) -> ProcessResult:
        message = f"{NO_SPEECH_MODEL}: {reason}"
        await self._db(note_delay, self.database, comment_id, message)
        return ProcessResult(comment_id, "waiting", message)

    async def _delayed(self, comment_id: uuid.UUID, message: str) -> NoReturn:
        try:
            await asyncio.to_thread(note_delay, self.database, comment_id, message)
        except (OperationalError, DBAPIError) as error:
            log.warning("comment %s: could not note the delay (%s)", comment_id, _describe(error))
        raise CommentDelayed(message)

    async def _failed(self, comment_id: uuid.UUID, message: str) -> NoReturn:
        await self._db(mark_failed, self.database, comment_id, message)
        raise CommentFailed(message)

    async def _db(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except (OperationalError, DBAPIError) as error:
            raise CommentDelayed(f"the database is unavailable: {_describe(error)}") from error


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    first_line = text.splitlines()[0] if text else ""
    if isinstance(error, CommentDelayed | CommentFailed):
        return first_line
    return f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__
