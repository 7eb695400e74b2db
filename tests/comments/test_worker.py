"""The comment jobs on real Redis with an arq worker in the test's own event loop (SQLite): a survey call's
comment through the queue, Rasa down then up, a job that fails for good, Redis down at enqueue, the sweep."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from arq.connections import ArqRedis
from arq.constants import retry_key_prefix
from arq.jobs import JobStatus

from ivr.apps.runtime import BotRuntime
from ivr.comments.pipeline import SpeechSource
from ivr.comments.queue import CommentQueue, job_id
from ivr.comments.speech import ConfiguredSpeech
from ivr.comments.worker import comment_worker
from ivr.nlu import Classifier
from ivr.nlu.rasa_client import RasaClassifier
from ivr.settings import Settings
from ivr.sim.asterisk import SimulatedAsterisk
from ivr.sim.caller import Caller, Press, Speak
from ivr.sim.sounds import SoundLibrary
from ivr.store.comments import select_comments
from ivr.store.database import Database

from .support import (
    MIXED,
    PERSONNUMMER,
    PHONE,
    FixedWords,
    comment_row,
    embedded,
    eventually,
    fake_rasa,
    free_port,
    store_comment,
    write_wav,
)

KEYS = ("4", "5", "1", "3", "4", "5")  # the default survey's six questions


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def run_burst(settings: Settings, speech: SpeechSource, classifier: Classifier | None = None) -> None:
    """A worker that stops once the queue is empty (deferred retries included)."""
    worker = comment_worker(
        settings, speech=speech, classifier=classifier or embedded(), burst=True, handle_signals=False
    )
    try:
        await asyncio.wait_for(worker.async_run(), 60)
    finally:
        await worker.close()


async def survey_call(settings: Settings, prompts: Path, comment_seconds: float = 1.0) -> BotRuntime:
    """One full survey call with a spoken comment over the simulated Asterisk; the bot is stopped after."""
    bot = BotRuntime(settings.model_copy(update={"prompts_dir": prompts}))
    await bot.start("127.0.0.1", 0)
    try:
        asterisk = SimulatedAsterisk("127.0.0.1", bot.port, sounds=SoundLibrary([prompts]))
        caller = Caller([*(Press(key) for key in KEYS), Speak(seconds=comment_seconds, end="#")])
        trace = await asterisk.place_call("survey?tenant=norrtalje", caller)
        assert trace.variables["SURVEY_STATUS"] == "completed"
    finally:
        await bot.stop()
    return bot


def only_comment(database: Database) -> uuid.UUID:
    [comment_id] = select_comments(database, "all")
    return comment_id


async def test_a_survey_calls_comment_is_queued_then_transcribed_masked_and_classified(
    settings: Settings,
    database: Database,
    redis: ArqRedis,
    prompts_dir: Path,
) -> None:
    bot = await survey_call(settings, prompts_dir)
    comment_id = only_comment(database)
    queue = CommentQueue(redis, settings.redis_prefix)
    assert bot.comments is not None
    assert bot.comments.enqueued == 1
    assert await queue.job(comment_id).status() == JobStatus.queued
    assert comment_row(database, comment_id).processing_status == "pending"

    words = FixedWords(f"{MIXED} mitt personnummer är {PERSONNUMMER} ring {PHONE}")
    await run_burst(settings, words)

    row = comment_row(database, comment_id)
    assert words.heard == [Path(row.recording_path)]
    assert row.processing_status == "done"
    assert row.transcript is not None
    assert not re.search(r"\d", row.transcript)
    assert "[PERSONNUMMER]" in row.transcript
    assert "[TELEFONNUMMER]" in row.transcript
    assert (row.sentiment, row.areas) == ("negativ", ["handlaggaren", "vantetid"])
    result = await queue.job(comment_id).result_info()
    assert result is not None
    assert result.success
    assert result.result == "done: negativ"


async def test_rasa_down_is_retried_with_backoff_and_the_comment_is_done_once_rasa_is_up(
    settings: Settings, database: Database, redis: ArqRedis, tmp_path: Path
) -> None:
    comment_id = await store_comment(
        settings.effective_database_url, tmp_path / "spool", write_wav(tmp_path / "c.wav")
    )
    queue = CommentQueue(redis, settings.redis_prefix)
    assert await queue.enqueue(comment_id)
    port = free_port()  # nothing listens here yet
    rasa = RasaClassifier(f"http://127.0.0.1:{port}", attempts=1, timeout_s=1)
    retries = retry_key_prefix + job_id(settings.redis_prefix, comment_id)
    started = time.monotonic()
    worker = asyncio.create_task(run_burst(settings, FixedWords(), rasa))

    async def third_try() -> bool:
        return int(await redis.get(retries) or 0) >= 3

    await eventually(third_try, 20, "the job's third try")
    waited = time.monotonic() - started
    row = comment_row(database, comment_id)
    assert row.processing_status == "pending"
    assert row.processing_error is not None
    assert "Rasa" in row.processing_error
    assert waited >= 0.3 + 0.6  # the first two waits, doubling
    with fake_rasa(port) as received:
        await asyncio.wait_for(worker, 30)
    rasa.close()

    row = comment_row(database, comment_id)
    assert row.processing_status == "done"
    assert row.processing_error is None
    assert row.sentiment == "negativ"
    assert received == [MIXED]
    result = await queue.job(comment_id).result_info()
    assert result is not None
    assert result.success
    assert result.job_try >= 3


async def test_a_job_that_fails_for_good_leaves_the_comment_failed_with_its_error_and_arqs_result(
    settings: Settings, database: Database, redis: ArqRedis, tmp_path: Path
) -> None:
    settings = settings.model_copy(update={"comment_max_tries": 2})
    comment_id = await store_comment(
        settings.effective_database_url, tmp_path / "spool", write_wav(tmp_path / "c.wav")
    )
    queue = CommentQueue(redis, settings.redis_prefix)
    assert await queue.enqueue(comment_id)
    with RasaClassifier(f"http://127.0.0.1:{free_port()}", attempts=1, timeout_s=1) as rasa:
        await run_burst(settings, FixedWords(), rasa)

    row = comment_row(database, comment_id)
    assert row.processing_status == "failed"
    assert row.processing_error is not None
    assert row.processing_error.startswith("classification delayed: ")
    result = await queue.job(comment_id).result_info()
    assert result is not None
    assert not result.success
    assert result.job_try == 2
    assert "Rasa" in str(result.result)
    # The sweep leaves it alone (it is not pending), and arq refuses a second job while the result is kept.
    assert (await queue.sweep(database, older_than=timedelta(0))).pending == 0
    assert not await queue.enqueue(comment_id)


async def test_with_redis_down_the_call_completes_and_the_sweep_enqueues_the_comment_later(
    settings: Settings,
    database: Database,
    redis: ArqRedis,
    prompts_dir: Path,
) -> None:
    down = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    started = time.monotonic()
    bot = await survey_call(down, prompts_dir)
    assert time.monotonic() - started < 15
    comment_id = only_comment(database)
    assert bot.comments is not None
    assert bot.comments.left_to_sweep == 1
    assert comment_row(database, comment_id).processing_status == "pending"
    queue = CommentQueue(redis, settings.redis_prefix)
    assert await queue.job(comment_id).status() == JobStatus.not_found

    assert (await queue.sweep(database, timedelta(minutes=5))).enqueued == 0  # too recent yet
    first = await queue.sweep(database, timedelta(0))
    second = await queue.sweep(database, timedelta(0))
    assert (first.enqueued, second.enqueued, second.active) == (1, 0, 1)  # one job per comment
    await run_burst(settings, FixedWords())
    assert comment_row(database, comment_id).processing_status == "done"


async def test_a_comment_waiting_for_a_speech_model_is_swept_again(
    settings: Settings, database: Database, redis: ArqRedis, tmp_path: Path
) -> None:
    comment_id = await store_comment(
        settings.effective_database_url, tmp_path / "spool", write_wav(tmp_path / "c.wav")
    )
    queue = CommentQueue(redis, settings.redis_prefix)
    assert await queue.enqueue(comment_id)
    await run_burst(settings, ConfiguredSpeech(settings))  # models_dir is empty

    row = comment_row(database, comment_id)
    assert row.processing_status == "pending"
    assert row.processing_error is not None
    assert "no speech model" in row.processing_error
    result = await queue.job(comment_id).result_info()
    assert result is not None
    assert str(result.result).startswith("waiting: no speech model")

    report = await queue.sweep(database, timedelta(0))
    assert report.enqueued == 1
    await run_burst(settings, FixedWords())
    assert comment_row(database, comment_id).processing_status == "done"


async def test_a_job_arq_gave_up_on_without_running_it_is_marked_failed_by_the_sweep(
    settings: Settings, database: Database, redis: ArqRedis, tmp_path: Path
) -> None:
    """A worker that died on the job's last try: the next worker finds the tries used up and arq fails the
    job without running it, so nothing marked the comment; the sweep does, with arq's error."""
    comment_id = await store_comment(
        settings.effective_database_url, tmp_path / "spool", write_wav(tmp_path / "c.wav")
    )
    queue = CommentQueue(redis, settings.redis_prefix)
    assert await queue.enqueue(comment_id)
    used_up = retry_key_prefix + job_id(settings.redis_prefix, comment_id)
    await redis.set(used_up, settings.comment_max_tries)  # as the dead workers' tries left it
    words = FixedWords()
    await run_burst(settings, words)

    assert words.heard == []
    assert comment_row(database, comment_id).processing_status == "pending"
    report = await queue.sweep(database, timedelta(0))

    assert (report.failed, report.enqueued) == (1, 0)
    row = comment_row(database, comment_id)
    assert row.processing_status == "failed"
    assert row.processing_error is not None
    assert f"max {settings.comment_max_tries} retries exceeded" in row.processing_error
