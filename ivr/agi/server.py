"""The asyncio FastAGI server: one task per call, routed by the script name of `agi://host:port/<script>?...`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from ivr.agi.channel import Channel
from ivr.agi.errors import AGIError, AGIHangup, AGIProtocolError, AGITimeout
from ivr.agi.request import DEFAULT_MAX_ENV_LINES, DEFAULT_MAX_LINE_BYTES, AGIRequest, read_request
from ivr.agi.session import DEFAULT_IDLE_TIMEOUT_S, DEFAULT_REPLY_TIMEOUT_S, TurnObserver
from ivr.agi.streams import close_writer

log = logging.getLogger("ivr.agi.server")

AGIApp = Callable[[Channel], Awaitable[None]]
Network = IPv4Network | IPv6Network
CallObserver = Callable[[AGIRequest, str], None]
"""Told of each call that ends, with its outcome: finished, hangup, dropped, failed, crashed or cancelled."""

current_request: ContextVar[AGIRequest | None] = ContextVar("current_agi_request", default=None)
"""The request of the call this task serves (each call runs in its own task), e.g. for log lines."""


class FastAGIServer:
    """Serves FastAGI calls to `routes[script]`. A bad peer or a failing app ends only its own call."""

    def __init__(
        self,
        routes: Mapping[str, AGIApp],
        *,
        allow: Sequence[Network],
        env_timeout_s: float = 5.0,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        reply_timeout_s: float = DEFAULT_REPLY_TIMEOUT_S,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_env_lines: int = DEFAULT_MAX_ENV_LINES,
        on_turn: TurnObserver | None = None,
        on_call_end: CallObserver | None = None,
    ) -> None:
        self._routes = dict(routes)
        self._allow = tuple(allow)
        self._env_timeout_s = env_timeout_s
        self._idle_timeout_s = idle_timeout_s
        self._reply_timeout_s = reply_timeout_s
        self._max_line_bytes = max_line_bytes
        self._max_env_lines = max_env_lines
        self._on_turn = on_turn
        self._on_call_end = on_call_end
        self._server: asyncio.Server | None = None
        self._calls: set[asyncio.Task[None]] = set()
        self._closing = False
        self._closed = asyncio.Event()

    @property
    def port(self) -> int:
        """The bound TCP port (useful after `start(host, 0)`)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the FastAGI server is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def active_calls(self) -> int:
        return len(self._calls)

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._accept, host, port, limit=self._max_line_bytes)
        log.info(
            "FastAGI server listening on %s:%d (routes: %s)", host, self.port, ", ".join(sorted(self._routes))
        )

    async def serve_forever(self) -> None:
        """Wait until `close()` has finished."""
        await self._closed.wait()

    async def close(self, grace_s: float = 10.0) -> None:
        """Stop accepting, let calls finish for up to `grace_s`, then cancel the rest."""
        self._closing = True
        if self._server is not None:
            self._server.close()
        calls = set(self._calls)
        if calls:
            _, unfinished = await asyncio.wait(calls, timeout=grace_s)
            for task in unfinished:
                task.cancel()
            if unfinished:
                log.warning("cancelled %d call(s) still running after %g s", len(unfinished), grace_s)
                await asyncio.gather(*unfinished, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        self._closed.set()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # The call runs in a task of our own, so that close() can cancel it (asyncio's own connection task
        # reports a cancellation as an error in Python 3.11).
        task = asyncio.get_running_loop().create_task(self._serve_connection(reader, writer))
        self._calls.add(task)
        task.add_done_callback(self._calls.discard)

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = _peer_address(writer)
        if self._closing or not self._allowed(peer):
            if not self._closing:
                log.warning("refused FastAGI connection from %s (not in the allow-list)", peer)
            await close_writer(writer)
            return
        request = await self._read_request(reader, peer)
        if request is None:
            await close_writer(writer)
            return
        app = self._routes.get(request.script)
        if app is None:
            log.warning(
                "call %s: no app for script %r (from %s); closing", request.uniqueid, request.script, peer
            )
            await close_writer(writer)
            return
        await self._run_app(app, request, reader, writer)

    async def _read_request(self, reader: asyncio.StreamReader, peer: str) -> AGIRequest | None:
        try:
            return await read_request(
                reader,
                timeout_s=self._env_timeout_s,
                max_line_bytes=self._max_line_bytes,
                max_lines=self._max_env_lines,
            )
        except (AGIProtocolError, AGITimeout) as exc:
            log.warning("dropped FastAGI connection from %s: %s", peer, exc)
        except OSError as exc:
            log.info("FastAGI connection from %s lost before the environment ended: %s", peer, exc)
        return None

    async def _run_app(
        self, app: AGIApp, request: AGIRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        channel = Channel(
            request,
            reader,
            writer,
            reply_timeout_s=self._reply_timeout_s,
            idle_timeout_s=self._idle_timeout_s,
            max_line_bytes=self._max_line_bytes,
            on_turn=self._on_turn,
        )
        call = request.uniqueid
        current_request.set(request)
        outcome = "cancelled"  # unless it ends otherwise: the server closed before the call did
        log.info(
            "call %s: %s started (%s)",
            call,
            request.script,
            request.channel,  # no caller number in logs
        )
        try:
            await app(channel)
            outcome = "finished"
            log.info("call %s: %s finished", call, request.script)
        except AGIHangup as exc:
            outcome = "hangup"
            log.info("call %s: %s ended by hang-up (%s)", call, request.script, exc)
        except (AGIProtocolError, AGITimeout) as exc:
            outcome = "dropped"
            log.warning("call %s: %s dropped: %s", call, request.script, exc)
        except AGIError as exc:
            outcome = "failed"
            log.error("call %s: %s failed: %s", call, request.script, exc)
        except Exception:
            outcome = "crashed"
            log.exception("call %s: %s crashed", call, request.script)
        finally:
            await channel.close()
            if self._on_call_end is not None:
                self._on_call_end(request, outcome)

    def _allowed(self, peer: str) -> bool:
        try:
            address = ip_address(peer.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(_contains(network, address) for network in self._allow)


def _contains(network: Network, address: IPv4Address | IPv6Address) -> bool:
    return address.version == network.version and address in network


def _peer_address(writer: asyncio.StreamWriter) -> str:
    peername = writer.get_extra_info("peername")
    if isinstance(peername, tuple) and peername:
        return str(peername[0])
    return str(peername)
