"""Retention: recordings and transcripts are kept `IVR_RETENTION_DAYS` days, then deleted.

What goes: the comment recordings (the files the comments name, wherever they are), every other file in the
recordings directory older than the limit (answer takes left behind by a crash, files no row names), the
comments' transcripts (set to NULL) and the words heard for spoken answers (emptied). What stays: the
answers' values and scores, the comments' labels (sentiment, areas) and operators' corrections of them:
they are not personal and the report needs them. A comment still waiting for its transcript when its
recording goes is marked failed (processing_error says why), so the worker stops looking for it.

`ivr retention run` runs it once; `retention_loop` runs it daily in a long-lived process (the worker).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import col, select

from ivr.ops import metrics
from ivr.settings import Settings
from ivr.store.database import Database
from ivr.store.tables import Comment, SurveyAnswer

log = logging.getLogger("ivr.ops.retention")

DAY_S = 24 * 3600.0
PENDING_EXPIRED = "the recording was deleted by retention (IVR_RETENTION_DAYS) before it was transcribed"


@dataclass(frozen=True)
class RetentionReport:
    cutoff: datetime
    recordings_deleted: int
    bytes_freed: int
    transcripts_cleared: int
    utterances_cleared: int
    dry_run: bool = False

    def __str__(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        return (
            f"older than {self.cutoff:%Y-%m-%d %H:%M} UTC: {verb} {self.recordings_deleted} recordings "
            f"({self.bytes_freed / 2**20:.1f} MB), {self.transcripts_cleared} comment transcripts and the "
            f"words heard of {self.utterances_cleared} spoken answers"
        )


def run_retention(
    settings: Settings, *, days: int | None = None, now: datetime | None = None, dry_run: bool = False
) -> RetentionReport:
    """Delete what is older than `days` (default IVR_RETENTION_DAYS); `dry_run` only counts."""
    keep_days = settings.retention_days if days is None else days
    if keep_days < 1:
        raise ValueError(f"retention must keep at least 1 day, got {keep_days}")
    cutoff = (now or datetime.now(UTC)) - timedelta(days=keep_days)
    database = Database(settings.effective_database_url)
    try:
        named = _comment_recordings(database, cutoff)
        transcripts, utterances = (
            _count_texts(database, cutoff) if dry_run else _clear_texts(database, cutoff)
        )
    finally:
        database.dispose()
    root = settings.effective_recordings_dir
    files = {path for path in named if _is_file(path)} | set(_old_files(root, cutoff))
    freed = sum(_size(path) for path in files)
    if not dry_run:
        for path in files:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        _remove_emptied_dirs({path.parent for path in files}, root)
    report = RetentionReport(cutoff, len(files), freed, transcripts, utterances, dry_run)
    if not dry_run:
        _count(report)
    log.info("retention: %s", report)
    return report


async def retention_loop(settings: Settings, stop: asyncio.Event, *, interval_s: float = DAY_S) -> None:
    """`run_retention` now and then every `interval_s` (a day) until `stop`; a failure is logged and the
    next run tries again."""
    while not stop.is_set():
        try:
            await asyncio.to_thread(run_retention, settings)
        except Exception:
            log.exception("retention run failed; trying again in %.0f s", interval_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)


def _comment_recordings(database: Database, cutoff: datetime) -> list[Path]:
    with database.session() as session:
        paths = session.exec(select(Comment.recording_path).where(col(Comment.recorded_at) < cutoff)).all()
    return [Path(path) for path in paths if path]


def _clear_texts(database: Database, cutoff: datetime) -> tuple[int, int]:
    with database.engine.begin() as connection:
        transcripts = connection.execute(
            update(Comment)
            .where(col(Comment.recorded_at) < cutoff, col(Comment.transcript).is_not(None))
            .values(transcript=None)
        ).rowcount
        # A comment still waiting for its transcript loses its recording now: it can never be processed.
        connection.execute(
            update(Comment)
            .where(col(Comment.recorded_at) < cutoff, col(Comment.processing_status) == "pending")
            .values(processing_status="failed", processing_error=PENDING_EXPIRED)
        )
        utterances = connection.execute(
            update(SurveyAnswer)
            .where(
                col(SurveyAnswer.answered_at) < cutoff,
                col(SurveyAnswer.mode) == "speech",
                col(SurveyAnswer.utterance) != "",
            )
            .values(utterance="")
        ).rowcount
    return transcripts, utterances


def _count_texts(database: Database, cutoff: datetime) -> tuple[int, int]:
    with database.session() as session:
        transcripts = session.exec(
            select(Comment.id).where(col(Comment.recorded_at) < cutoff, col(Comment.transcript).is_not(None))
        ).all()
        utterances = session.exec(
            select(SurveyAnswer.id).where(
                col(SurveyAnswer.answered_at) < cutoff,
                col(SurveyAnswer.mode) == "speech",
                col(SurveyAnswer.utterance) != "",
            )
        ).all()
    return len(transcripts), len(utterances)


def _old_files(root: Path, cutoff: datetime) -> list[Path]:
    """Files under `root` last written before `cutoff` (symbolic links are neither followed nor counted)."""
    limit = cutoff.timestamp()
    found = []
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            with contextlib.suppress(FileNotFoundError):
                stat = path.lstat()
                if path.is_file() and not path.is_symlink() and stat.st_mtime < limit:
                    found.append(path)
    return found


def _remove_emptied_dirs(directories: set[Path], root: Path) -> None:
    """The tenant/date folders under `root` that the deleted recordings left empty, and their parents up to
    `root`. Only those: an empty folder made for today's calls must stay for Asterisk to record into."""
    for directory in sorted(directories, key=lambda path: len(path.parts), reverse=True):
        current = directory
        while current != root and current.is_relative_to(root):
            try:
                current.rmdir()
            except OSError:  # not empty (or gone): leave it and its parents
                break
            current = current.parent


def _is_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _count(report: RetentionReport) -> None:
    metrics.RETENTION_DELETED.labels(what="recordings").inc(report.recordings_deleted)
    metrics.RETENTION_DELETED.labels(what="transcripts").inc(report.transcripts_cleared)
    metrics.RETENTION_DELETED.labels(what="utterances").inc(report.utterances_cleared)
    metrics.RETENTION_LAST_RUN.set_to_current_time()
