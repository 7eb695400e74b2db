"""`ivr prompts ...`: render prompts to telephone audio."""

from __future__ import annotations

import sys

import click

from ivr.cli.root import main
from ivr.settings import Settings


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
