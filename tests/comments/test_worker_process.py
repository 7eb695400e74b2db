"""Worker processes on real Redis: one killed (SIGKILL) mid-job leaves the job to another worker, which does
it once; SIGTERM lets the job in progress finish. The workers are real processes running `comment_worker`
(what `ivr worker` runs) with a slow fake transcriber (`slow_worker.py`)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from arq.connections import ArqRedis

from ivr.comments.queue import CommentQueue
from ivr.settings import Settings
from ivr.store.database import Database

from .support import REPO, comment_row, eventually, store_comment, write_wav

JOB_TIMEOUT_S = (
    3  # a dead worker's job runs again job_timeout + 10 s after it started (arq's in-progress key)
)


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


class Workers:
    def __init__(self, settings: Settings, tmp_path: Path) -> None:
        self.env = {
            **os.environ,
            "IVR_DATABASE_URL": settings.effective_database_url,
            "IVR_REDIS_URL": settings.redis_url,
            "IVR_REDIS_PREFIX": settings.redis_prefix,
            "IVR_NLU_DIR": str(settings.nlu_dir),
            "IVR_COMMENT_JOB_TIMEOUT_S": str(JOB_TIMEOUT_S),
            "IVR_COMMENT_SWEEP_INTERVAL_S": "3600",
        }
        self.log = tmp_path / "transcriber.log"
        self.tmp_path = tmp_path
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, slow_s: float) -> subprocess.Popen[bytes]:
        stderr = (self.tmp_path / f"worker-{len(self.started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.comments.slow_worker", str(self.log), str(slow_s)],
            cwd=REPO,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        self.started.append(process)
        return process

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait(10)


@pytest.fixture
def workers(settings: Settings, tmp_path: Path) -> Iterator[Workers]:
    running = Workers(settings, tmp_path)
    yield running
    running.stop_all()


async def test_a_worker_killed_mid_job_leaves_the_job_to_another_worker_which_does_it_once(
    settings: Settings, database: Database, redis: ArqRedis, workers: Workers, tmp_path: Path
) -> None:
    comment_id = await store_comment(
        settings.effective_database_url, tmp_path / "spool", write_wav(tmp_path / "c.wav")
    )
    queue = CommentQueue(redis, settings.redis_prefix)
    assert await queue.enqueue(comment_id)
    first = workers.start(slow_s=60)

    async def transcribing() -> bool:
        return len(workers.lines()) == 1

    await eventually(transcribing, 60, "the first worker transcribing")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    killed_at = time.monotonic()
    assert comment_row(database, comment_id).processing_status == "pending"
    second = workers.start(slow_s=60)

    async def done() -> bool:
        return comment_row(database, comment_id).processing_status == "done"

    await eventually(done, 60, "the comment done by the second worker")
    assert time.monotonic() - killed_at <= JOB_TIMEOUT_S + 10 + 15
    await asyncio.sleep(2)  # room for a duplicate, if there were one
    assert workers.lines() == [f"start {first.pid}", f"start {second.pid}", f"end {second.pid}"]
    result = await queue.job(comment_id).result_info()
    assert result is not None
    assert result.success
    assert result.job_try == 2
    assert comment_row(database, comment_id).sentiment == "negativ"


async def test_sigterm_lets_the_job_in_progress_finish(
    settings: Settings, database: Database, redis: ArqRedis, workers: Workers, tmp_path: Path
) -> None:
    comment_id = await store_comment(
        settings.effective_database_url, tmp_path / "spool", write_wav(tmp_path / "c.wav")
    )
    assert await CommentQueue(redis, settings.redis_prefix).enqueue(comment_id)
    worker = workers.start(slow_s=2)

    async def transcribing() -> bool:
        return len(workers.lines()) == 1

    await eventually(transcribing, 60, "the worker transcribing")
    worker.send_signal(signal.SIGTERM)

    assert worker.wait(30) == 0
    assert workers.lines() == [f"start {worker.pid}", f"end {worker.pid}"]
    assert comment_row(database, comment_id).processing_status == "done"
