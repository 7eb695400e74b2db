"""The root `ivr` group with its two main commands: `serve` (the FastAGI server) and `demo`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from ivr.settings import Settings


@click.group()
@click.option("--log-level", default="INFO", show_default=True, help="DEBUG, INFO, WARNING or ERROR")
@click.pass_context
def main(ctx: click.Context, log_level: str) -> None:
    """Voice IVR bot for Swedish municipal contact centres (FastAGI)."""
    from ivr.ops.logs import configure_logging

    settings = Settings()
    configure_logging(log_level, settings.log_format)  # IVR_LOG_FORMAT=json: one JSON object a line
    ctx.obj = settings


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
    from ivr.ops import metrics

    async def run() -> None:
        queues = await open_queue_rooms(settings)  # None without AMI settings: survey only
        try:
            runtime = BotRuntime(settings, queues=queues.rooms if queues else None)
            await runtime.start(host or settings.agi_host, settings.agi_port if port is None else port)
            metrics.calls_in_progress_from(lambda: runtime.server.active_calls)
            metrics.start_metrics_server(settings.metrics_host, settings.serve_metrics_port)
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
