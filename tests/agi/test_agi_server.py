"""Server hardening: whatever one peer or one app does, that call ends and the server keeps serving."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from ipaddress import IPv4Network, IPv6Network, ip_network

import pytest

from ivr.agi import AGIApp, AGIHangup, Channel, FastAGIServer

LOOPBACK = [ip_network("127.0.0.0/8")]
STEP_TIMEOUT_S = 2.0


def env_block(script: str = "survey", uniqueid: str = "1795349942.2") -> bytes:
    return (
        f"agi_network: yes\nagi_network_script: {script}\nagi_uniqueid: {uniqueid}\n"
        "agi_channel: SIP/trunk-00000001\nagi_callerid: 0701234567\n\n"
    ).encode()


@asynccontextmanager
async def running_server(
    routes: Mapping[str, AGIApp],
    *,
    allow: Sequence[IPv4Network | IPv6Network] | None = None,
    env_timeout_s: float = 5.0,
    reply_timeout_s: float = 5.0,
    max_line_bytes: int = 4096,
    max_env_lines: int = 200,
) -> AsyncIterator[FastAGIServer]:
    server = FastAGIServer(
        routes,
        allow=LOOPBACK if allow is None else allow,
        env_timeout_s=env_timeout_s,
        reply_timeout_s=reply_timeout_s,
        max_line_bytes=max_line_bytes,
        max_env_lines=max_env_lines,
    )
    await server.start("127.0.0.1", 0)
    try:
        yield server
    finally:
        await server.close(grace_s=1.0)


async def call(port: int, *lines: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for line in lines:
        writer.write(line)
    await writer.drain()
    return reader, writer


async def read_until_closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the bot sends until it closes the socket (fails the test if it never does).

    Closing with our lines unread resets the connection: that is closed too.
    """
    try:
        return await asyncio.wait_for(reader.read(), STEP_TIMEOUT_S)
    except ConnectionResetError:
        return b""


async def answering_app(channel: Channel) -> None:
    await channel.answer()


async def ping_works(port: int) -> None:
    """A well-behaved call still gets served."""
    reader, writer = await call(port, env_block())
    assert await asyncio.wait_for(reader.readline(), STEP_TIMEOUT_S) == b"ANSWER\n"
    writer.write(b"200 result=0\n")
    assert await read_until_closed(reader) == b""
    writer.close()


async def test_start_on_port_zero_exposes_the_bound_port() -> None:
    async with running_server({"survey": answering_app}) as server:
        assert server.port > 0
        await ping_works(server.port)


async def test_peer_outside_the_allow_list_is_refused(caplog: pytest.LogCaptureFixture) -> None:
    called = False

    async def app(channel: Channel) -> None:
        nonlocal called
        called = True

    async with running_server({"survey": app}, allow=[ip_network("10.0.0.0/8")]) as server:
        reader, writer = await call(server.port, env_block())
        assert await read_until_closed(reader) == b""
        writer.close()
    assert not called
    assert "refused FastAGI connection from 127.0.0.1" in caplog.text


async def test_unknown_script_is_closed_without_a_word(caplog: pytest.LogCaptureFixture) -> None:
    async with running_server({"survey": answering_app}) as server:
        reader, writer = await call(server.port, env_block(script="nosuch", uniqueid="42.1"))
        assert await read_until_closed(reader) == b""
        writer.close()
        await ping_works(server.port)
    assert "call 42.1: no app for script 'nosuch'" in caplog.text


