"""`ivr callbacks ...`: the callback dialer."""

from __future__ import annotations

import asyncio

import click

from ivr.cli.root import main
from ivr.settings import Settings


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
