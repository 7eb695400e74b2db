"""The client when things go wrong: garbage, oversized data, silence, drops, refusals, slow consumers."""

from __future__ import annotations

import asyncio
import gc
import itertools
import warnings

import pytest

from ivr.ami import (
    AMIAuthenticationError,
    AMIClient,
    AMIConnectionError,
    AMIConnectionLost,
    AMIEvent,
    AMIProtocolError,
    AMITimeout,
    ConnectionLost,
    EventsDropped,
    EventStream,
    OriginateReason,
    Reconnected,
    StreamItem,
)
from ivr.ami.client import backoff_delays
from ivr.ami.protocol import DEFAULT_MAX_MESSAGE_BYTES

from .fake_asterisk import FakeAsterisk, Peer


def client_of(
    server: FakeAsterisk,
    *,
    action_timeout_s: float = 2.0,
    reconnect: bool = True,
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    event_queue_size: int = 1000,
) -> AMIClient:
    return AMIClient(
        "127.0.0.1",
        server.port,
        "ivr",
        "s3cret",
        action_timeout_s=action_timeout_s,
        reconnect=reconnect,
        backoff=(0.01, 0.05),
        ping_interval_s=None,
        max_message_bytes=max_message_bytes,
        event_queue_size=event_queue_size,
    )


async def next_item(stream: EventStream) -> StreamItem:
    return await asyncio.wait_for(stream.get(), 5.0)


async def until_notice(stream: EventStream, kind: type) -> list[StreamItem]:
    """Items up to and including the first notice of `kind`."""
    items = [await next_item(stream)]
    while not isinstance(items[-1], kind):
        items.append(await next_item(stream))
    return items


async def hang_up(peer: Peer) -> None:
    await peer.accept_login()
    await peer.writer.drain()


# -- garbage, oversized data, silence -------------------------------------------------------------------


async def test_garbage_ends_the_connection_and_the_client_reconnects() -> None:
    async def garbage(peer: Peer) -> None:
        await peer.accept_login()
        peer.writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await peer.read_action()  # the client hangs up

    async with FakeAsterisk(garbage, Peer.login_and_serve) as server:
        client = client_of(server)
        stream = client.events()
        await client.connect()
        items = await until_notice(stream, Reconnected)
        assert (await client.ping())["Ping"] == "Pong"
        await client.close()
    lost = items[0]
    assert isinstance(lost, ConnectionLost)
    assert "not an AMI header line: 'HTTP/1.1 400 Bad Request'" in lost.reason
    assert lost.reconnecting
    assert server.connections == 2


async def test_oversized_message_ends_the_connection_and_the_client_reconnects() -> None:
    async def flood(peer: Peer) -> None:
        await peer.accept_login()
        peer.event("UserEvent", ("Body", "x" * 5000))
        await peer.read_action()

    async with FakeAsterisk(flood, Peer.login_and_serve) as server:
        client = client_of(server, max_message_bytes=4096)
        stream = client.events()
        await client.connect()
        items = await until_notice(stream, Reconnected)
        await client.close()
    assert isinstance(items[0], ConnectionLost)
    assert "message larger than 4096 bytes" in items[0].reason
    assert not any(isinstance(item, AMIEvent) for item in items)


async def test_action_timeout_then_the_late_answer_is_ignored() -> None:
    async def slow(peer: Peer) -> None:
        await peer.accept_login()
        first = await peer.expect("Ping")
        second = await peer.expect("Ping")  # sent after the first timed out
        peer.reply(first, "Success", ("Ping", "late"))
        peer.reply(second, "Success", ("Ping", "Pong"))
        await peer.serve()

    async with FakeAsterisk(slow) as server:
        client = client_of(server, action_timeout_s=0.1)
        await client.connect()
        with pytest.raises(AMITimeout, match=r"did not answer Ping within 0\.1 s"):
            await client.ping()
        assert (await client.ping())["Ping"] == "Pong"
        assert client.connected
        await client.close()


