"""`ivr ...`: the one command line for the bot, its tools and its demo; one module per command group."""

from ivr.cli import (  # noqa: F401  (they register themselves)
    callbacks,
    classify,
    db,
    dialogs,
    inbound,
    nlu,
    prompts,
    results,
)
from ivr.cli import models  # noqa: F401  (speech models: fetch, list)
from ivr.cli.root import main

__all__ = ["main"]
