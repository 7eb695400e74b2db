"""The one processing function (transcribe, mask, classify, store) on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ivr.comments.pipeline import CommentDelayed, CommentFailed, CommentProcessor
from ivr.comments.speech import ConfiguredSpeech, KnownWords
from ivr.nlu.rasa_client import RasaClassifier
from ivr.settings import Settings
from ivr.store.database import Database

from .support import (
    MIXED,
    PERSONNUMMER,
    PHONE,
    FixedWords,
    comment_row,
    embedded,
    fake_rasa,
    free_port,
    store_comment,
    write_wav,
)

PERSONAL = f"{MIXED} mitt personnummer är {PERSONNUMMER} ring mig på {PHONE}"


async def test_a_comment_is_transcribed_masked_classified_and_stored(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    comment_id = await store_comment(database_url, tmp_path / "spool", write_wav(tmp_path / "c.wav"))
    words = FixedWords(PERSONAL)

    result = await CommentProcessor(database, embedded(), words).process(comment_id)

    assert result.outcome == "done"
    assert words.heard == [tmp_path / "c.wav"]
    row = comment_row(database, comment_id)
    assert row.processing_status == "done"
    assert row.processing_error is None
    assert row.transcript_engine == "fake"
    assert row.transcript is not None
    assert "[PERSONNUMMER]" in row.transcript
    assert "[TELEFONNUMMER]" in row.transcript
    assert not re.search(r"\d", row.transcript)
    assert row.sentiment == "negativ"
    assert row.areas == ["handlaggaren", "vantetid"]
    assert row.by_area == {"handlaggaren": "positiv", "vantetid": "negativ"}
    assert row.sentiment_confidence is not None
    assert 0 < row.sentiment_confidence <= 1
    assert row.classified_at is not None


async def test_rasa_receives_only_masked_text(database: Database, database_url: str, tmp_path: Path) -> None:
    comment_id = await store_comment(database_url, tmp_path / "spool", write_wav(tmp_path / "c.wav"))
    port = free_port()
    with fake_rasa(port) as received, RasaClassifier(f"http://127.0.0.1:{port}") as rasa:
        await CommentProcessor(database, rasa, FixedWords(PERSONAL)).process(comment_id)

    assert len(received) == 1
    assert PERSONNUMMER not in received[0]
    assert "9876" not in received[0]
    assert not re.search(r"\d", received[0])
    assert comment_row(database, comment_id).sentiment == "negativ"


async def test_a_missing_recording_fails_for_good_with_its_error(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    comment_id = await store_comment(database_url, tmp_path / "spool", tmp_path / "gone.wav")

    with pytest.raises(CommentFailed, match="does not exist"):
        await CommentProcessor(database, embedded(), FixedWords()).process(comment_id)

    row = comment_row(database, comment_id)
    assert row.processing_status == "failed"
    assert row.processing_error is not None
    assert "gone.wav does not exist" in row.processing_error


async def test_without_a_speech_model_the_comment_waits_with_the_command_to_run(
    database: Database, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    comment_id = await store_comment(database_url, tmp_path / "spool", write_wav(tmp_path / "c.wav"))
    speech = ConfiguredSpeech(settings)  # models_dir is empty

    result = await CommentProcessor(database, embedded(), speech).process(comment_id)

    assert result.outcome == "waiting"
    row = comment_row(database, comment_id)
    assert row.processing_status == "pending"
    assert row.processing_error is not None
    assert row.processing_error.startswith("no speech model: ")
    assert f"ivr models fetch {settings.whisper_model}" in row.processing_error


async def test_rasa_down_delays_the_comment_and_says_why(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    comment_id = await store_comment(database_url, tmp_path / "spool", write_wav(tmp_path / "c.wav"))
    with (
        RasaClassifier(f"http://127.0.0.1:{free_port()}", attempts=1, timeout_s=1) as rasa,
        pytest.raises(CommentDelayed, match="classification delayed"),
    ):
        await CommentProcessor(database, rasa, FixedWords()).process(comment_id)

    row = comment_row(database, comment_id)
    assert row.processing_status == "pending"
    assert row.processing_error is not None
    assert "Rasa" in row.processing_error


async def test_silence_is_done_without_labels(database: Database, database_url: str, tmp_path: Path) -> None:
    comment_id = await store_comment(database_url, tmp_path / "spool", write_wav(tmp_path / "c.wav"))

    await CommentProcessor(database, embedded(), FixedWords("")).process(comment_id)

    row = comment_row(database, comment_id)
    assert (row.processing_status, row.transcript, row.sentiment, row.areas) == ("done", "", None, [])


async def test_the_simulator_transcript_is_the_known_text_labelled_as_such(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    wav = write_wav(tmp_path / "c.wav")
    comment_id = await store_comment(database_url, tmp_path / "spool", wav)
    known = KnownWords({wav: "Han var trevlig, men jag fick vänta alldeles för länge i kön."})

    await CommentProcessor(database, embedded(), known).process(comment_id)

    row = comment_row(database, comment_id)
    assert row.transcript == "han var trevlig men jag fick vänta alldeles för länge i kön"
    assert row.transcript_engine == "simulator"
    assert row.sentiment == "negativ"