async def test_keepalive_ping_detects_a_silent_peer() -> None:
    async def silent(peer: Peer) -> None:
        await peer.accept_login()
        await peer.expect("Ping")  # and never answer
        await peer.reader.read()

    async with FakeAsterisk(silent, Peer.login_and_serve) as server:
        client = AMIClient(
            "127.0.0.1",
            server.port,
            "ivr",
            "s3cret",
            ping_interval_s=0.05,
            action_timeout_s=1,
            backoff=(0.01, 0.05),
        )
        stream = client.events()
        await client.connect()
        items = await until_notice(stream, Reconnected)
        await asyncio.sleep(0.2)
        await client.close()
    assert isinstance(items[0], ConnectionLost)
    assert items[0].reason.startswith("keepalive failed: Asterisk did not answer Ping within 0.05 s")
    assert any(action["Action"] == "Ping" for action in server.peers[1].actions)  # pinging goes on


# -- drops and reconnects ---------------------------------------------------------------------------------


async def test_waiting_actions_fail_with_connection_lost_when_the_connection_drops() -> None:
    async def drop_mid_action(peer: Peer) -> None:
        await peer.accept_login()
        await peer.expect("QueueStatus")

    async with FakeAsterisk(drop_mid_action, Peer.login_and_serve) as server:
        client = client_of(server)
        stream = client.events()
        await client.connect()
        with pytest.raises(AMIConnectionLost, match="while waiting for QueueStatus"):
            await client.action_list("QueueStatus", "QueueStatusComplete")
        with pytest.raises(AMIConnectionLost, match="reconnecting"):
            await client.ping()  # no session right now: fails at once rather than waiting
        await until_notice(stream, Reconnected)
        assert (await client.ping())["Ping"] == "Pong"
        await client.close()


async def test_failed_reconnect_attempts_back_off_until_one_succeeds() -> None:
    async def no_greeting(peer: Peer) -> None:
        peer.writer.transport.abort()

    async with FakeAsterisk(hang_up, no_greeting, no_greeting, Peer.login_and_serve) as server:
        client = client_of(server)
        stream = client.events()
        await client.connect()
        items = await until_notice(stream, Reconnected)
        await client.close()
    reconnected = items[-1]
    assert isinstance(reconnected, Reconnected)
    assert reconnected.attempts == 3
    assert reconnected.downtime_s >= 0.01 + 0.02 + 0.04 - 0.01  # three waits, each ±10 %
    assert [type(item) for item in items] == [ConnectionLost, Reconnected]


def test_backoff_doubles_and_is_capped() -> None:
    assert list(itertools.islice(backoff_delays(0.5, 30.0), 9)) == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]


async def test_refused_credentials_on_reconnect_stop_the_client() -> None:
    async def refuse(peer: Peer) -> None:
        await peer.refuse_login()

    async with FakeAsterisk(hang_up, refuse) as server:
        client = client_of(server)
        stream = client.events()
        await client.connect()
        items = [item async for item in stream]  # the stream ends when the client gives up
        await asyncio.sleep(0.1)
        assert server.connections == 2
        with pytest.raises(AMIAuthenticationError, match=r"user 'ivr'.*manager\.conf"):
            await client.ping()
        await client.close()
    assert [type(item) for item in items] == [ConnectionLost, ConnectionLost]
    assert isinstance(items[1], ConnectionLost)
    assert not items[1].reconnecting


async def test_without_reconnect_a_drop_ends_the_streams() -> None:
    async with FakeAsterisk(hang_up) as server:
        client = client_of(server, reconnect=False)
        stream = client.events()
        await client.connect()
        items = [item async for item in stream]
        with pytest.raises(AMIConnectionLost, match="reconnect is off"):
            await client.ping()
        await client.close()
    assert items == [ConnectionLost("Asterisk closed the connection", reconnecting=False)]


async def test_connect_failures_are_clear() -> None:
    closed_port = FakeAsterisk()
    async with closed_port:
        port = closed_port.port
    client = AMIClient("127.0.0.1", port, "ivr", "s3cret")
    with pytest.raises(AMIConnectionError, match=f"cannot connect to Asterisk at 127.0.0.1:{port}"):
        await client.connect()
    with pytest.raises(AMIConnectionError, match="call connect"):
        await client.ping()
    await client.close()
    with pytest.raises(AMIConnectionError, match="closed"):
        await client.connect()


