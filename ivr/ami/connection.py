"""One TCP session with Asterisk's manager interface: banner, login, actions matched by ActionID, events.

A reader task parses every message. A response goes to the action waiting for its ActionID; events carrying
an ActionID that an action is collecting (a list, or Originate's `OriginateResponse`) go to that action;
every other event goes to `on_event`. When the session ends, for whatever reason, every waiting action
fails with `AMIConnectionLost` and `closed` resolves to the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ivr.ami.errors import (
    AMIActionError,
    AMIAuthenticationError,
    AMIConnectionError,
    AMIConnectionLost,
    AMIError,
    AMIProtocolError,
    AMITimeout,
)
from ivr.ami.messages import AMIEvent, AMIMessage, AMIResponse, classify
from ivr.ami.permissions import error_for
from ivr.ami.protocol import FieldValue, encode_action, read_banner, read_message

log = logging.getLogger(__name__)

_CLOSE_TIMEOUT_S = 1.0


@dataclass
class Exchange:
    """One action in flight and what has come back for it so far."""

    action: str
    action_id: str
    done: asyncio.Future[None]
    complete_event: str | None = None  # the event that ends it (a list's "...Complete", "OriginateResponse")
    collect: bool = False  # keep the other events carrying this ActionID (list actions)
    response: AMIResponse | None = None
    events: list[AMIEvent] = field(default_factory=list)
    completion: AMIEvent | None = None

    def finish_if_complete(self) -> None:
        complete = self.complete_event is None or self.completion is not None
        if self.response is not None and complete and not self.done.done():
            self.done.set_result(None)

    def fail(self, error: AMIError) -> None:
        if not self.done.done():
            self.done.set_exception(error)


class AMIConnection:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        banner_version: str,
        max_message_bytes: int,
        on_event: Callable[[AMIEvent], None],
        username: str,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self.banner_version = banner_version
        self._max_message_bytes = max_message_bytes
        self._on_event = on_event
        self._username = username
        # Asterisk sends OriginateResponse to every session allowed to read `call`: a random prefix keeps
        # two clients (two dialer processes) from taking each other's outcome for their own.
        self._id_prefix = secrets.token_hex(4)
        self._ids = itertools.count(1)
        self._pending: dict[str, Exchange] = {}
        self._held_events: list[AMIEvent] | None = []  # until release_events(): see there
        loop = asyncio.get_running_loop()
        self.closed: asyncio.Future[AMIError] = loop.create_future()
        self._reader_task = loop.create_task(self._read_loop(), name="ami-reader")

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        *,
        connect_timeout_s: float,
        max_message_bytes: int,
        on_event: Callable[[AMIEvent], None],
        username: str,
    ) -> AMIConnection:
        """TCP connect and read the banner; the reader starts at once."""
        reader, writer = await _open_tcp(host, port, connect_timeout_s, max_message_bytes)
        try:
            version = await _read_greeting(reader, host, port, connect_timeout_s)
        except BaseException:  # cancelled too: never leave the socket open
            writer.transport.abort()
            raise
        return cls(
            reader,
            writer,
            banner_version=version,
            max_message_bytes=max_message_bytes,
            on_event=on_event,
            username=username,
        )

    async def login(self, secret: str, events: str, timeout_s: float) -> None:
        user = self._username
        fields: dict[str, FieldValue] = {"Username": user, "Secret": secret, "Events": events}
        try:
            await self.request("Login", fields, timeout_s=timeout_s)
        except asyncio.CancelledError:
            self.abort(AMIConnectionLost("login cancelled"))
            raise
        except AMIActionError as exc:
            await self.close()
            reason = exc.message or "no reason given"
            raise AMIAuthenticationError(
                f"Asterisk refused the AMI login of user {user!r} ({reason}): check the [{user}] section "
                "of manager.conf (its secret, and permit/deny for this host's address)"
            ) from None
        except AMIError:
            await self.close()
            raise

    def release_events(self) -> None:
        """Start passing events on. Until then they are held, so that a reconnecting client can announce the
        gap (its `Reconnected` notice) before the first event of the new session reaches its subscribers."""
        held, self._held_events = self._held_events or [], None
        for event in held:
            self._on_event(event)

    @property
    def is_open(self) -> bool:
        return not self.closed.done()

    async def request(
        self,
        action: str,
        fields: Mapping[str, FieldValue],
        *,
        timeout_s: float,
        complete_event: str | None = None,
        collect: bool = False,
    ) -> Exchange:
        """Send an action and wait for its response (and its completing event, if one is named)."""
        if not self.is_open:
            raise AMIConnectionLost(f"cannot send {action}: not connected to Asterisk")
        action_id = f"{self._id_prefix}-{next(self._ids)}"
        data = encode_action(action, action_id, fields)
        exchange = Exchange(
            action,
            action_id,
            asyncio.get_running_loop().create_future(),
            complete_event=complete_event.lower() if complete_event else None,
            collect=collect,
        )
        self._pending[action_id] = exchange
        try:
            async with asyncio.timeout(timeout_s):
                self._writer.write(data)
                await self._writer.drain()
                await exchange.done
        except TimeoutError:
            raise AMITimeout(f"Asterisk did not answer {action} within {timeout_s:g} s") from None
        except OSError as exc:
            raise AMIConnectionLost(f"connection to Asterisk lost while sending {action}: {exc}") from exc
        finally:
            self._pending.pop(action_id, None)
        return exchange

    def abort(self, reason: AMIError) -> None:
        """Drop the connection at once (a dead peer, a protocol error, a cancelled login)."""
        self._end(reason)
        self._writer.transport.abort()
        self._reader_task.cancel()

    async def close(self) -> None:
        """Close the socket and stop the reader; waiting actions fail."""
        self._end(AMIConnectionLost("connection closed by the client"))
        self._writer.close()
        try:
            async with asyncio.timeout(_CLOSE_TIMEOUT_S):
                await self._writer.wait_closed()
        except TimeoutError:  # a peer that does not read can keep the socket from closing
            self._writer.transport.abort()
        except OSError:  # e.g. ECONNRESET when the peer had unread data: harmless
            pass
        self._reader_task.cancel()
        await asyncio.gather(self._reader_task, return_exceptions=True)

    async def wait_for_peer_close(self, timeout_s: float) -> None:
        """After Logoff: give Asterisk a moment to close its end first."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await asyncio.shield(self.closed)

    async def _read_loop(self) -> None:
        reason: AMIError
        try:
            while True:
                message = await read_message(self._reader, self._max_message_bytes)
                self._dispatch(message)
        except AMIProtocolError as exc:
            log.warning("AMI protocol error, dropping the connection: %s", exc)
            reason = exc
        except AMIError as exc:
            reason = exc
        except OSError as exc:
            reason = AMIConnectionLost(f"connection to Asterisk lost: {exc}")
        except Exception as exc:  # a bug must not leave the session half alive
            log.exception("AMI reader failed")
            reason = AMIConnectionLost(f"AMI reader failed: {exc!r}")
        self._end(reason)
        self._writer.transport.abort()

    def _dispatch(self, message: AMIMessage) -> None:
        typed = classify(message)
        if isinstance(typed, AMIResponse):
            self._on_response(typed)
        elif isinstance(typed, AMIEvent):
            self._on_event_message(typed)
        else:
            log.warning("ignoring an AMI message that is neither a response nor an event (%s)", message.title)

    def _on_response(self, response: AMIResponse) -> None:
        exchange = self._exchange_for_response(response)
        if exchange is None:
            log.debug("no action waits for response %s (ActionID %s)", response.response, response.action_id)
            return
        exchange.response = response
        if not response.ok:
            exchange.fail(error_for(exchange.action, response, self._username))
        else:
            exchange.finish_if_complete()

    def _exchange_for_response(self, response: AMIResponse) -> Exchange | None:
        action_id = response.action_id
        if action_id is not None:
            return self._pending.get(action_id)
        # Asterisk answers a session's actions one at a time, in order: a response without ActionID
        # belongs to the oldest action still waiting for its response.
        return next((item for item in self._pending.values() if item.response is None), None)

    def _on_event_message(self, event: AMIEvent) -> None:
        action_id = event.action_id
        exchange = self._pending.get(action_id) if action_id is not None else None
        if exchange is not None and exchange.complete_event is not None:
            if event.name.lower() == exchange.complete_event or (
                exchange.collect and (event.get("EventList") or "").lower() == "complete"
            ):
                exchange.completion = event
                exchange.finish_if_complete()
                return
            if exchange.collect:
                exchange.events.append(event)
                return
        if self._held_events is not None:
            self._held_events.append(event)
        else:
            self._on_event(event)

    def _end(self, reason: AMIError) -> None:
        if self.closed.done():
            return
        self.closed.set_result(reason)
        for exchange in list(self._pending.values()):
            exchange.fail(
                AMIConnectionLost(
                    f"connection to Asterisk lost while waiting for {exchange.action}: {reason}"
                )
            )


async def _open_tcp(
    host: str, port: int, timeout_s: float, limit: int
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    try:
        async with asyncio.timeout(timeout_s):
            return await asyncio.open_connection(host, port, limit=limit)
    except TimeoutError:
        raise AMIConnectionError(f"no TCP connection to {host}:{port} within {timeout_s} s") from None
    except OSError as exc:
        raise AMIConnectionError(f"cannot connect to Asterisk at {host}:{port}: {exc}") from exc


async def _read_greeting(reader: asyncio.StreamReader, host: str, port: int, timeout_s: float) -> str:
    try:
        async with asyncio.timeout(timeout_s):
            return await read_banner(reader)
    except TimeoutError:
        raise AMIProtocolError(f"{host}:{port} sent no AMI greeting within {timeout_s} s") from None
    except OSError as exc:
        raise AMIConnectionError(f"connection to {host}:{port} failed: {exc}") from exc
