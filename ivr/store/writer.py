"""`SurveyStore`: the call path's way into the database, without ever waiting on it.

The app calls the plain methods (`call_started`, `answer_given`, ...): each validates its input, puts one
typed operation on an in-memory queue and returns at once. One background task drains the queue in batches,
each applied in one transaction in a worker thread (group commit: while one batch commits, the next gathers).
A failing database keeps the batch at the head of the queue and is retried with capped backoff; `close`
writes whatever is still unwritten to the spool directory, and the next `start` replays it before anything
else.
Call the methods from the event loop's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from ivr.dialog.io import Answer, Recording
from ivr.store.database import Database
from ivr.store.operations import (
    AnswerGiven,
    CallEnded,
    CallStarted,
    CommentRecorded,
    Direction,
    EndStatus,
    InboundCallRecorded,
    InboundResult,
    Operation,
    QueueOutcome,
    QueueWaitMeasured,
    ResponseEnded,
    ResponseStarted,
    apply_batch,
    operation_ref,
)
from ivr.store.pseudonym import DEFAULT_CALLER_SALT, caller_pseudonym
from ivr.store.spool import read_spool, remove_files, write_rejected, write_spool

log = logging.getLogger(__name__)


class StoreClosedError(RuntimeError):
    """An operation came after `SurveyStore.close()`."""


@dataclass
class WriterStats:
    """Counters for benchmarks and health checks."""

    enqueued_ops: int = 0
    committed_ops: int = 0
    batches: int = 0  # committed transactions
    retries: int = 0  # failed attempts that were retried
    rejected_ops: int = 0  # refused by the database, kept in a rejected-*.jsonl file
    spooled_ops: int = 0
    replayed_ops: int = 0


def utc_now() -> datetime:
    return datetime.now(UTC)


def _is_refused(error: Exception) -> bool:
    """True when retrying cannot help: the database refuses these values (as opposed to being unavailable)."""
    if isinstance(error, IntegrityError | DataError):
        return True
    return isinstance(error, StatementError) and not isinstance(error, DBAPIError)  # bad bind value


def _describe(error: BaseException) -> str:
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first_line}"


class SurveyStore:
    """Non-blocking, lossless survey writer; see the module docstring."""

    def __init__(
        self,
        database: Database | str,
        spool_dir: Path | str,
        *,
        caller_salt: str = DEFAULT_CALLER_SALT,
        max_batch: int = 500,
        retry_initial_s: float = 0.05,
        retry_max_s: float = 5.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._owns_database = not isinstance(database, Database)
        self.database = Database(database) if isinstance(database, str) else database
        self.spool_dir = Path(spool_dir)
        self._caller_salt = caller_salt
        self._max_batch = max(1, max_batch)
        self._retry_initial_s = retry_initial_s
        self._retry_max_s = max(retry_initial_s, retry_max_s)
        self._clock = clock
        self.stats = WriterStats()
        self._pending: deque[Operation] = deque()
        self._finished = 0  # operations taken off the queue (committed or rejected)
        self._wakeup = asyncio.Event()
        self._progress = asyncio.Condition()
        self._drainer: asyncio.Task[None] | None = None
        self._replayed_files: list[Path] = []
        self._replay_end = 0  # when `_finished` reaches it, the replayed spool files are done
        self._closing = False
        self._closed = False

    @property
    def pending_ops(self) -> int:
        return len(self._pending)

    # -- lifecycle --

    async def start(self, replay_timeout_s: float | None = 10.0) -> None:
        """Replay the spool, then start the writer. Waits up to `replay_timeout_s` for the replay to commit;
        if the database is not there yet, the replay goes on in the background (ahead of new operations)."""
        if self._drainer is not None or self._closing:
            raise RuntimeError("SurveyStore.start() may be called once, before close()")
        await asyncio.to_thread(self.spool_dir.mkdir, parents=True, exist_ok=True)
        spooled = await asyncio.to_thread(read_spool, self.spool_dir)
        if spooled.operations:
            log.info(
                "replaying %d spooled operations from %d files", len(spooled.operations), len(spooled.files)
            )
        # The replay goes ahead of anything enqueued before start(), keeping the original order.
        self._pending.extendleft(reversed(spooled.operations))
        self.stats.enqueued_ops += len(spooled.operations)
        self.stats.replayed_ops += len(spooled.operations)
        self._replayed_files = spooled.files
        self._replay_end = len(spooled.operations)
        self._drainer = asyncio.create_task(self._drain(), name="survey-store-writer")
        self._wakeup.set()
        if spooled.files and not await self.flush(replay_timeout_s):
            log.warning(
                "spool replay not committed yet (database unavailable?); it continues in the background"
            )

    async def flush(self, timeout_s: float | None = None) -> bool:
        """Wait until everything enqueued so far is committed (or, if the database refused it, kept aside).

        False on timeout, or when the store was closed first (the rest is then in the spool).
        """
        if self._drainer is None and not self._closed:
            raise RuntimeError("SurveyStore.flush() needs start() first")
        target = self.stats.enqueued_ops
        async with self._progress:
            try:
                await asyncio.wait_for(
                    self._progress.wait_for(lambda: self._committed_up_to(target) or self._closed), timeout_s
                )
            except TimeoutError:
                return False
            return self._committed_up_to(target)

    async def close(self, timeout_s: float = 5.0) -> None:
        """Flush for up to `timeout_s`, stop the writer and spool what is still unwritten."""
        if self._closing:
            return
        self._closing = True
        if self._drainer is not None:
            await self.flush(timeout_s)
            self._drainer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drainer
        await self._spool_pending()
        self._closed = True
        async with self._progress:
            self._progress.notify_all()
        if self._owns_database:
            self.database.dispose()

    # -- the app's operations (non-blocking) --

    def call_started(
        self,
        *,
        uniqueid: str,
        tenant: str,
        script: str,
        channel: str,
        caller_number: str | None,
        language: str,
        started_at: datetime | None = None,
        call_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        """A call reached the bot. The caller's number is stored only as a salted pseudonym."""
        operation = CallStarted(
            id=call_id or uuid.uuid4(),
            uniqueid=uniqueid,
            tenant=tenant,
            script=script,
            channel=channel,
            caller_ref=caller_pseudonym(caller_number, self._caller_salt),
            language=language,
            started_at=started_at or self._clock(),
        )
        self._enqueue(operation)
        return operation.id

    def response_started(
        self,
        *,
        call_id: uuid.UUID,
        tenant: str,
        dialog_id: str,
        dialog_version: str,
        purpose: str,
        direction: Direction,
        queue: str | None = None,
        agent: str | None = None,
        started_at: datetime | None = None,
        response_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        """A survey began (status "in_progress")."""
        operation = ResponseStarted(
            id=response_id or uuid.uuid4(),
            call_id=call_id,
            tenant=tenant,
            dialog_id=dialog_id,
            dialog_version=dialog_version,
            purpose=purpose,
            queue=queue,
            agent=agent,
            direction=direction,
            started_at=started_at or self._clock(),
        )
        self._enqueue(operation)
        return operation.id

    def answer_given(
        self,
        *,
        response_id: uuid.UUID,
        question_id: str,
        question_type: str,
        position: int,
        answer: Answer,
        answered_at: datetime | None = None,
    ) -> uuid.UUID:
        """One answer; a second answer to the same question of the same response replaces the first."""
        operation = AnswerGiven(
            id=uuid.uuid4(),
            response_id=response_id,
            question_id=question_id,
            question_type=question_type,
            position=position,
            status=answer.status,
            mode=answer.mode,
            utterance=answer.utterance,
            value=answer.value,
            score=answer.score,
            confidence=answer.confidence,
            attempts=answer.attempts,
            answered_at=answered_at or self._clock(),
        )
        self._enqueue(operation)
        return operation.id

    def comment_recorded(
        self,
        *,
        response_id: uuid.UUID,
        question_id: str,
        recording: Recording,
        recorded_at: datetime | None = None,
    ) -> uuid.UUID:
        """A spoken comment was recorded; transcription and classification come later (status "pending")."""
        operation = CommentRecorded(
            id=uuid.uuid4(),
            response_id=response_id,
            question_id=question_id,
            recording_path=str(recording.path),
            duration_s=recording.duration_s,
            ended_by=recording.ended_by,
            recorded_at=recorded_at or self._clock(),
        )
        self._enqueue(operation)
        return operation.id

    def response_ended(
        self, *, response_id: uuid.UUID, status: EndStatus, ended_at: datetime | None = None
    ) -> None:
        """The survey ended: "completed", "partial" (caller hung up) or "ended" (the dialog ended it)."""
        self._enqueue(ResponseEnded(id=response_id, status=status, ended_at=ended_at or self._clock()))

    def call_ended(
        self, *, call_id: uuid.UUID, outcome: str | None = None, ended_at: datetime | None = None
    ) -> None:
        self._enqueue(CallEnded(id=call_id, outcome=outcome, ended_at=ended_at or self._clock()))

    def inbound_call(
        self,
        *,
        uniqueid: str,
        tenant: str,
        queue: str,
        arrived_at: datetime,
        result: InboundResult,
        position: int | None = None,
        announced_wait_s: float | None = None,
        offered_callback: bool = False,
        callback_accepted: bool = False,
    ) -> None:
        """What `/inbound` announced and offered a caller, and what it set INBOUND_RESULT to."""
        self._enqueue(
            InboundCallRecorded(
                uniqueid=uniqueid,
                tenant=tenant,
                queue=queue,
                arrived_at=arrived_at,
                position=position,
                announced_wait_s=announced_wait_s,
                offered_callback=offered_callback,
                callback_accepted=callback_accepted,
                result=result,
            )
        )

    def queue_wait_measured(
        self,
        *,
        uniqueid: str,
        queue: str,
        outcome: QueueOutcome,
        actual_wait_s: float,
        ended_at: datetime | None = None,
    ) -> None:
        """A caller left the queue: answered by an agent or abandoned, after `actual_wait_s` in it."""
        self._enqueue(
            QueueWaitMeasured(
                uniqueid=uniqueid,
                queue=queue,
                outcome=outcome,
                actual_wait_s=actual_wait_s,
                ended_at=ended_at or self._clock(),
            )
        )

    # -- the writer --

    def _enqueue(self, operation: Operation) -> None:
        if self._closing:
            raise StoreClosedError(f"the survey store is closed; {operation.kind} was not accepted")
        self._pending.append(operation)
        self.stats.enqueued_ops += 1
        self._wakeup.set()

    def _committed_up_to(self, target: int) -> bool:
        return self._finished >= target

    async def _drain(self) -> None:
        failures = 0
        while True:
            if not self._pending:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            batch = list(islice(self._pending, self._max_batch))
            try:
                await asyncio.to_thread(apply_batch, self.database.engine, batch)
            except Exception as error:  # the writer must outlive any failure; nothing is dropped here
                if _is_refused(error):
                    await self._apply_one_by_one(batch)
                    continue
                failures += 1
                await self._back_off(failures, error)
                continue
            if failures:
                log.info("database writes recovered after %d failed attempts", failures)
                failures = 0
            self.stats.committed_ops += len(batch)
            self.stats.batches += 1
            await self._finish(len(batch))

    async def _back_off(self, failures: int, error: Exception) -> None:
        self.stats.retries += 1
        delay = min(self._retry_max_s, self._retry_initial_s * 2 ** (failures - 1))
        log.warning(
            "database write failed (attempt %d, %d operations waiting); retrying in %.2f s: %s",
            failures,
            len(self._pending),
            delay,
            _describe(error),
        )
        await asyncio.sleep(delay)

    async def _apply_one_by_one(self, batch: list[Operation]) -> None:
        """Find the operations the database refuses, keep them aside, and commit the rest in order."""
        for operation in batch:
            try:
                await asyncio.to_thread(apply_batch, self.database.engine, [operation])
                self.stats.committed_ops += 1
                self.stats.batches += 1
            except Exception as error:
                if not _is_refused(error):
                    return  # unavailable again: the main loop retries from here
                path = await asyncio.to_thread(write_rejected, self.spool_dir, operation, _describe(error))
                self.stats.rejected_ops += 1
                log.error(
                    "database refused %s %s (%s); kept in %s",
                    operation.kind,
                    operation_ref(operation),
                    error,
                    path,
                )
            await self._finish(1)

    async def _finish(self, count: int) -> None:
        for _ in range(count):
            self._pending.popleft()
        self._finished += count
        if self._replayed_files and self._finished >= self._replay_end:
            replayed, self._replayed_files = self._replayed_files, []
            await asyncio.to_thread(remove_files, replayed)
            log.info("spool replay committed")
        async with self._progress:
            self._progress.notify_all()

    async def _spool_pending(self) -> None:
        operations = list(self._pending)
        self._pending.clear()
        if operations:
            try:
                path = await asyncio.to_thread(write_spool, self.spool_dir, operations)
            except OSError as error:
                self._log_unwritable(operations, error)
                raise
            self.stats.spooled_ops += len(operations)
            log.warning("database unavailable at close: %d operations spooled to %s", len(operations), path)
        # Their operations are now committed or in the new spool file.
        remove_files(self._replayed_files)
        self._replayed_files = []

    def _log_unwritable(self, operations: list[Operation], error: OSError) -> None:
        log.critical(
            "cannot write the spool in %s (%s): the %d unwritten operations follow, one per line",
            self.spool_dir,
            error,
            len(operations),
        )
        for operation in operations:
            log.critical("unwritten operation: %s", operation.model_dump_json())
