"""`ivr ...`: the one command line for the bot, its tools and its demo."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

import click

from ivr.settings import Settings


@click.group()
@click.option("--log-level", default="INFO", show_default=True, help="DEBUG, INFO, WARNING or ERROR")
@click.pass_context
def main(ctx: click.Context, log_level: str) -> None:
    """Voice IVR bot for Swedish municipal contact centres (FastAGI)."""
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
    ctx.obj = Settings()


@main.command()
@click.option("--host", default=None, help="Address to listen on (default IVR_AGI_HOST, 127.0.0.1)")
@click.option("--port", type=int, default=None, help="Port (default IVR_AGI_PORT, 4573)")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None) -> None:
    """Run the FastAGI server: /survey, and /inbound when IVR_AMI_SECRET is set (SIGHUP reloads dialogs;
    SIGTERM stops after the calls in progress)."""
    from ivr.apps.callbacks import CallbacksError
    from ivr.apps.queues import open_queue_rooms
    from ivr.apps.runtime import BotRuntime

    async def run() -> None:
        queues = await open_queue_rooms(settings)  # None without AMI settings: survey only
        try:
            runtime = BotRuntime(settings, queues=queues.rooms if queues else None)
            await runtime.start(host or settings.agi_host, settings.agi_port if port is None else port)
            await runtime.serve_until_signalled()
        finally:
            if queues is not None:
                await queues.close()

    try:
        asyncio.run(run())
    except CallbacksError as error:
        raise click.ClickException(str(error)) from None


@main.command()
@click.option("--calls", default=50, show_default=True, help="How many simulated calls to place")
@click.option("--seed", default=2026, show_default=True, help="Seed for the simulated callers")
@click.option("--data-dir", type=click.Path(path_type=Path), default=Path("var/demo"), show_default=True)
@click.option("--database-url", default=None, help="Store here instead of the demo's own SQLite file")
@click.pass_obj
def demo(settings: Settings, calls: int, seed: int, data_dir: Path, database_url: str | None) -> None:
    """Place simulated calls through the real bot over FastAGI and print a summary in Swedish."""
    from ivr.demo import run_demo

    summary = asyncio.run(
        run_demo(settings, calls=calls, seed=seed, data_dir=data_dir.absolute(), database_url=database_url)
    )
    click.echo(summary)


@main.group()
def dialogs() -> None:
    """Check dialog files and get their JSON Schema."""


@dialogs.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
def dialogs_check(settings: Settings, paths: tuple[Path, ...]) -> None:
    """Check dialog YAML files (default: the dialogs directory); exit 1 on any error."""
    from ivr.apps.documents import OPERATOR_DOCUMENTS
    from ivr.dialog.io import Prompt
    from ivr.dialog.loader import read_dialogs
    from ivr.dialog.registry import HasPrompts
    from ivr.speech.prompts import PromptCache
    from ivr.speech.tts import engine_for

    cache = PromptCache(settings.effective_prompts_dir, engine_for("espeak-ng", settings.tts_voice))
    files = errors = 0
    for path, dialog, problems in read_dialogs(list(paths) or [settings.dialogs_dir], OPERATOR_DOCUMENTS):
        files += dialog is not None or bool(problems)
        for problem in problems:
            errors += problem.severity == "error"
            click.echo(str(problem), err=problem.severity == "error")
        missing: list[Prompt] = cache.missing(dialog.prompts()) if isinstance(dialog, HasPrompts) else []
        for prompt in missing:
            click.echo(f"{path}: warning: prompt {prompt.name} has no audio yet (run `ivr prompts build`)")
    click.echo(f"{files} files checked, {errors} errors")
    sys.exit(1 if errors else 0)


@dialogs.command("schema")
def dialogs_schema() -> None:
    """Print the dialog files' JSON Schema (for editors' YAML language servers)."""
    from ivr.dialog.loader import dialog_json_schema

    click.echo(json.dumps(dialog_json_schema(), indent=2, ensure_ascii=False))


@main.group()
def prompts() -> None:
    """Render prompts to telephone audio."""


@prompts.command("build")
@click.option("--workers", default=2, show_default=True)
@click.pass_obj
def prompts_build(settings: Settings, workers: int) -> None:
    """Render every prompt of every dialog (espeak-ng); operators' own recordings win."""
    from ivr.apps.documents import operator_registry
    from ivr.speech.prompts import PromptCache
    from ivr.speech.tts import engine_for

    registry = operator_registry(settings.dialogs_dir)
    for problem in registry.load():
        click.echo(str(problem), err=True)
    cache = PromptCache(settings.effective_prompts_dir, engine_for("espeak-ng", settings.tts_voice))
    report = cache.build(registry.prompts(), workers=workers)
    click.echo(str(report))
    sys.exit(1 if report.failed else 0)


