"""`ivr comments`: reprocess stored comments by hand (e.g. after retraining), and their status."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from ivr.cli.root import main
from ivr.settings import Settings

if TYPE_CHECKING:
    from ivr.nlu import Classifier
    from ivr.store.comments import Selection
    from ivr.store.database import Database


@main.group()
def comments() -> None:
    """Recorded comments: transcription and classification."""


@comments.command()
@click.option(
    "--pending", "which", flag_value="pending", default=True, help="Comments not done yet (default)"
)
@click.option("--failed", "which", flag_value="failed", help="Comments whose job failed for good")
@click.option("--all", "which", flag_value="all", help="Every comment, done ones too (e.g. after retraining)")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]),
    default=None,
    help="Only comments recorded from then on (UTC), e.g. 2026-03-01",
)
@click.option("--tenant", default=None, help="Only this tenant's comments")
@click.option(
    "--engine", type=click.Choice(["embedded", "rasa"]), default=None, help="Default: IVR_NLU_ENGINE"
)
@click.pass_obj
def process(
    settings: Settings, which: Selection, since: datetime | None, tenant: str | None, engine: str | None
) -> None:
    """Transcribe, mask and classify stored comments here and now, with the same processing as the worker
    (no queue). Prints what became of them; exits with status 1 when some are not done."""
    from ivr.nlu import classifier_for
    from ivr.nlu.data import NluDataError
    from ivr.store.comments import select_comments
    from ivr.store.database import Database

    database = Database(settings.effective_database_url)
    try:
        chosen = select_comments(
            database,
            which,
            since=since.replace(tzinfo=UTC) if since is not None else None,
            tenant=tenant,
        )
        if not chosen:
            click.echo(f"Inga kommentarer att bearbeta ({which}).")
            return
        try:
            classifier = classifier_for(settings, engine)
        except NluDataError as error:
            raise click.ClickException(str(error)) from None
        tally, problems = asyncio.run(_process_all(settings, database, classifier, chosen))
    finally:
        database.dispose()
    _report(tally, problems)
    if tally["done"] != len(chosen):
        raise SystemExit(1)


async def _process_all(
    settings: Settings, database: Database, classifier: Classifier, chosen: list[uuid.UUID]
) -> tuple[Counter[str], dict[str, list[uuid.UUID]]]:
    from ivr.comments.pipeline import CommentDelayed, CommentFailed, CommentProcessor
    from ivr.comments.speech import ConfiguredSpeech

    speech = ConfiguredSpeech(settings)
    processor = CommentProcessor(database, classifier, speech)
    tally: Counter[str] = Counter()
    problems: dict[str, list[uuid.UUID]] = {}
    try:
        with click.progressbar(chosen, label="Kommentarer", file=click.get_text_stream("stderr")) as bar:
            for comment_id in bar:
                try:
                    result = await processor.process(comment_id, only_pending=False)
                except (CommentDelayed, CommentFailed) as error:
                    kind = "failed" if isinstance(error, CommentFailed) else "delayed"
                    tally[kind] += 1
                    problems.setdefault(f"{kind}: {error}", []).append(comment_id)
                    continue
                tally[result.outcome] += 1
                if result.outcome == "waiting":
                    problems.setdefault(result.detail, []).append(comment_id)
    finally:
        await asyncio.to_thread(speech.close)
    return tally, problems


def _report(tally: Counter[str], problems: dict[str, list[uuid.UUID]]) -> None:
    names = {
        "done": "klara",
        "waiting": "väntar på talmodell",
        "delayed": "försenade",
        "failed": "misslyckade",
    }
    click.echo(", ".join(f"{count} {names.get(kind, kind)}" for kind, count in sorted(tally.items())))
    for reason, ids in problems.items():
        click.echo(f"{len(ids)} × {reason}", err=True)


@comments.command()
@click.pass_obj
def status(settings: Settings) -> None:
    """How many comments are pending, done and failed, and the failed ones with their errors."""
    from ivr.store.comments import failed_comments, status_counts
    from ivr.store.database import Database

    database = Database(settings.effective_database_url)
    try:
        counts = status_counts(database)
        failed = failed_comments(database)
    finally:
        database.dispose()
    click.echo(" ".join(f"{name}={counts.get(name, 0)}" for name in ("pending", "done", "failed")))
    for comment_id, recorded_at, error in failed:
        click.echo(f"failed {comment_id} {recorded_at:%Y-%m-%d %H:%M} {error}")
