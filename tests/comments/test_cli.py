"""`ivr comments process|status` and `ivr worker --burst` through click's CliRunner, settings from IVR_*."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from arq.connections import ArqRedis

from ivr.cli import main
from ivr.comments.queue import CommentQueue
from ivr.settings import Settings
from ivr.store.comments import mark_failed
from ivr.store.database import Database

from .support import cli_runner, comment_row, free_port, spoken_wav, store_comment, write_wav


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in {
        "IVR_DATABASE_URL": settings.effective_database_url,
        "IVR_REDIS_URL": settings.redis_url,
        "IVR_REDIS_PREFIX": settings.redis_prefix,
        "IVR_NLU_DIR": str(settings.nlu_dir),
        "IVR_MODELS_DIR": str(settings.models_dir),
        "IVR_NLU_ENGINE": "embedded",
    }.items():
        monkeypatch.setenv(name, value)
    return settings


def stored(env: Settings, tmp_path: Path, recording: Path, tenant: str = "norrtalje") -> uuid.UUID:
    return asyncio.run(store_comment(env.effective_database_url, tmp_path / "spool", recording, tenant))


def test_process_reports_comments_waiting_for_a_speech_model(
    env: Settings, database: Database, tmp_path: Path
) -> None:
    comment_id = stored(env, tmp_path, write_wav(tmp_path / "c.wav"))

    result = cli_runner().invoke(main, ["comments", "process"])

    assert result.exit_code == 1
    assert "1 väntar på talmodell" in result.stdout
    assert "no speech model" in result.stderr
    assert f"ivr models fetch {env.whisper_model}" in result.stderr
    assert comment_row(database, comment_id).processing_status == "pending"


def test_process_takes_only_the_tenant_and_time_asked_for(
    env: Settings, database: Database, tmp_path: Path
) -> None:
    ours = stored(env, tmp_path, write_wav(tmp_path / "a.wav"), tenant="osthammar")
    other = stored(env, tmp_path, write_wav(tmp_path / "b.wav"), tenant="malmo")

    result = cli_runner().invoke(main, ["comments", "process", "--all", "--tenant", "osthammar"])
    later = cli_runner().invoke(main, ["comments", "process", "--all", "--since", "2999-01-01"])

    assert "1 väntar på talmodell" in result.stdout
    assert comment_row(database, ours).processing_error is not None
    assert comment_row(database, other).processing_error is None
    assert later.exit_code == 0
    assert "Inga kommentarer att bearbeta" in later.stdout


def test_a_failed_comment_is_listed_and_process_failed_redoes_it_with_whisper(
    env: Settings,
    database: Database,
    tmp_path: Path,
    whisper_base_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recording = spoken_wav(tmp_path / "comment.wav", "hon var trevlig men jag fick vänta alldeles för länge")
    comment_id = stored(env, tmp_path, recording)
    mark_failed(database, comment_id, "transcription failed: the recogniser crashed")

    status = cli_runner().invoke(main, ["comments", "status"])
    assert status.exit_code == 0
    assert "pending=0 done=0 failed=1" in status.stdout
    assert f"failed {comment_id}" in status.stdout
    assert "the recogniser crashed" in status.stdout

    monkeypatch.setenv("IVR_COMMENT_ENGINE", "faster-whisper")
    monkeypatch.setenv("IVR_WHISPER_MODEL", str(whisper_base_dir))
    result = cli_runner().invoke(main, ["comments", "process", "--failed"])

    assert result.exit_code == 0, result.stdout + result.stderr
    assert "1 klara" in result.stdout
    row = comment_row(database, comment_id)
    assert row.processing_status == "done"
    assert row.processing_error is None
    assert row.transcript_engine == "faster-whisper"
    assert row.transcript
    assert row.sentiment in ("positiv", "skeptisk", "negativ")


def test_worker_burst_runs_the_queued_jobs_and_stops(
    env: Settings, database: Database, redis: ArqRedis, tmp_path: Path
) -> None:
    comment_id = stored(env, tmp_path, write_wav(tmp_path / "c.wav"))

    async def enqueue() -> bool:
        queue = CommentQueue(ArqRedis.from_url(env.redis_url), env.redis_prefix)
        try:
            return await queue.enqueue(comment_id)
        finally:
            await queue.close()

    assert asyncio.run(enqueue())

    result = cli_runner().invoke(main, ["worker", "--burst"])

    assert result.exit_code == 0, result.stderr
    row = comment_row(database, comment_id)
    assert row.processing_status == "pending"  # no speech model here: it waits, with the reason
    assert row.processing_error is not None
    assert row.processing_error.startswith("no speech model")


def test_worker_says_clearly_when_redis_is_down(env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")

    result = cli_runner().invoke(main, ["worker", "--burst"])

    assert result.exit_code == 1
    assert "cannot reach Redis at redis://127.0.0.1:" in result.stderr
    assert "IVR_REDIS_URL" in result.stderr