async def test_a_server_that_is_not_asterisk_is_refused() -> None:
    server = await asyncio.start_server(_http_greeting, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(AMIProtocolError, match="not an Asterisk manager interface"):
            await AMIClient("127.0.0.1", port, "ivr", "s3cret").connect()
    finally:
        server.close()
        await server.wait_closed()


async def _http_greeting(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"SSH-2.0-OpenSSH_9.6\r\n")
    await writer.drain()
    writer.close()


# -- close ------------------------------------------------------------------------------------------------


async def test_close_logs_off_ends_streams_and_leaves_no_tasks_or_warnings() -> None:
    handled: list[StreamItem] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        async with FakeAsterisk(Peer.login_and_serve) as server:
            client = AMIClient("127.0.0.1", server.port, "ivr", "s3cret", ping_interval_s=0.01)
            stream = client.events()
            client.subscribe(handled.append)
            await client.connect()
            await asyncio.sleep(0.05)  # a few keepalive pings
            await client.close()
            await client.close()  # twice is harmless
            assert [item async for item in stream] == []
            assert server.peers[0].actions[-1]["Action"] == "Logoff"
        assert asyncio.all_tasks() == {asyncio.current_task()}
        gc.collect()
    assert handled == []


async def test_close_when_asterisk_never_answers_logoff() -> None:
    async def mute(peer: Peer) -> None:
        await peer.accept_login()
        await peer.expect("Logoff")
        await peer.reader.read()

    async with FakeAsterisk(mute) as server:
        client = client_of(server, action_timeout_s=0.1)
        await client.connect()
        await asyncio.wait_for(client.close(), 5.0)
    assert asyncio.all_tasks() == {asyncio.current_task()}


# -- actions, events, consumers ----------------------------------------------------------------------------


async def test_concurrent_actions_are_matched_by_action_id_whatever_the_order() -> None:
    async def reversed_answers(peer: Peer) -> None:
        await peer.accept_login()
        actions = [await peer.expect("Getvar") for _ in range(3)]
        for action in reversed(actions):
            peer.reply(
                action, "Success", ("Variable", action["Variable"]), ("Value", action["Variable"].lower())
            )
        await peer.serve()

    async with FakeAsterisk(reversed_answers) as server:
        client = client_of(server)
        await client.connect()
        answers = await asyncio.gather(*(client.action("Getvar", Variable=name) for name in ("A", "B", "C")))
        await client.close()
    assert [answer["Value"] for answer in answers] == ["a", "b", "c"]
    assert len({action["ActionID"] for action in server.peers[0].actions}) == len(server.peers[0].actions)


async def test_another_clients_originate_response_is_an_ordinary_event() -> None:
    async def originate(peer: Peer) -> None:
        await peer.accept_login()
        action = await peer.expect("Originate")
        assert action["Variable"] == "CALLBACK_ID=42"
        assert (action["Async"], action["Timeout"], action["ChannelId"]) == ("true", "20000", "cb-42")
        peer.reply(action, "Success", ("Message", "Originate successfully queued"))
        outcome = (("Response", "Failure"), ("Channel", "Local/0701234567@out"), ("Reason", "5"))
        peer.event("OriginateResponse", ("ActionID", "other-dialer-7"), *outcome, ("Uniqueid", "<unknown>"))
        peer.event("OriginateResponse", ("ActionID", action["ActionID"]), *outcome, ("Uniqueid", "<unknown>"))
        await peer.serve()

    async with FakeAsterisk(originate) as server:
        client = client_of(server)
        stream = client.events(["OriginateResponse"])
        await client.connect()
        result = await client.originate(
            "Local/0701234567@out",
            context="callback",
            exten="s",
            priority=1,
            timeout_s=20,
            variables={"CALLBACK_ID": "42"},
            channel_id="cb-42",
        )
        await client.close()
        foreign = [item async for item in stream]
    assert (result.success, result.reason, result.uniqueid) == (False, OriginateReason.BUSY, None)
    assert [item.action_id for item in foreign if isinstance(item, AMIEvent)] == ["other-dialer-7"]


async def test_a_full_event_queue_reports_how_many_events_were_dropped() -> None:
    async def burst(peer: Peer) -> None:
        await peer.accept_login()
        for number in range(10):
            peer.event("UserEvent", ("Number", str(number)))
        for _ in range(2):
            ping = await peer.expect("Ping")
            peer.reply(ping, "Success", ("Ping", "Pong"))
        peer.event("UserEvent", ("Number", "late"))  # after the consumer made room
        await peer.serve()

    async with FakeAsterisk(burst) as server:
        client = client_of(server, event_queue_size=3)
        stream = client.events()
        everything = client.events(maxsize=100)
        await client.connect()
        await client.ping()
        first = [await next_item(stream) for _ in range(4)]
        await client.ping()
        first.append(await next_item(stream))
        await client.close()
        rest = [item async for item in stream]
        complete = [item async for item in everything]
    assert rest == []
    numbers = [item["Number"] for item in first if isinstance(item, AMIEvent)]
    assert numbers == ["0", "1", "2", "late"]
    assert first[3] == EventsDropped(7)
    assert len(complete) == 11


async def test_subscribers_get_events_in_order_and_a_failing_handler_does_not_stop_them() -> None:
    async def two_events(peer: Peer) -> None:
        await peer.accept_login()
        peer.event("Hangup", ("Channel", "PJSIP/a-1"))
        peer.event("Newchannel", ("Channel", "PJSIP/b-2"))
        peer.event("Hangup", ("Channel", "PJSIP/c-3"))
        await peer.serve()

    seen: list[str] = []
    awaited: list[str] = []

    def fragile(item: StreamItem) -> None:
        assert isinstance(item, AMIEvent)
        seen.append(item["Channel"])
        raise RuntimeError("handler bug")

    async def slow(item: StreamItem) -> None:
        await asyncio.sleep(0)
        assert isinstance(item, AMIEvent)
        awaited.append(item["Channel"])

    async with FakeAsterisk(two_events) as server:
        client = client_of(server)
        client.subscribe(fragile)
        client.subscribe(slow, ["hangup"])
        await client.connect()
        await client.ping()
        await client.close()
    assert seen == ["PJSIP/a-1", "PJSIP/b-2", "PJSIP/c-3"]
    assert awaited == ["PJSIP/a-1", "PJSIP/c-3"]


async def test_reserved_actions_and_bad_settings_are_refused() -> None:
    client = AMIClient("127.0.0.1", 5038, "ivr", "s3cret")
    with pytest.raises(ValueError, match="close"):
        await client.action("Logoff")
    with pytest.raises(ValueError, match="set_events"):
        await client.action("Events", EventMask="off")
    with pytest.raises(ValueError, match="invalid AMI event mask 'calls'"):
        AMIClient("127.0.0.1", 5038, "ivr", "s3cret", events="calls")
    with pytest.raises(ValueError, match="backoff"):
        AMIClient("127.0.0.1", 5038, "ivr", "s3cret", backoff=(5, 1))
    with pytest.raises(ValueError, match="port"):
        AMIClient("127.0.0.1", 0, "ivr", "s3cret")
    await client.close()


async def test_close_while_reconnecting_mid_login_leaves_nothing_behind() -> None:
    login_seen = asyncio.Event()

    async def stall_login(peer: Peer) -> None:
        await peer.expect("Login")
        login_seen.set()
        await peer.reader.read()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        async with FakeAsterisk(hang_up, stall_login) as server:
            client = client_of(server)
            stream = client.events()
            await client.connect()
            assert isinstance(await next_item(stream), ConnectionLost)
            await asyncio.wait_for(login_seen.wait(), 5.0)
            await client.close()
            assert [item async for item in stream] == []
        assert asyncio.all_tasks() == {asyncio.current_task()}
        gc.collect()


async def test_a_peer_that_never_greets_times_out() -> None:
    hung_up = asyncio.Event()

    async def say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()
        await writer.wait_closed()
        hung_up.set()

    server = await asyncio.start_server(say_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        client = AMIClient("127.0.0.1", port, "ivr", "s3cret", connect_timeout_s=0.1)
        with pytest.raises(AMIProtocolError, match=r"sent no AMI greeting within 0\.1 s"):
            await client.connect()
        await client.close()
        await asyncio.wait_for(hung_up.wait(), 5.0)  # the client's socket is gone: its peer saw the end
    finally:
        server.close()
        await server.wait_closed()


async def test_a_late_login_refusal_is_a_refusal_even_with_a_short_action_timeout() -> None:
    async def slow_refusal(peer: Peer) -> None:
        login = await peer.expect("Login")
        await asyncio.sleep(0.3)  # Asterisk takes about a second
        peer.reply(login, "Error", ("Message", "Authentication failed"))

    async with FakeAsterisk(slow_refusal) as server:
        client = client_of(server, action_timeout_s=0.1)
        with pytest.raises(AMIAuthenticationError, match="Authentication failed"):
            await client.connect()
        await client.close()
