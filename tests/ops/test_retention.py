"""Retention with files and rows of known ages, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from ivr.cli import main
from ivr.ops.retention import retention_loop, run_retention
from ivr.settings import Settings
from ivr.store.database import Database, normalize_database_url
from ivr.store.migrations import upgrade
from ivr.store.tables import Call, Comment, SurveyAnswer, SurveyResponse

POSTGRES_URL = os.environ.get("IVR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ivr.db'}"
        upgrade(url)
        yield url
        return
    schema = f"ops_retention_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_database_url(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    in_schema = normalize_database_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = in_schema.render_as_string(hide_password=False)
    upgrade(rendered)
    try:
        yield rendered
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def recording(root: Path, name: str, age_days: float) -> Path:
    """A recording file written `age_days` before NOW."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF" + bytes(1020))
    stamp = (NOW - timedelta(days=age_days)).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def add_call(
    database: Database, path: Path, age_days: float, transcript: str | None, status: str = "done"
) -> uuid.UUID:
    """One call with a spoken answer, a keyed answer and a classified comment, `age_days` old."""
    at = NOW - timedelta(days=age_days)
    call = Call(
        uniqueid=path.stem, tenant="default", script="survey", channel="PJSIP/x", language="sv", started_at=at
    )
    response = SurveyResponse(
        call_id=call.id,
        tenant="default",
        dialog_id="survey",
        dialog_version="v1",
        purpose="post_call",
        direction="inbound",
        status="completed",
        started_at=at,
    )
    answers = [
        SurveyAnswer(
            response_id=response.id, question_id="bemotande", question_type="scale", position=1,
            status="match", mode="speech", utterance="fyra tror jag", value="4", score=4, confidence=0.9,
            attempts=1, answered_at=at,
        ),
        SurveyAnswer(
            response_id=response.id, question_id="kunskap", question_type="scale", position=2,
            status="match", mode="dtmf", utterance="5", value="5", score=5, confidence=1.0, attempts=1,
            answered_at=at,
        ),
    ]  # fmt: skip
    comment = Comment(
        response_id=response.id,
        question_id="kommentar",
        recording_path=str(path),
        duration_s=4.0,
        ended_by="dtmf",
        recorded_at=at,
        transcript=transcript,
        sentiment="negativ" if status == "done" else None,
        areas=["vantetid"] if status == "done" else None,
        by_area={"vantetid": "negativ"} if status == "done" else None,
        processing_status=status,
    )
    comment_id = comment.id
    with database.session() as session:
        session.add(call)
        session.flush()
        session.add(response)
        session.flush()
        session.add_all([*answers, comment])
    return comment_id


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        recordings_dir=tmp_path / "recordings",
        retention_days=90,
    )


def test_old_recordings_and_transcripts_go_labels_and_answers_stay(settings: Settings) -> None:
    root = settings.effective_recordings_dir
    old = recording(root, "default/2026-08-01/1754000000.1-kommentar.wav", age_days=127)
    new = recording(root, "default/2026-11-30/1764500000.2-kommentar.wav", age_days=6)
    old_take = recording(root, "default/2026-08-01/1754000000.1-bemotande-take1.wav", age_days=127)
    new_take = recording(root, "default/2026-12-06/1765000000.3-bemotande-take1.wav", age_days=0.1)
    today = root / "default" / "2026-12-07"
    today.mkdir(parents=True)
    database = Database(settings.effective_database_url)
    old_id = add_call(
        database, old, age_days=127, transcript="Jag fick vänta länge, ring mig på 070-123 45 67"
    )
    new_id = add_call(database, new, age_days=6, transcript="Trevlig handläggare")
    never_heard = recording(root, "default/2026-08-02/1754100000.4-kommentar.wav", age_days=126)
    pending_id = add_call(database, never_heard, age_days=126, transcript=None, status="pending")

    report = run_retention(settings, now=NOW)

    assert (report.recordings_deleted, report.transcripts_cleared, report.utterances_cleared) == (3, 1, 2)
    assert report.bytes_freed == 3 * 1024
    assert not old.exists()
    assert not old_take.exists()
    assert not old.parent.exists()  # the emptied date folder
    assert new.exists()
    assert new_take.exists()
    assert today.is_dir()  # an empty folder for today's calls stays
    with Session(database.engine) as session:
        comments = {comment.id: comment for comment in session.exec(select(Comment))}
        answers = session.exec(select(SurveyAnswer)).all()
    assert comments[old_id].transcript is None
    assert (comments[old_id].sentiment, comments[old_id].by_area) == ("negativ", {"vantetid": "negativ"})
    assert comments[new_id].transcript == "Trevlig handläggare"
    assert comments[new_id].processing_status == "done"
    assert comments[pending_id].processing_status == "failed"
    assert "deleted by retention" in (comments[pending_id].processing_error or "")
    by_age = sorted(answers, key=lambda answer: (answer.answered_at, answer.question_id))
    assert [(answer.mode, answer.utterance, answer.value) for answer in by_age] == [
        ("speech", "", "4"),
        ("dtmf", "5", "5"),
        ("speech", "", "4"),
        ("dtmf", "5", "5"),
        ("speech", "fyra tror jag", "4"),
        ("dtmf", "5", "5"),
    ]
    database.dispose()

    again = run_retention(settings, now=NOW)
    assert (again.recordings_deleted, again.transcripts_cleared, again.utterances_cleared) == (0, 0, 0)


