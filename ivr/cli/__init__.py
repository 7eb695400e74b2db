"""`ivr ...`: the one command line for the bot, its tools and its demo; one module per command group."""

from ivr.cli import (  # noqa: F401  (they register themselves)
    callbacks,
    classify,
    comments,  # comment processing; `ivr worker` below
    db,
    dialogs,
    doctor,  # checks every dependency the settings name
    inbound,
    models,  # speech models: fetch, list
    nlu,
    outbound,  # the outbound post-call survey
    prompts,
    report,
    results,
    retention,  # ivr retention run
    web,
    worker,
)
from ivr.cli.root import main

__all__ = ["main"]
