"""Hands a recorded comment to the job queue once the store has committed its row, off the call path.

The survey app calls `comment_recorded` and goes on at once; a background task waits for the store to commit
(bounded), then enqueues. Redis being down, or the database being slow, only logs a warning: the comment row
is `pending` and the worker's sweep enqueues it later. Nothing here can fail or hold up a call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from redis.exceptions import RedisError

from ivr.comments.queue import CommentQueue, connect_redis
from ivr.settings import Settings
from ivr.store.writer import SurveyStore

log = logging.getLogger(__name__)

COMMIT_WAIT_S = 30.0
ENQUEUE_TIMEOUT_S = 5.0


class CommentNotifier:
    def __init__(
        self, settings: Settings, store: SurveyStore, *, commit_wait_s: float = COMMIT_WAIT_S
    ) -> None:
        self._settings = settings
        self._store = store
        self._commit_wait_s = commit_wait_s
        self._queue: CommentQueue | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.enqueued = 0
        self.left_to_sweep = 0

    def comment_recorded(self, comment_id: uuid.UUID) -> None:
        """Returns at once; the enqueue happens in the background."""
        task = asyncio.create_task(self._enqueue(comment_id), name=f"enqueue-comment-{comment_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self, timeout_s: float = ENQUEUE_TIMEOUT_S) -> None:
        """Let the enqueues in progress finish (bounded), then close the Redis client."""
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=timeout_s)
            for task in late:
                task.cancel()
        if self._queue is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._queue.close()
            self._queue = None

    async def _enqueue(self, comment_id: uuid.UUID) -> None:
        if not await self._store.flush(self._commit_wait_s):
            self.left_to_sweep += 1
            log.warning("comment %s not committed yet; the worker's sweep will enqueue it", comment_id)
            return
        if self._queue is None:
            self._queue = CommentQueue(connect_redis(self._settings), self._settings.redis_prefix)
        try:
            await asyncio.wait_for(self._queue.enqueue(comment_id), ENQUEUE_TIMEOUT_S)
        except (RedisError, OSError, TimeoutError) as error:
            self.left_to_sweep += 1
            log.warning(
                "comment %s: cannot reach Redis to enqueue it (%s); it stays pending and the worker's sweep "
                "will enqueue it",
                comment_id,
                error,
            )
            return
        self.enqueued += 1
