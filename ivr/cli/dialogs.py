"""`ivr dialogs ...`: check the operators' dialog files, print their JSON Schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ivr.cli.root import main
from ivr.settings import Settings


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
