"""The comment job queue on Redis, with arq.

Why arq (rather than rq or dramatiq):
- asyncio throughout, like the bot: a job awaits the recognition service's worker processes and runs the
  classifier in a thread, so one `ivr worker` process runs several comments at once without forking per job
  (rq forks a work horse per job and is synchronous; dramatiq's asyncio support is a middleware over threads);
- one job id per comment (`_job_id`): enqueueing a comment that is queued, running or finished is refused by
  arq itself, so the survey hook and the sweep may both enqueue and a comment is never processed twice at once
  (dramatiq has no such ids; rq overwrites a job with the same id);
- retries with our own backoff (`Retry(defer=...)`, capped by `max_tries`);
- a worker that dies mid-job: arq keeps the job in the queue until it finishes, guarded by an in-progress key
  that expires `job_timeout + 10 s` after the start, so another worker runs it again, once (pessimistic
  execution; rq moves an abandoned job to its failed registry instead);
- jobs that failed for good keep their result (the exception, the try count) in Redis for
  `comment_keep_result_s`, readable with `arq.jobs.Job`; the comment row says `failed` with the error too.

Keys: the queue is `<prefix>:comments`; a job's id is `<prefix>:comment:<uuid>` (arq keeps it under
`arq:job:`, `arq:in-progress:`, `arq:retry:`, `arq:result:`), so deployments sharing a Redis never mix.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from arq.connections import ArqRedis
from arq.constants import result_key_prefix
from arq.jobs import Job, JobStatus
from arq.worker import JobExecutionFailed
from redis.asyncio import ConnectionPool

from ivr.settings import Settings
from ivr.store.comments import mark_failed, select_comments
from ivr.store.database import Database

log = logging.getLogger(__name__)

JOB_FUNCTION = "process_comment"
JOB_EXPIRES = timedelta(
    days=7
)  # a job not started within this (every worker down) expires; the sweep redoes it
SWEEP_BATCH = 1000


def queue_name(prefix: str) -> str:
    return f"{prefix}:comments"


def job_id(prefix: str, comment_id: uuid.UUID) -> str:
    return f"{prefix}:comment:{comment_id}"


def connect_redis(settings: Settings, *, timeout_s: float = 2.0) -> ArqRedis:
    """A client for enqueueing (no connection until first used); short timeouts, so a Redis that is down
    fails fast instead of holding anyone up."""
    pool = ConnectionPool.from_url(
        settings.redis_url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s
    )
    return ArqRedis(
        pool,
        default_queue_name=queue_name(settings.redis_prefix),
        expires_extra_ms=int(JOB_EXPIRES.total_seconds() * 1000),
    )


@dataclass
class SweepReport:
    pending: int = 0  # old pending comments found
    enqueued: int = 0  # new jobs
    active: int = 0  # already queued or running
    failed: int = 0  # their job had failed for good without marking the comment


class CommentQueue:
    """Enqueues comment jobs (one job id per comment) and sweeps for pending comments without a job."""

    def __init__(self, redis: ArqRedis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.name = queue_name(prefix)

    async def enqueue(self, comment_id: uuid.UUID) -> bool:
        """True when a new job was queued; False when the comment already has one (queued, running or
        finished with its result kept). Raises Redis errors (ConnectionError, TimeoutError) as they come."""
        job = await self.redis.enqueue_job(
            JOB_FUNCTION,
            str(comment_id),
            _job_id=job_id(self.prefix, comment_id),
            _queue_name=self.name,
            _expires=JOB_EXPIRES,
        )
        return job is not None

    def job(self, comment_id: uuid.UUID) -> Job:
        return Job(job_id(self.prefix, comment_id), self.redis, _queue_name=self.name)

    async def sweep(self, database: Database, older_than: timedelta) -> SweepReport:
        """Enqueue every comment still pending after `older_than` that has no job: Redis was down when it
        was recorded, or its job ended without finishing it (no speech model yet, the job expired). A job
        that failed for good before it could mark its comment (its worker died on the last try) marks it."""
        cutoff = datetime.now(UTC) - older_than
        report = SweepReport()
        ids = await asyncio.to_thread(
            select_comments, database, "pending", recorded_before=cutoff, limit=SWEEP_BATCH
        )
        report.pending = len(ids)
        for comment_id in ids:
            if await self.enqueue(comment_id):
                report.enqueued += 1
                continue
            job = self.job(comment_id)
            if await job.status() != JobStatus.complete:
                report.active += 1
                continue
            result = await job.result_info()
            if result is not None and not result.success and not _expired(result.result):
                await asyncio.to_thread(mark_failed, database, comment_id, _job_error(result.result))
                report.failed += 1
                continue
            # The job ended and left the comment pending: forget that result and run the comment again.
            await self.redis.delete(result_key_prefix + job.job_id)
            if await self.enqueue(comment_id):
                report.enqueued += 1
        if report.enqueued or report.failed:
            log.info(
                "sweep: %d old pending comments, %d enqueued, %d with a job, %d failed",
                report.pending,
                report.enqueued,
                report.active,
                report.failed,
            )
        return report

    async def close(self) -> None:
        await self.redis.aclose(close_connection_pool=True)


def _expired(error: object) -> bool:
    return isinstance(error, JobExecutionFailed) and "expired" in str(error)


def _job_error(error: object) -> str:
    return f"the comment job failed for good: {type(error).__name__}: {error}"
