"""`ivr outbound ...`: the outbound post-call survey (a call back after the contact)."""

from __future__ import annotations

import asyncio

import click

from ivr.cli.root import main
from ivr.settings import Settings


@main.group()
def outbound() -> None:
    """Survey citizens by calling them back after their contact (dialogs/<tenant>/outbound.yaml)."""


@outbound.command("run")
@click.pass_obj
def outbound_run(settings: Settings) -> None:
    """Schedule survey calls from finished agent calls and dial them, until SIGTERM/SIGINT."""
    from ivr.outbound.service import OutboundError, run_outbound

    try:
        asyncio.run(run_outbound(settings))
    except OutboundError as error:
        raise click.ClickException(str(error)) from None
