"""`ivr ...`: the one command line for the bot, its tools and its demo; one module per command group."""

from ivr.cli import (  # noqa: F401  (they register themselves)
    callbacks,
    classify,
    db,
    dialogs,
    inbound,
    models,  # speech models: fetch, list
    nlu,
    prompts,
    results,
)
from ivr.cli.root import main

__all__ = ["main"]
