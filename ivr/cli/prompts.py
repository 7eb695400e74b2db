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
@click.option(
    "--engine",
    "engine_name",
    metavar="NAME",
    help="espeak-ng (offline), gtts (online, needs internet) or piper (offline, needs a voice file); "
    "default: IVR_TTS_ENGINE (espeak-ng)",
)
@click.option(
    "--voice",
    metavar="VOICE",
    help="espeak-ng: a voice (sv); gtts: a language (sv); piper: a voice file (.onnx) or its name under "
    "IVR_MODELS_DIR (sv_SE-nst-medium); default: IVR_TTS_VOICE when the engine is IVR_TTS_ENGINE, "
    "else the engine's own",
)
@click.option("--workers", default=2, show_default=True)
@click.pass_obj
def prompts_build(settings: Settings, engine_name: str | None, voice: str | None, workers: int) -> None:
    """Render every prompt of every dialog in 8 and 16 kHz; operators' own recordings win."""
    from ivr.apps.documents import operator_registry
    from ivr.speech.prompts import PromptCache
    from ivr.speech.tts import TtsError, engine_from_settings

    try:
        cache = PromptCache.from_settings(settings, engine=engine_name, voice=voice)
    except (TtsError, ValueError) as error:
        raise click.BadParameter(str(error), param_hint="--engine/--voice") from None
    registry = operator_registry(settings.dialogs_dir)
    for problem in registry.load():
        click.echo(str(problem), err=True)
    report = cache.build(registry.prompts(), workers=workers)
    click.echo(str(report))
    built, played = cache.engine, engine_from_settings(settings)
    if (built.name, built.voice) != (played.name, played.voice):
        click.echo(
            f"note: the bot plays the prompts of {played.name} (voice {played.voice}); to play these, set "
            f"IVR_TTS_ENGINE={built.name} IVR_TTS_VOICE={built.voice}",
            err=True,
        )
    sys.exit(1 if report.failed else 0)
