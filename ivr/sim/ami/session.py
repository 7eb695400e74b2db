"""One AMI connection: the banner, then actions answered one at a time, and events in between.

As in manager.c, a session runs one action at a time; events that happen while an action runs (a
synchronous Originate waits for the answer) are held and written after its response. Before Login only
Login and Logoff run; everything else is "Permission denied".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from ivr.sim.ami.core import AsteriskCore
from ivr.sim.ami.events import AmiEvent
from ivr.sim.ami.permissions import ACTION_AUTHORITY, AmiUser
from ivr.sim.ami.wire import BANNER, MAX_LINE_BYTES, Field, Message, MessageTooLong, encode, read_message

log = logging.getLogger(__name__)

Handler = Callable[["AmiSession", Message], Awaitable[bool]]
"""An action: writes its response; True when the session ends afterwards."""


class AmiSession:
    def __init__(
        self,
        core: AsteriskCore,
        users: Sequence[AmiUser],
        handlers: dict[str, Handler],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.core = core
        self.users = users
        self.handlers = handlers
        self.reader = reader
        self.writer = writer
        self.user: AmiUser | None = None
        self.send_events = 0
        self._busy = False
        self._held: list[AmiEvent] = []
        self._unsubscribe = core.bus.subscribe(self._deliver)

    @property
    def authenticated(self) -> bool:
        return self.user is not None

    @property
    def read_mask(self) -> int:
        return self.user.read_mask if self.user else 0

    @property
    def write_mask(self) -> int:
        return self.user.write_mask if self.user else 0

    async def serve(self) -> None:
        try:
            self._write(BANNER)
            while not self.writer.is_closing():
                message = await read_message(self.reader)
                if message is None or await self._process(message):
                    break
        except MessageTooLong:
            log.warning("AMI client sent a line longer than %d bytes; closing", MAX_LINE_BYTES)
        except ConnectionError:
            pass
        finally:
            self._unsubscribe()
            self.writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await self.writer.wait_closed()

    async def _process(self, message: Message) -> bool:
        action = message.action.strip()
        if not action:
            self.reply(message, "Error", "Missing action in request")
            return False
        self._busy = True
        try:
            return await self._dispatch(action, message)
        finally:
            self._busy = False
            self._flush_held()

    async def _dispatch(self, action: str, message: Message) -> bool:
        name = action.lower()
        if not self.authenticated and name not in ("login", "logoff"):
            self.reply(message, "Error", "Permission denied")
            return False
        handler = self.handlers.get(name)
        if handler is None:
            text = f"Invalid/unknown command: {action}. Use Action: ListCommands to show available commands."
            self.reply(message, "Error", text)
            return False
        authority = ACTION_AUTHORITY[name]
        if authority and not self.write_mask & authority:
            self.reply(message, "Error", "Permission denied")
            return False
        return await handler(self, message)

    def reply(
        self,
        message: Message,
        response: str,
        text: str | None = None,
        *extra: Field,
        list_flag: str | None = None,
    ) -> None:
        """A response: Response, the ActionID when the action had one, EventList, Message, then `extra`."""
        fields: list[Field] = [("Response", response)]
        if message.action_id:
            fields.append(("ActionID", message.action_id))
        if list_flag is not None:
            fields.append(("EventList", list_flag))
        if text is not None:
            fields.append(("Message", text))
        self.send([*fields, *extra])

    def send(self, fields: Sequence[Field]) -> None:
        self._write(encode(fields))

    def _write(self, data: bytes) -> None:
        if not self.writer.is_closing():
            self.writer.write(data)

    def _deliver(self, event: AmiEvent) -> None:
        if not self.authenticated or self.send_events & event.category != event.category:
            return
        if self._busy:
            self._held.append(event)
        else:
            self._write(event.encode())

    def _flush_held(self) -> None:
        held, self._held = self._held, []
        for event in held:
            self._deliver(event)