def test_a_dry_run_counts_and_changes_nothing(settings: Settings) -> None:
    old = recording(settings.effective_recordings_dir, "default/2026-01-01/1.1-kommentar.wav", age_days=339)
    database = Database(settings.effective_database_url)
    comment_id = add_call(database, old, age_days=339, transcript="Bra")

    report = run_retention(settings, now=NOW, dry_run=True)

    assert (report.recordings_deleted, report.transcripts_cleared, report.utterances_cleared) == (1, 1, 1)
    assert "would delete 1 recordings" in str(report)
    assert old.exists()
    with Session(database.engine) as session:
        comment = session.get(Comment, comment_id)
        assert comment is not None
        assert comment.transcript == "Bra"
    database.dispose()


def test_the_days_argument_and_the_command(settings: Settings, tmp_path: Path) -> None:
    root = settings.effective_recordings_dir
    month_old = recording(root, "default/x/1.1-kommentar.wav", age_days=40)
    week_old = recording(root, "default/x/1.2-kommentar.wav", age_days=7)
    env = {
        "IVR_DATA_DIR": str(settings.data_dir),
        "IVR_DATABASE_URL": settings.effective_database_url,
        "IVR_RECORDINGS_DIR": str(root),
        "IVR_RETENTION_DAYS": "90",
    }
    kept = CliRunner().invoke(main, ["retention", "run"], env=env)
    assert kept.exit_code == 0, kept.output
    assert "deleted 0 recordings" in kept.output
    assert month_old.exists()

    # The files are dated against the real clock here: 30 days keeps the week-old one only.
    stamp = (datetime.now(UTC) - timedelta(days=40)).timestamp()
    os.utime(month_old, (stamp, stamp))
    stamp = (datetime.now(UTC) - timedelta(days=7)).timestamp()
    os.utime(week_old, (stamp, stamp))
    result = CliRunner().invoke(main, ["retention", "run", "--days", "30"], env=env)
    assert result.exit_code == 0, result.output
    assert "deleted 1 recordings" in result.output
    assert not month_old.exists()
    assert week_old.exists()

    refused = CliRunner().invoke(main, ["retention", "run", "--days", "0"], env=env)
    assert refused.exit_code == 2
    with pytest.raises(ValueError, match="at least 1 day"):
        run_retention(settings, days=0)


async def test_the_daily_loop_runs_at_once_and_stops_when_told(settings: Settings) -> None:
    old = recording(settings.effective_recordings_dir, "default/x/1.1-kommentar.wav", age_days=400)
    stop = asyncio.Event()
    loop = asyncio.create_task(retention_loop(settings, stop, interval_s=3600))
    async with asyncio.timeout(10):  # the first run starts at once, in a thread
        while True:
            if not old.exists():
                break
            await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(loop, 5)
