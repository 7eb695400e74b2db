"""`/callback`: what the citizen hears when the dialer's call is answered, before the queue takes over.

The dialplan's answered context runs `AGI(agi://bot/callback?tenant=T&id=ID)`, then `Queue()` with the
priority the dialer passed; a hang-up here simply ends the call (the request is done: it was answered)."""

from __future__ import annotations

import logging

from ivr.agi.channel import Channel
from ivr.agi.errors import AGIError
from ivr.apps.agi_io import is_slug, sound_for
from ivr.apps.shared_dir import SharedDir
from ivr.dialog.registry import DialogNotFoundError, DialogRegistry
from ivr.queueing.config import InboundConfig
from ivr.speech.prompts import PromptCache

log = logging.getLogger("ivr.apps.greeting")


class CallbackGreetingApp:
    def __init__(self, documents: DialogRegistry, prompts: PromptCache, prompts_dir: SharedDir) -> None:
        self._documents, self._prompts, self._prompts_dir = documents, prompts, prompts_dir

    async def __call__(self, channel: Channel) -> None:
        request = channel.request
        tenant = request.query.get("tenant", "default")
        try:
            config = self._documents.document(
                "inbound", tenant if is_slug(tenant) else "default", InboundConfig
            )
            sound = sound_for(config.text("callback_greeting"), self._prompts, self._prompts_dir)
            await channel.answer()
            await channel.stream_file(sound)
            log.info("call %s: callback %s greeted", request.uniqueid, request.query.get("id", "?"))
        except DialogNotFoundError as error:
            log.error("call %s: no inbound settings for the greeting: %s", request.uniqueid, error)
        except AGIError as error:
            log.info("call %s: callback greeting cut short: %s", request.uniqueid, error)
