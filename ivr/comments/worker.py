"""`ivr worker`: an arq worker that runs comment jobs, and sweeps for pending comments that have no job.

Any number of workers may run on any number of machines against the same Redis and database: arq hands each
job to one worker at a time, and each worker's sweep enqueues with the comment's own job id (idempotent).
SIGTERM (and SIGINT) stop taking jobs and let the jobs in progress finish (up to the job timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import timedelta
from typing import Any

from arq.connections import RedisSettings
from arq.worker import Retry, Worker, func
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, OperationalError

from ivr.comments.pipeline import CommentDelayed, CommentFailed, CommentProcessor, SpeechSource
from ivr.comments.queue import JOB_FUNCTION, CommentQueue, queue_name
from ivr.comments.speech import ConfiguredSpeech
from ivr.nlu import Classifier, classifier_for
from ivr.ops import metrics
from ivr.ops.retention import retention_loop
from ivr.settings import Settings
from ivr.store.database import Database

log = logging.getLogger(__name__)

# arq looks for due jobs this often (its default, 0.5 s, caps a worker at max_jobs / 0.5 s jobs a second).
POLL_DELAY_S = 0.05


def retry_delay(settings: Settings, job_try: int) -> float:
    """Seconds before try `job_try + 1`: doubling from `comment_retry_initial_s`, capped."""
    return float(min(settings.comment_retry_max_s, settings.comment_retry_initial_s * 2 ** (job_try - 1)))


async def process_comment(ctx: dict[str, Any], comment_id: str) -> str:
    """The job: process one comment; retry with backoff while something it needs is down; on the last try
    (or an error retrying cannot mend) the comment is marked failed and the job fails (arq keeps the result).
    """
    settings: Settings = ctx["settings"]
    processor: CommentProcessor = ctx["processor"]
    job_try: int = ctx["job_try"]
    target = uuid.UUID(comment_id)
    try:
        result = await processor.process(target)
    except CommentDelayed as error:
        if job_try < settings.comment_max_tries:
            delay = retry_delay(settings, job_try)
            log.warning("comment %s: %s; try %d, next in %.1f s", comment_id, error, job_try, delay)
            metrics.job_ended(JOB_FUNCTION, "retried")
            raise Retry(defer=delay) from error
        await processor.fail(target, error)
        metrics.job_ended(JOB_FUNCTION, "failed")
        raise
    except CommentFailed:
        metrics.job_ended(JOB_FUNCTION, "failed")
        raise  # already marked failed
    except Exception as error:
        await processor.fail(target, error)
        metrics.job_ended(JOB_FUNCTION, "failed")
        raise
    metrics.job_ended(JOB_FUNCTION, "done")
    return f"{result.outcome}: {result.detail}" if result.detail else result.outcome


def comment_worker(
    settings: Settings,
    *,
    speech: SpeechSource | None = None,
    classifier: Classifier | None = None,
    burst: bool = False,
    handle_signals: bool = True,
    daily_retention: bool = False,
) -> Worker:
    """The worker as configured. `speech` and `classifier` default to the settings' (the recognition service
    on the comment engine's model, `IVR_NLU_ENGINE`); `daily_retention` also deletes expired recordings and
    transcripts once a day (`ivr worker` does). Call `.run()` (blocking) or `await .async_run()`."""

    async def startup(ctx: dict[str, Any]) -> None:
        database = Database(settings.effective_database_url)
        chosen: Classifier = (
            classifier if classifier is not None else await asyncio.to_thread(classifier_for, settings)
        )
        source = speech or ConfiguredSpeech(settings)
        queue = CommentQueue(ctx["redis"], settings.redis_prefix)
        ctx.update(database=database, processor=CommentProcessor(database, chosen, source), speech=source)
        ctx["sweeper"] = asyncio.create_task(_sweep_forever(queue, database, settings), name="comment-sweep")
        if daily_retention:
            ctx["stop_retention"] = stop = asyncio.Event()
            ctx["retention"] = asyncio.create_task(retention_loop(settings, stop), name="retention")
        log.info("comment worker ready (queue %s, classifier %s)", queue.name, type(chosen).__name__)

    async def shutdown(ctx: dict[str, Any]) -> None:
        if "stop_retention" in ctx:
            ctx["stop_retention"].set()
        for name in ("sweeper", "retention"):
            task: asyncio.Task[None] | None = ctx.get(name)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        source = ctx.get("speech")
        if isinstance(source, ConfiguredSpeech):
            await asyncio.to_thread(source.close)
        database: Database | None = ctx.get("database")
        if database is not None:
            database.dispose()

    return Worker(
        functions=[func(process_comment, name=JOB_FUNCTION, max_tries=settings.comment_max_tries)],
        queue_name=queue_name(settings.redis_prefix),
        redis_settings=RedisSettings.from_dsn(settings.redis_url),
        burst=burst,
        on_startup=startup,
        on_shutdown=shutdown,
        handle_signals=handle_signals,
        job_completion_wait=int(settings.comment_job_timeout_s) + 1,  # SIGTERM: finish what is running
        max_jobs=settings.worker_jobs,
        poll_delay=POLL_DELAY_S,
        job_timeout=settings.comment_job_timeout_s,
        keep_result=settings.comment_keep_result_s,
        max_tries=settings.comment_max_tries,
        health_check_interval=60,
        ctx={"settings": settings},
    )


async def _sweep_forever(queue: CommentQueue, database: Database, settings: Settings) -> None:
    older_than = timedelta(seconds=settings.comment_sweep_after_s)
    while True:
        try:
            report = await queue.sweep(database, older_than)
            metrics.job_backlog(queue.name, report.pending)
        except (RedisError, OSError, OperationalError, DBAPIError) as error:
            log.warning(
                "comment sweep failed (tried again in %g s): %s", settings.comment_sweep_interval_s, error
            )
        await asyncio.sleep(settings.comment_sweep_interval_s)
