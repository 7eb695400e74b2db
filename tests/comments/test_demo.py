"""`ivr demo` ends with its comments transcribed and classified by the same processing function: the
simulated callers' known words without a Swedish comment model (and the summary says so), the real
recognition service with one (here the packaged Whisper base stands in for it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from arq.connections import ArqRedis
from sqlmodel import Session, select

from ivr.demo import COMMENTS, run_demo
from ivr.settings import Settings
from ivr.speech.recognition.base import clean_words
from ivr.store.database import Database
from ivr.store.tables import Comment

CALLS = 4


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def demo_settings(settings: Settings) -> Settings:
    """The test's settings (its own Redis prefix, no speech models) with the demo's own prompt cache."""
    return settings.model_copy(update={"prompts_dir": Path("")})


def demo_comments(data_dir: Path) -> list[Comment]:
    database = Database(f"sqlite:///{data_dir / 'demo.db'}")
    try:
        with Session(database.engine) as session:
            return list(session.exec(select(Comment)))
    finally:
        database.dispose()


async def test_without_a_comment_model_the_demo_uses_the_callers_known_words_and_says_so(
    settings: Settings,
    tmp_path: Path,
    redis: ArqRedis,  # the queue day's keys are removed afterwards
) -> None:
    data_dir = tmp_path / "demo"
    summary = await run_demo(demo_settings(settings), calls=CALLS, seed=7, data_dir=data_dir)

    comments = demo_comments(data_dir)
    assert comments
    known = {clean_words(text) for texts in COMMENTS.values() for text in texts}
    for comment in comments:
        assert comment.processing_status == "done"
        assert comment.transcript_engine == "simulator"
        assert comment.transcript in known
        assert comment.sentiment in ("positiv", "skeptisk", "negativ")
    assert "Klassade kommentarer" in summary
    assert "de simulerade uppringarnas kända ord, ingen taligenkänning" in summary


async def test_with_a_comment_model_the_demo_transcribes_with_the_recognition_service(
    settings: Settings,
    tmp_path: Path,
    redis: ArqRedis,
    whisper_base_dir: Path,
) -> None:
    data_dir = tmp_path / "demo"
    with_model = demo_settings(settings).model_copy(
        update={"comment_engine": "faster-whisper", "whisper_model": str(whisper_base_dir)}
    )
    summary = await run_demo(with_model, calls=CALLS, seed=7, data_dir=data_dir)

    comments = demo_comments(data_dir)
    assert comments
    assert {comment.transcript_engine for comment in comments} == {"faster-whisper"}
    assert all(comment.processing_status == "done" for comment in comments)
    assert "transkriberade med faster-whisper" in summary
