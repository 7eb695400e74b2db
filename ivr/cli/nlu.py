"""`ivr nlu ...`: the real Rasa for comment classification: install, train, serve."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit

import click

from ivr.cli.root import main
from ivr.settings import Settings


@main.group()
def nlu() -> None:
    """Rasa (comment classification): its own virtualenv, training and server."""


@nlu.command("setup")
@click.pass_obj
def nlu_setup(settings: Settings) -> None:
    """Create .venv-rasa with Rasa 3.6.21 (scripts/setup-rasa.sh; does nothing when it is up to date)."""
    from ivr.nlu.rasa_project import RasaProject

    script = RasaProject.from_settings(settings).setup_script
    if not script.exists():
        raise click.ClickException(
            f"{script} not found: run this from the repository (IVR_NLU_DIR={settings.nlu_dir})"
        )
    env = dict(os.environ, IVR_RASA_VENV=str(settings.rasa_venv.absolute()))
    result = subprocess.run([str(script)], env=env, check=False)
    if result.returncode != 0:
        raise click.ClickException(f"{script.name} failed (exit {result.returncode}); see its output above")
    click.echo(f"Rasa is installed in {settings.rasa_venv}", err=True)


@nlu.command("train")
@click.option("--force", is_flag=True, help="Train even when a model of the unchanged project exists")
@click.pass_obj
def nlu_train(settings: Settings, force: bool) -> None:
    """Train nlu/ with `rasa train nlu` into models/nlu/ (reused while nlu/ is unchanged)."""
    from ivr.nlu.rasa_project import RasaNotInstalled, RasaProject, RasaTrainingFailed

    try:
        model, trained = RasaProject.from_settings(settings).train(force=force, output=sys.stderr)
    except (RasaNotInstalled, RasaTrainingFailed) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{'trained' if trained else 'unchanged, reused'}: {model}")


@nlu.command("serve")
@click.option("--host", default=None, help="Address (default: the host of IVR_RASA_URL)")
@click.option("--port", type=int, default=None, help="Port (default: the port of IVR_RASA_URL, 5005)")
@click.pass_obj
def nlu_serve(settings: Settings, host: str | None, port: int | None) -> None:
    """Serve the trained model with `rasa run --enable-api` (POST /model/parse); trains first when needed."""
    from ivr.nlu.rasa_project import RasaNotInstalled, RasaProject, RasaTrainingFailed, rasa_environment

    url = urlsplit(settings.rasa_url)
    project = RasaProject.from_settings(settings)
    try:
        model, _ = project.train(output=sys.stderr)
        command = project.serve_command(model, host or url.hostname or "127.0.0.1", port or url.port or 5005)
    except (RasaNotInstalled, RasaTrainingFailed) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"serving {model.name}: {' '.join(command[1:])}", err=True)
    os.execve(command[0], command, rasa_environment())
