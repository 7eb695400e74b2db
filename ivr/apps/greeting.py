"""`/callback`: what the citizen hears when the dialer's call is answered, before the queue takes over.

The dialplan's answered context runs `AGI(agi://bot/callback?tenant=T&id=ID)`, then `Queue()` with the
priority the dialer passed; a hang-up here simply ends the call (the request is done: it was answered)."""

from __future__ import annotations

import logging
import re

from ivr.agi.channel import Channel
from ivr.agi.errors import AGIError
from ivr.apps.agi_io import SILENT_STAND_IN, SharedDir
from ivr.dialog.registry import DialogNotFoundError, DialogRegistry
from ivr.queueing.config import InboundConfig
from ivr.speech.prompts import PromptCache

log = logging.getLogger("ivr.apps.greeting")

SLUG = re.compile(r"^[a-z0-9_-]{1,64}$")


class CallbackGreetingApp:
    def __init__(self, documents: DialogRegistry, prompts: PromptCache, prompts_dir: SharedDir) -> None:
        self._documents, self._prompts, self._prompts_dir = documents, prompts, prompts_dir

    async def __call__(self, channel: Channel) -> None:
        request = channel.request
        tenant = request.query.get("tenant", "default")
        try:
            config = self._documents.document(
                "inbound", tenant if SLUG.match(tenant) else "default", InboundConfig
            )
            path = self._prompts.resolve(config.text("callback_greeting"))
            sound = SILENT_STAND_IN if path is None else self._prompts_dir.for_asterisk(path)
            await channel.answer()
            await channel.stream_file(sound)
            log.info("call %s: callback %s greeted", request.uniqueid, request.query.get("id", "?"))
        except DialogNotFoundError as error:
            log.error("call %s: no inbound settings for the greeting: %s", request.uniqueid, error)
        except AGIError as error:
            log.info("call %s: callback greeting cut short: %s", request.uniqueid, error)
