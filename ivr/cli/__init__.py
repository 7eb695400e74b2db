"""`ivr ...`: the one command line for the bot, its tools and its demo; one module per command group."""

from ivr.cli import callbacks, db, dialogs, inbound, prompts, results  # noqa: F401  (they register themselves)
from ivr.cli import models  # noqa: F401  (speech models: fetch, list)
from ivr.cli.root import main

__all__ = ["main"]