@main.group()
def inbound() -> None:
    """The queue announcement and callback offer."""


@inbound.command("preview")
@click.option("--queue", required=True, help="Queue name as in inbound.yaml")
@click.option("--position", type=click.IntRange(min=1), required=True, help="The caller's place in the queue")
@click.option(
    "--wait", "wait_s", type=click.FloatRange(min=0), default=None, help="Estimated wait in seconds"
)
@click.option(
    "--at",
    "at",
    type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
    default=None,
    help="Local time in the queue's time zone (default: now)",
)
@click.option("--tenant", default="default", show_default=True)
@click.pass_obj
def inbound_preview(
    settings: Settings, queue: str, position: int, wait_s: float | None, at: datetime | None, tenant: str
) -> None:
    """Print, in Swedish, exactly what a caller would hear in this state (no --wait: no agent can answer)."""
    from ivr.apps.documents import operator_registry
    from ivr.apps.inbound import preview
    from ivr.queueing.config import InboundConfig

    registry = operator_registry(settings.dialogs_dir)
    for problem in registry.load():
        click.echo(str(problem), err=True)
    config = registry.document("inbound", tenant, InboundConfig)
    if queue not in config.queues:
        raise click.BadParameter(f"unknown queue {queue!r}; inbound.yaml has: {', '.join(config.queues)}")
    zone = config.queue(queue).hours().timezone
    moment = at.replace(tzinfo=zone) if at else datetime.now(zone)
    for line in preview(config, queue, position, wait_s, moment):
        click.echo(line)


@main.group()
def results() -> None:
    """Survey results."""


@results.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--tenant", default=None)
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-", show_default=True)
@click.pass_obj
def results_export(settings: Settings, fmt: str, tenant: str | None, out: TextIO) -> None:
    """One row per survey response with its answers and comment."""
    from ivr.store.results import ResultsRepository

    repo = ResultsRepository(settings.effective_database_url)
    count = repo.export_jsonl(out, tenant=tenant) if fmt == "jsonl" else repo.export_csv(out, tenant=tenant)
    click.echo(f"{count} responses exported", err=True)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(settings: Settings) -> None:
    """Apply Alembic migrations to IVR_DATABASE_URL (the bot also does this when it starts)."""
    from ivr.store.migrations import current_revision, upgrade

    upgrade(settings.effective_database_url)
    click.echo(f"database at revision {current_revision(settings.effective_database_url)}")


@main.group()
def callbacks() -> None:
    """Call back the citizens who asked for it, in queue order (AMI Originate)."""


@callbacks.command("run")
@click.option(
    "--learn/--no-learn",
    default=False,
    show_default=True,
    help="Also learn handling times from the queue events (only one process per Asterisk should)",
)
@click.pass_obj
def callbacks_run(settings: Settings, learn: bool) -> None:
    """Dial waiting callback requests until SIGTERM/SIGINT (calls under way are finished first)."""
    from ivr.apps.callbacks import CallbacksError, run_callbacks

    try:
        asyncio.run(run_callbacks(settings, learn=learn))
    except CallbacksError as error:
        raise click.ClickException(str(error)) from None


if __name__ == "__main__":
    main()
