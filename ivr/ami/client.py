"""`AMIClient`: the reconnecting asyncio client for Asterisk's manager interface.

One logged-in session at a time (`AMIConnection`). When it drops, the client reconnects with capped
exponential backoff, logs in again with the current event mask, and tells every subscriber that events were
missed (Asterisk does not replay them). A periodic Ping detects a peer that stopped answering. Wrong
credentials are never retried.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType

from ivr.ami.connection import AMIConnection, Exchange
from ivr.ami.errors import (
    AMIActionError,
    AMIAuthenticationError,
    AMIConnectionError,
    AMIConnectionLost,
    AMIError,
    AMITimeout,
)
from ivr.ami.events import (
    DEFAULT_QUEUE_SIZE,
    ConnectionLost,
    EventHandler,
    EventHub,
    EventStream,
    Reconnected,
    Subscription,
)
from ivr.ami.messages import AMIListResponse, AMIResponse
from ivr.ami.originate import ASTERISK_DEFAULT_TIMEOUT_S, OriginateResult, originate_fields, result_from
from ivr.ami.permissions import normalise_event_mask
from ivr.ami.protocol import DEFAULT_MAX_MESSAGE_BYTES, FieldValue

log = logging.getLogger(__name__)

_LOGOFF_TIMEOUT_S = 2.0
# Asterisk answers a wrong secret about a second late; a shorter wait would turn the refusal into a timeout,
# which (unlike a refusal) the reconnect loop retries.
_LOGIN_TIMEOUT_MIN_S = 5.0
_HANDLER_DRAIN_S = 1.0
_BACKOFF_JITTER = 0.1  # ±10 %, so that several dialers do not reconnect in lockstep
# Actions that would silently undo what the client keeps track of.
_RESERVED_ACTIONS = {"logoff": "close()", "events": "set_events()"}


class AMIClient:
    """Asyncio AMI client: `await connect()`, then actions, lists, Originate and events; `await close()`."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        secret: str,
        *,
        events: str = "on",
        connect_timeout_s: float = 5.0,
        action_timeout_s: float = 10.0,
        reconnect: bool = True,
        backoff: tuple[float, float] = (0.5, 30.0),
        ping_interval_s: float | None = 20.0,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        event_queue_size: int = DEFAULT_QUEUE_SIZE,
    ) -> None:
        _check_settings(
            port, connect_timeout_s, action_timeout_s, backoff, ping_interval_s, max_message_bytes
        )
        self._host = host
        self._port = port
        self._username = username
        self._secret = secret
        self._event_mask = normalise_event_mask(events)
        self._connect_timeout_s = connect_timeout_s
        self._action_timeout_s = action_timeout_s
        self._reconnect = reconnect
        self._backoff_initial_s, self._backoff_max_s = backoff
        self._ping_interval_s = ping_interval_s
        self._max_message_bytes = max_message_bytes
        self._event_queue_size = event_queue_size
        self._hub = EventHub()
        self._connection: AMIConnection | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._failure: AMIAuthenticationError | None = None
        self._closed = False
        self._connect_lock = asyncio.Lock()

    # -- connection ------------------------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect and log in (one attempt). Raises AMIAuthenticationError, AMIConnectionError, ..."""
        async with self._connect_lock:
            if self._closed:
                raise AMIConnectionError("the AMI client is closed")
            if self.connected or self._reconnecting:
                return
            self._failure = None
            connection = await self._open_session()
            self._connection = connection
            connection.release_events()
            self._supervisor = asyncio.get_running_loop().create_task(
                self._supervise(connection), name="ami-supervisor"
            )

    async def close(self) -> None:
        """Log off (Asterisk answers `Goodbye` and closes), stop reconnecting, end every event stream."""
        if self._closed:
            return
        self._closed = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
            self._supervisor = None
        connection, self._connection = self._connection, None
        if connection is not None:
            if connection.is_open:
                await self._log_off(connection)
            await connection.close()
        await self._hub.close(_HANDLER_DRAIN_S)

    async def __aenter__(self) -> AMIClient:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        return self._connection is not None and self._connection.is_open

    @property
    def banner_version(self) -> str | None:
        """The protocol version Asterisk announced (`9.0.0` for Asterisk 20), once connected."""
        return None if self._connection is None else self._connection.banner_version

    @property
    def event_mask(self) -> str:
        return self._event_mask

    # -- actions ---------------------------------------------------------------------------------------

    async def action(self, name: str, *, timeout_s: float | None = None, **fields: FieldValue) -> AMIResponse:
        """Send an action and return its response; `Response: Error` raises AMIActionError."""
        exchange = await self._request(name, fields, timeout_s=timeout_s)
        assert exchange.response is not None
        return exchange.response

    async def action_list(
        self, name: str, complete_event: str, *, timeout_s: float | None = None, **fields: FieldValue
    ) -> AMIListResponse:
        """An action answered by events, e.g. `action_list("QueueStatus", "QueueStatusComplete")`."""
        exchange = await self._request(
            name, fields, timeout_s=timeout_s, complete_event=complete_event, collect=True
        )
        assert exchange.response is not None
        assert exchange.completion is not None
        result = AMIListResponse(exchange.response, tuple(exchange.events), exchange.completion)
        _check_list_size(name, result)
        return result

    async def ping(self) -> AMIResponse:
        return await self.action("Ping")

    async def set_events(self, mask: str) -> AMIResponse:
        """Change the event mask ("on", "off", "call,agent"); it is applied again after each reconnect."""
        normalised = normalise_event_mask(mask)
        exchange = await self._request("Events", {"EventMask": normalised}, allow_reserved=True)
        self._event_mask = normalised
        assert exchange.response is not None
        return exchange.response

    async def originate(
        self,
        channel: str,
        *,
        context: str | None = None,
        exten: str | None = None,
        priority: int | str | None = None,
        application: str | None = None,
        data: str | None = None,
        timeout_s: float | None = None,
        caller_id: str | None = None,
        variables: Mapping[str, str] | None = None,
        account: str | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
    ) -> OriginateResult:
        """Asynchronous Originate; returns when its `OriginateResponse` arrives (answered, busy, ...).

        `timeout_s` is how long the channel may ring (Asterisk's default is 30 s). Refusals that come at
        once (`Extension does not exist.`, `Originate Access Forbidden...`) raise AMIActionError.
        """
        fields = originate_fields(
            channel,
            context=context,
            exten=exten,
            priority=priority,
            application=application,
            data=data,
            timeout_s=timeout_s,
            caller_id=caller_id,
            variables=variables,
            account=account,
            channel_id=channel_id,
            other_channel_id=other_channel_id,
        )
        ring_s = ASTERISK_DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s
        exchange = await self._request(
            "Originate", fields, timeout_s=ring_s + self._action_timeout_s, complete_event="OriginateResponse"
        )
        assert exchange.completion is not None
        return result_from(exchange.completion)

    # -- events ----------------------------------------------------------------------------------------

    def events(self, names: Iterable[str] | None = None, *, maxsize: int | None = None) -> EventStream:
        """A bounded stream of events (optionally only those `names`) and of the client's notices."""
        return self._hub.stream(names, maxsize or self._event_queue_size)

    def subscribe(
        self, handler: EventHandler, names: Iterable[str] | None = None, *, maxsize: int | None = None
    ) -> Subscription:
        """Call `handler` (plain or async) for each event and notice, in order, from a task of its own."""
        return self._hub.subscribe(handler, names, maxsize or self._event_queue_size)

    # -- internals -------------------------------------------------------------------------------------

    @property
    def _reconnecting(self) -> bool:
        supervising = self._supervisor is not None and not self._supervisor.done()
        return supervising and self._reconnect and not self.connected

    async def _request(
        self,
        name: str,
        fields: Mapping[str, FieldValue],
        *,
        timeout_s: float | None = None,
        complete_event: str | None = None,
        collect: bool = False,
        allow_reserved: bool = False,
    ) -> Exchange:
        if not allow_reserved and name.lower() in _RESERVED_ACTIONS:
            raise ValueError(f"use {_RESERVED_ACTIONS[name.lower()]} instead of the {name} action")
        connection = self._usable_connection(name)
        return await connection.request(
            name,
            fields,
            timeout_s=self._action_timeout_s if timeout_s is None else timeout_s,
            complete_event=complete_event,
            collect=collect,
        )

    def _usable_connection(self, action: str) -> AMIConnection:
        if self._closed:
            raise AMIConnectionError(f"cannot send {action}: the AMI client is closed")
        if self._failure is not None:
            raise AMIAuthenticationError(str(self._failure))
        if self._connection is not None and self._connection.is_open:
            return self._connection
        if self._reconnecting:
            raise AMIConnectionLost(
                f"cannot send {action}: reconnecting to Asterisk at {self._host}:{self._port}"
            )
        if self._supervisor is not None:
            raise AMIConnectionLost(
                f"cannot send {action}: the connection to Asterisk was lost (reconnect is off)"
            )
        raise AMIConnectionError(f"cannot send {action}: not connected to Asterisk (call connect() first)")

    async def _open_session(self) -> AMIConnection:
        connection = await AMIConnection.open(
            self._host,
            self._port,
            connect_timeout_s=self._connect_timeout_s,
            max_message_bytes=self._max_message_bytes,
            on_event=self._hub.publish,
            username=self._username,
        )
        login_timeout_s = max(self._action_timeout_s, _LOGIN_TIMEOUT_MIN_S)
        await connection.login(self._secret, self._event_mask, login_timeout_s)
        log.info(
            "AMI logged in to %s:%d as %s (events: %s)",
            self._host,
            self._port,
            self._username,
            self._event_mask,
        )
        return connection

    async def _supervise(self, connection: AMIConnection) -> None:
        """Watch the session; when it drops, notify subscribers and reconnect (unless told not to)."""
        loop = asyncio.get_running_loop()
        while True:
            reason = await self._keep_alive(connection)
            self._connection = None
            lost_at = loop.time()
            if not self._reconnect:
                log.warning(
                    "AMI connection to %s:%d lost (%s); not reconnecting", self._host, self._port, reason
                )
                self._give_up(str(reason))
                return
            log.warning("AMI connection to %s:%d lost (%s); reconnecting", self._host, self._port, reason)
            self._hub.publish(ConnectionLost(str(reason), reconnecting=True))
            try:
                connection, attempts = await self._reconnect_with_backoff()
            except AMIAuthenticationError as exc:
                log.error("AMI reconnect to %s:%d refused, giving up: %s", self._host, self._port, exc)
                self._failure = exc
                self._give_up(str(exc))
                return
            self._connection = connection
            log.info("AMI reconnected to %s:%d after %d attempt(s)", self._host, self._port, attempts)
            self._hub.publish(Reconnected(attempts, loop.time() - lost_at))
            connection.release_events()

    def _give_up(self, reason: str) -> None:
        self._hub.publish(ConnectionLost(reason, reconnecting=False))
        self._hub.end()

    async def _keep_alive(self, connection: AMIConnection) -> AMIError:
        """Ping every `ping_interval_s` until the session ends; return why it ended."""
        interval = self._ping_interval_s
        while True:
            if interval is None:
                return await asyncio.shield(connection.closed)
            done, _ = await asyncio.wait({connection.closed}, timeout=interval)
            if done:
                return connection.closed.result()
            try:
                await connection.request("Ping", {}, timeout_s=min(self._action_timeout_s, interval))
            except AMITimeout as exc:
                log.warning("Asterisk did not answer the keepalive Ping; dropping the connection")
                connection.abort(AMIConnectionLost(f"keepalive failed: {exc}"))
            except AMIActionError as exc:
                log.warning("keepalive Ping refused: %s", exc)
            except AMIConnectionError:
                pass  # the session ended; the next turn returns its reason

    async def _reconnect_with_backoff(self) -> tuple[AMIConnection, int]:
        delays = backoff_delays(self._backoff_initial_s, self._backoff_max_s)
        attempt = 0
        while True:
            attempt += 1
            await asyncio.sleep(next(delays) * random.uniform(1 - _BACKOFF_JITTER, 1 + _BACKOFF_JITTER))
            try:
                return await self._open_session(), attempt
            except AMIAuthenticationError:
                raise
            except AMIError as exc:
                log.warning("AMI reconnect attempt %d failed: %s", attempt, exc)

    async def _log_off(self, connection: AMIConnection) -> None:
        try:
            await connection.request("Logoff", {}, timeout_s=min(self._action_timeout_s, _LOGOFF_TIMEOUT_S))
        except AMIError as exc:
            log.debug("AMI Logoff not answered: %s", exc)
            return
        await connection.wait_for_peer_close(_LOGOFF_TIMEOUT_S)


