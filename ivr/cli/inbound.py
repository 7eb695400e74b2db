"""`ivr inbound ...`: the queue announcement and callback offer."""

from __future__ import annotations

from datetime import datetime

import click

from ivr.cli.root import main
from ivr.settings import Settings


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
