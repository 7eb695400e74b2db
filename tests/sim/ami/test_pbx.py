"""SimulatedPBX: the FastAGI side and the AMI side on one state. An inbound call runs AGI() on a (tiny,
scripted) FastAGI bot, and the variable the bot sets decides whether the call goes on to the queue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping

import pytest

from ivr.sim.ami import Agent, CallerId, Destination, Fixed, JoinQueue, QueueConfig, RunAgi, SimulatedPBX

from .helpers import Recorder, logged_in, running, settle


class RouteBot:
    """A FastAGI server that reads the environment, sets ROUTE and closes the connection."""

    def __init__(self, route: str) -> None:
        self.route = route
        self.environments: list[dict[str, str]] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        environment: dict[str, str] = {}
        while line := (await reader.readline()).decode().rstrip("\n"):
            key, _, value = line.partition(": ")
            environment[key] = value
        self.environments.append(environment)
        writer.write(f"SET VARIABLE ROUTE {self.route}\n".encode())
        await writer.drain()
        await reader.readline()
        writer.close()


@pytest.fixture
async def bot_server() -> AsyncIterator[tuple[RouteBot, int]]:
    bot = RouteBot("queue")
    server = await asyncio.start_server(bot.handle, "127.0.0.1", 0)
    yield bot, server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


def route(variables: Mapping[str, str]) -> Destination | None:
    return JoinQueue("kc") if variables.get("ROUTE") == "queue" else None


def pbx_with_inbound() -> SimulatedPBX:
    pbx = SimulatedPBX(seed=5)
    pbx.add_queue(QueueConfig("kc", members=(Agent("Local/a1@agents/n", "Anna", talk=Fixed(30.0)),)))
    pbx.dialplan.add_context("inbound", RunAgi("inbound?queue=kc", then=route))
    return pbx


async def test_an_inbound_call_runs_the_bot_then_joins_the_queue_the_bot_chose(
    bot_server: tuple[RouteBot, int],
) -> None:
    bot, agi_port = bot_server
    pbx = pbx_with_inbound()
    events = Recorder(pbx)
    pbx.connect_fastagi("127.0.0.1", agi_port)
    async with running(pbx) as port:
        watcher = await logged_in(port, events="call,agent")
        leg = pbx.inbound_call("inbound", callerid=CallerId("0701234567", "Åsa Öberg"))
        await events.wait_for(lambda: events.named("QueueCallerJoin"))
        await pbx.advance(5.0)
        await settle()

        environment = bot.environments[0]
        assert (environment["agi_channel"], environment["agi_uniqueid"]) == (leg.near.name, leg.near.uniqueid)
        assert environment["agi_network_script"] == "inbound?queue=kc"
        assert (environment["agi_callerid"], environment["agi_calleridname"]) == ("0701234567", "Åsa Öberg")
        assert leg.near.variables["ROUTE"] == "queue"
        assert pbx.agi_traces[leg.near.uniqueid].commands == ["SET VARIABLE ROUTE queue"]
        assert [e["Channel"] for e in watcher.events("AgentConnect")] == [leg.near.name]
        await watcher.close()


async def test_when_the_bot_routes_elsewhere_the_call_ends_after_the_agi(
    bot_server: tuple[RouteBot, int],
) -> None:
    bot, agi_port = bot_server
    bot.route = "callback-booked"
    pbx = pbx_with_inbound()
    events = Recorder(pbx)
    pbx.connect_fastagi("127.0.0.1", agi_port)
    leg = pbx.inbound_call("inbound", callerid=CallerId("0701234567", None))
    await events.wait_for(lambda: leg.ended)

    assert events.named("QueueCallerJoin") == []
    assert [e.get("Channel") for e in events.named("Hangup")] == [leg.near.name]


async def test_agi_without_a_fastagi_target_hangs_up() -> None:
    pbx = pbx_with_inbound()
    leg = pbx.inbound_call("inbound")

    assert leg.ended


async def test_getvar_over_ami_reads_what_the_bot_set_on_the_shared_channel(
    bot_server: tuple[RouteBot, int],
) -> None:
    _, agi_port = bot_server
    pbx = pbx_with_inbound()
    events = Recorder(pbx)
    pbx.connect_fastagi("127.0.0.1", agi_port)
    async with running(pbx) as port:
        client = await logged_in(port, events="off")
        leg = pbx.inbound_call("inbound", callerid=CallerId("0701234567", None))
        await events.wait_for(lambda: events.named("QueueCallerJoin"))
        value = dict(
            await client.action(("Action", "Getvar"), ("Channel", leg.near.name), ("Variable", "ROUTE"))
        )

        assert value["Value"] == "queue"
        await client.close()
