"""A scriptable AMI server for the client's failure paths (garbage, silence, drops, refusals).

Each TCP connection runs the next script, an async function of a `Peer`; the banner is already sent.
The wire format follows the recordings: CRLF lines, a blank line after each message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

BANNER = b"Asterisk Call Manager/9.0.0\r\n"
STEP_TIMEOUT_S = 5.0

Script = Callable[["Peer"], Awaitable[None]]


class Peer:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.actions: list[dict[str, str]] = []

    async def read_action(self) -> dict[str, str] | None:
        """The next action as a dict (first value of each key), or None once the client closed."""
        try:
            data = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), STEP_TIMEOUT_S)
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        action: dict[str, str] = {}
        for line in data.decode()[:-4].split("\r\n"):
            key, _, value = line.partition(": ")
            action.setdefault(key, value)
        self.actions.append(action)
        return action

    async def expect(self, name: str) -> dict[str, str]:
        action = await self.read_action()
        assert action is not None, f"client closed; expected {name}"
        assert action["Action"] == name, action
        return action

    def send(self, *headers: tuple[str, str]) -> None:
        self.writer.write("".join(f"{key}: {value}\r\n" for key, value in headers).encode() + b"\r\n")

    def reply(self, action: dict[str, str], response: str = "Success", *headers: tuple[str, str]) -> None:
        self.send(("Response", response), ("ActionID", action["ActionID"]), *headers)

    def event(self, name: str, *headers: tuple[str, str]) -> None:
        self.send(("Event", name), ("Privilege", "call,all"), *headers)

    async def accept_login(self) -> dict[str, str]:
        login = await self.expect("Login")
        self.reply(login, "Success", ("Message", "Authentication accepted"))
        return login

    async def refuse_login(self) -> None:
        login = await self.expect("Login")
        self.reply(login, "Error", ("Message", "Authentication failed"))
        await self.writer.drain()

    async def serve(self) -> None:
        """Answer Ping and Logoff (Goodbye, then close) until the client goes away."""
        while (action := await self.read_action()) is not None:
            if action["Action"] == "Ping":
                self.reply(action, "Success", ("Ping", "Pong"), ("Timestamp", "1795350137.537614"))
            elif action["Action"] == "Logoff":
                self.reply(action, "Goodbye", ("Message", "Thanks for all the fish."))
                await self.writer.drain()
                return
            else:
                self.reply(action, "Error", ("Message", f"Invalid/unknown command: {action['Action']}."))

    async def login_and_serve(self) -> None:
        await self.accept_login()
        await self.serve()


class FakeAsterisk:
    def __init__(self, *scripts: Script) -> None:
        self._scripts = list(scripts)
        self.connections = 0
        self.peers: list[Peer] = []
        self.errors: list[str] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> FakeAsterisk:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        for task in self._handlers:
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        assert self.errors == [], self.errors

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        index = self.connections
        self.connections += 1
        peer = Peer(reader, writer)
        self.peers.append(peer)
        try:
            if index >= len(self._scripts):
                self.errors.append(f"unexpected connection #{index + 1}")
                return
            writer.write(BANNER)
            await self._scripts[index](peer)
            await writer.drain()
        except (AssertionError, TimeoutError) as exc:
            self.errors.append(f"connection #{index + 1}: {exc!r}")
        except ConnectionError:
            pass
        finally:
            writer.close()
            self._handlers.discard(task)
