"""`ivr models ...`: fetch the speech models (checked against their checksums) and list what is present."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from ivr.cli.root import main
from ivr.settings import Settings

if TYPE_CHECKING:
    from ivr.speech.recognition.catalogue import Engine
    from ivr.speech.recognition.fetch import Progress


@main.group()
def models() -> None:
    """Speech models: fetch them (checksums checked) and list what is present."""


@models.command("list")
@click.pass_obj
def models_list(settings: Settings) -> None:
    """The catalogued models, whether each is present under the models directory, and which are configured."""
    from ivr.speech.recognition.catalogue import CATALOGUE
    from ivr.speech.recognition.modeldirs import missing_files, resolve_model_dir

    configured = {
        settings.vosk_model: "IVR_VOSK_MODEL",
        settings.whisper_model: "IVR_WHISPER_MODEL",
    }
    click.echo(f"Models directory: {settings.models_dir.absolute()}")
    for entry in CATALOGUE:
        present = not missing_files(settings.models_dir / entry.name, entry.engine)
        checks = (
            "verified" if entry.verified else "partly verified" if entry.partly_verified else "unverified"
        )
        marks = [f"configured ({configured[entry.name]})"] if entry.name in configured else []
        click.echo(
            f"{'present' if present else 'absent ':8} {entry.name:36} {entry.engine:15} {entry.size:>7}  "
            f"{entry.licence.split(' ')[0]:11} checksum {checks:16}{'  '.join(marks)}"
        )
    for name, setting in configured.items():
        path = resolve_model_dir(settings.models_dir, name)
        if all(entry.name != name for entry in CATALOGUE):
            engine: Engine = "vosk" if setting == "IVR_VOSK_MODEL" else "faster-whisper"
            state = "present" if not missing_files(path, engine) else "absent "
            click.echo(f"{state:8} {path!s:36} {engine:15} (not in the catalogue; set by {setting})")


@models.command("fetch")
@click.argument("name")
@click.option(
    "--accept-checksum",
    metavar="SHA256",
    help="Install when the download has this SHA-256 "
    "(for models without a published checksum; `fetch` prints it)",
)
@click.option(
    "--trust-first-download",
    is_flag=True,
    help="Install a model without a published checksum and "
    "record its checksum; later fetches are checked against it",
)
@click.option("--mirror", metavar="URL", help="Fetch the same file names from this base URL instead")
@click.option("--force", is_flag=True, help="Fetch again even when the model is present")
@click.pass_obj
def models_fetch(
    settings: Settings,
    name: str,
    accept_checksum: str | None,
    trust_first_download: bool,
    mirror: str | None,
    force: bool,
) -> None:
    """Download the model NAME (see `ivr models list`), check it, unpack it into the models directory."""
    from ivr.speech.recognition.catalogue import UnknownModel, catalogue_entry
    from ivr.speech.recognition.fetch import FetchError, fetch_model

    try:
        entry = catalogue_entry(name)
    except UnknownModel as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"{entry.name}: {entry.description}; licence {entry.licence}; about {entry.size}; {entry.source}"
    )
    try:
        result = fetch_model(
            entry,
            settings.models_dir.absolute(),
            accept_checksum=accept_checksum,
            trust_first_download=trust_first_download,
            mirror=mirror,
            force=force,
            progress=_progress_bar,
        )
    except FetchError as error:
        raise click.ClickException(str(error)) from None
    if result.verification == "already present":
        click.echo(f"Already present in {result.path} (use --force to fetch it again).")
        return
    for filename, digest in sorted(result.checksums.items()):
        click.echo(f"  {digest}  {filename}")
    how = {
        "published": "checked against the published checksums",
        "recorded": "checked against the checksums recorded at the first download",
        "accepted": "checked against the checksum you accepted (recorded for later fetches)",
        "trusted": "NOT checked: no published checksum; recorded for later fetches",
    }[result.verification]
    click.echo(f"Installed in {result.path} ({how}).")


class _ByteCounter:
    """For a server that sends no length: a line at the end instead of a bar."""

    def __init__(self) -> None:
        self.received = 0

    def update(self, n_steps: int) -> None:
        self.received += n_steps


@contextmanager
def _progress_bar(label: str, total: int | None) -> Iterator[Progress]:
    if total is None:
        counter = _ByteCounter()
        yield counter
        click.echo(f"{label}: {counter.received / 1e6:.1f} MB", err=True)
        return
    bar: click._termui_impl.ProgressBar[int] = click.progressbar(
        length=total, label=label, file=click.get_text_stream("stderr")
    )
    with bar:
        yield bar
