"""`ivr dialogs ...`: check the operators' dialog files, print their JSON Schema, try spoken answers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ivr.cli.root import main
from ivr.settings import Settings

if TYPE_CHECKING:
    from ivr.dialog.loader import Problem
    from ivr.dialog.model import Dialog


@main.group()
def dialogs() -> None:
    """Check dialog files, get their JSON Schema, try spoken answers."""


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

    cache = PromptCache.from_settings(settings)
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


@dialogs.command("try")
@click.argument("dialog")
@click.argument("question_id", metavar="QUESTION")
@click.argument("utterance", required=False)
@click.option(
    "--confidence",
    type=click.FloatRange(0, 1),
    default=1.0,
    show_default=True,
    help="The recogniser's confidence in the words (0..1).",
)
@click.option("--grammar", "show_grammar", is_flag=True, help="Also print the question's recogniser grammar.")
@click.option("--purpose", default="survey", show_default=True, help="Which dialog, when DIALOG is a tenant.")
@click.pass_obj
def dialogs_try(
    settings: Settings,
    dialog: str,
    question_id: str,
    utterance: str | None,
    confidence: float,
    show_grammar: bool,
    purpose: str,
) -> None:
    """Show how the bot would understand UTTERANCE spoken as the answer to QUESTION.

    DIALOG is a dialog YAML file or a tenant name (its dialog as the server picks it, default included).
    Exit 1 when the dialog file has errors, 2 for an unknown question or tenant.
    """
    from ivr.dialog.io import RawInput
    from ivr.dialog.model import CommentQuestion
    from ivr.speech.understanding import SwedishAnswerInterpreter
    from ivr.speech.understanding.explain import describe_question, explain

    if utterance is None and not show_grammar:
        raise click.UsageError('give the UTTERANCE to try, e.g. "fyra tror jag", or --grammar')
    found = _dialog_to_try(settings, dialog, purpose)
    try:
        question = found.question(question_id)
    except KeyError:
        ids = ", ".join(question.id for question in found.questions)
        raise click.UsageError(f"no question {question_id!r} in dialog {found.id!r}; it has: {ids}") from None
    if isinstance(question, CommentQuestion):
        raise click.UsageError(f"{question_id!r} is the comment: it is recorded, not understood")
    interpreter = SwedishAnswerInterpreter()
    if not found.accepts_speech(question):
        click.echo(f"note: {question_id!r} takes keys only (speech: false); this is what words would mean")
    if utterance is not None:
        understanding = interpreter.understand(question, RawInput("speech", utterance, confidence))
        for line in explain(found, question, understanding, interpreter):
            click.echo(line)
    if show_grammar:
        phrases = interpreter.grammar(question)
        click.echo(f"grammar of {describe_question(question)}, {len(phrases)} phrases:")
        for phrase in phrases:
            click.echo(f"  {phrase}")


def _dialog_to_try(settings: Settings, name: str, purpose: str) -> Dialog:
    """The dialog in a file, or the tenant's as the server would pick it; exits on errors."""
    from ivr.apps.documents import operator_registry
    from ivr.dialog.loader import read_dialog
    from ivr.dialog.registry import DialogNotFoundError, InvalidNameError

    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.exists():
        dialog, problems = read_dialog(path)
        _report_errors([problem for problem in problems if problem.severity == "error"])
        assert dialog is not None  # no errors: read_dialog returned the dialog
        return dialog
    registry = operator_registry(settings.dialogs_dir)
    problems = registry.load()
    own_file = settings.dialogs_dir / name / f"{purpose}.yaml"
    _report_errors([p for p in problems if p.severity == "error" and p.path.resolve() == own_file.resolve()])
    try:
        return registry.get(purpose, name)
    except (InvalidNameError, DialogNotFoundError) as error:
        raise click.UsageError(
            f"{error}; give a tenant under {settings.dialogs_dir} or a YAML file"
        ) from None


def _report_errors(errors: list[Problem]) -> None:
    for problem in errors:
        click.echo(str(problem), err=True)
    if errors:
        click.echo("the dialog has errors: fix them (ivr dialogs check) and try again", err=True)
        sys.exit(1)
