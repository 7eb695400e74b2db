"""`ivr classify`: comments in (one a line), labels out (one JSON object a line)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import islice
from typing import TextIO

import click

from ivr.cli.root import main
from ivr.settings import Settings

_BATCH = 512


@main.command()
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
@click.option(
    "--engine", type=click.Choice(["embedded", "rasa"]), default=None, help="Default: IVR_NLU_ENGINE"
)
@click.pass_obj
def classify(settings: Settings, source: TextIO, engine: str | None) -> None:
    """Classify comments, one a line from SOURCE (a file, or - for standard input): one JSON object a line
    out, {"text", "sentiment", "confidence", "areas", "by_area"}. Personal data is masked first."""
    from ivr.nlu import classifier_for
    from ivr.nlu.data import NluDataError
    from ivr.nlu.rasa_client import RasaError

    try:
        classifier = classifier_for(settings, engine)
        count = 0
        for batch in _batches(line.strip() for line in source):
            for result in classifier.classify_many(batch):
                click.echo(json.dumps(result.to_json(), ensure_ascii=False))
                count += 1
    except (NluDataError, RasaError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{count} comments classified", err=True)


def _batches(lines: Iterator[str]) -> Iterator[list[str]]:
    comments = (line for line in lines if line)
    while batch := list(islice(comments, _BATCH)):
        yield batch