@pytest.mark.parametrize(
    ("data", "logged"),
    [
        (b"agi_network: " + b"x" * 300 + b"\n\n", "line longer than 128 bytes"),
        (b"agi_a: 1\n" * 11 + b"\n", "longer than 10 lines"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "not an AGI environment line"),
        (b"agi_network: yes\n", "no complete AGI environment within 0.1 s"),
    ],
)
async def test_bad_or_silent_peers_are_dropped(
    data: bytes, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_server(
        {"survey": answering_app}, env_timeout_s=0.1, max_line_bytes=128, max_env_lines=10
    ) as server:
        reader, writer = await call(server.port, data)
        assert await read_until_closed(reader) == b""
        writer.close()
        await ping_works(server.port)
    assert logged in caplog.text


async def test_peer_silent_after_a_command_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    async with running_server({"survey": answering_app}, reply_timeout_s=0.1) as server:
        reader, writer = await call(server.port, env_block(uniqueid="7.7"))
        assert await read_until_closed(reader) == b"ANSWER\n"
        writer.close()
        await ping_works(server.port)
    assert "call 7.7: survey dropped: no reply to 'ANSWER'" in caplog.text


async def test_garbage_reply_ends_only_that_call(caplog: pytest.LogCaptureFixture) -> None:
    async with running_server({"survey": answering_app}) as server:
        reader, writer = await call(server.port, env_block(uniqueid="8.8"))
        assert await asyncio.wait_for(reader.readline(), STEP_TIMEOUT_S) == b"ANSWER\n"
        writer.write(b"\x00\xff garbage\n")
        assert await read_until_closed(reader) == b""
        writer.close()
        await ping_works(server.port)
    assert "call 8.8: survey dropped: not an AGI reply" in caplog.text


async def test_an_app_that_raises_does_not_take_the_server_down(caplog: pytest.LogCaptureFixture) -> None:
    async def broken_app(channel: Channel) -> None:
        raise RuntimeError("bug in the app")

    async with running_server({"broken": broken_app, "survey": answering_app}) as server:
        reader, writer = await call(server.port, env_block(script="broken", uniqueid="9.9"))
        assert await read_until_closed(reader) == b""
        writer.close()
        await ping_works(server.port)
    crash = next(record for record in caplog.records if record.levelno == logging.ERROR)
    assert crash.getMessage() == "call 9.9: broken crashed"
    assert crash.exc_info is not None


async def test_socket_is_closed_after_a_hangup_and_the_hangup_is_logged_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ivr.agi")

    async def app(channel: Channel) -> None:
        await channel.stream_file("sv/valkommen")

    async with running_server({"survey": app}) as server:
        reader, writer = await call(server.port, env_block(uniqueid="10.1"))
        assert await asyncio.wait_for(reader.readline(), STEP_TIMEOUT_S) == b'STREAM FILE sv/valkommen ""\n'
        writer.write(b"200 result=-1 endpos=16160\nHANGUP\n")  # and then Asterisk waits: it never closes
        assert await read_until_closed(reader) == b""
        writer.close()
    ended = [record for record in caplog.records if "ended by hang-up" in record.getMessage()]
    assert [record.levelno for record in ended] == [logging.INFO]
    assert ended[0].exc_info is None
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


async def test_app_that_catches_the_hangup_and_returns_gets_its_socket_closed() -> None:
    seen: list[bool] = []

    async def app(channel: Channel) -> None:
        try:
            await channel.wait_for_digit(-1)
        except AGIHangup:
            seen.append(channel.hung_up)

    async with running_server({"survey": app}) as server:
        reader, writer = await call(server.port, env_block())
        assert await asyncio.wait_for(reader.readline(), STEP_TIMEOUT_S) == b"WAIT FOR DIGIT -1\n"
        writer.write(b"200 result=-1\nHANGUP\n")
        assert await read_until_closed(reader) == b""
        writer.close()
    assert seen == [True]


async def test_close_waits_for_calls_then_cancels_them() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def long_app(channel: Channel) -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    server = FastAGIServer({"survey": long_app}, allow=LOOPBACK)
    await server.start("127.0.0.1", 0)
    port = server.port
    serving = asyncio.create_task(server.serve_forever())
    reader, writer = await call(port, env_block())
    await asyncio.wait_for(started.wait(), STEP_TIMEOUT_S)
    assert server.active_calls == 1
    await server.close(grace_s=0.05)
    assert cancelled.is_set()
    assert server.active_calls == 0
    assert await read_until_closed(reader) == b""
    writer.close()
    await asyncio.wait_for(serving, STEP_TIMEOUT_S)
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_close_lets_short_calls_finish() -> None:
    release = asyncio.Event()
    finished: list[str] = []

    async def app(channel: Channel) -> None:
        await release.wait()
        finished.append(channel.request.uniqueid)

    server = FastAGIServer({"survey": app}, allow=LOOPBACK)
    await server.start("127.0.0.1", 0)
    _, writer = await call(server.port, env_block(uniqueid="11.1"))
    for _ in range(200):
        if server.active_calls:
            break
        await asyncio.sleep(0.005)
    closing = asyncio.create_task(server.close(grace_s=STEP_TIMEOUT_S))
    await asyncio.sleep(0.01)
    release.set()
    await asyncio.wait_for(closing, STEP_TIMEOUT_S)
    assert finished == ["11.1"]
    writer.close()