def backoff_delays(initial_s: float, max_s: float) -> Iterator[float]:
    """The waits before successive reconnect attempts: doubling from `initial_s`, capped at `max_s`."""
    delay = initial_s
    while True:
        yield delay
        delay = min(delay * 2, max_s)


def _check_settings(
    port: int,
    connect_timeout_s: float,
    action_timeout_s: float,
    backoff: tuple[float, float],
    ping_interval_s: float | None,
    max_message_bytes: int,
) -> None:
    if not 0 < port < 65536:
        raise ValueError(f"AMI port must be 1-65535, not {port}")
    if connect_timeout_s <= 0 or action_timeout_s <= 0:
        raise ValueError("AMI connect and action timeouts must be positive")
    initial, maximum = backoff
    if initial <= 0 or maximum < initial:
        raise ValueError(f"AMI backoff must be (initial > 0, max >= initial), not {backoff}")
    if ping_interval_s is not None and ping_interval_s <= 0:
        raise ValueError("AMI ping interval must be positive (or None to turn the keepalive off)")
    if max_message_bytes < 1024:
        raise ValueError(f"AMI max message size must be at least 1024 bytes, not {max_message_bytes}")


def _check_list_size(name: str, result: AMIListResponse) -> None:
    try:
        announced = result.complete.get_int("ListItems")
    except ValueError:
        announced = None
    if announced is not None and announced != len(result.events):
        log.warning("%s announced %d items but %d arrived", name, announced, len(result.events))
