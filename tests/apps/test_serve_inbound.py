"""`ivr serve` with AMI settings serves /inbound from the live queue: the simulated Asterisk's AMI and FastAGI
sides together, real Redis for the callback queue and the learned handling times."""

from __future__ import annotations

from pathlib import Path

from queueing.test_callbacks_support import redis_for_test, unique_prefix
from queueing.test_live_support import running

from ivr.apps.queues import open_queue_rooms
from ivr.apps.runtime import BotRuntime
from ivr.settings import Settings
from ivr.sim.ami import Agent, Fixed, QueueConfig, SimulatedPBX
from ivr.sim.asterisk import SimulatedAsterisk
from ivr.sim.caller import Caller, Press
from ivr.sim.sounds import SoundLibrary

from .test_callbacks_e2e import service_settings


async def test_inbound_reads_the_live_queue_and_books_into_the_dialers_queue(
    tmp_path: Path, prompts_dir: Path
) -> None:
    prefix = unique_prefix()
    pbx = SimulatedPBX(epoch=1_795_350_000.0, seed=3)
    pbx.add_queue(
        QueueConfig("kc", members=(Agent("Local/anna@agents/n", "Anna", paused=True),), talk=Fixed(60.0))
    )
    async with redis_for_test(prefix), running(pbx) as ami_port:
        settings: Settings = service_settings(tmp_path, prefix, ami_port, prompts_dir=prompts_dir)
        queues = await open_queue_rooms(settings)
        assert queues is not None
        runtime = BotRuntime(settings, queues=queues.rooms)
        await runtime.start("127.0.0.1", 0)
        try:
            sim = SimulatedAsterisk("127.0.0.1", runtime.port, sounds=SoundLibrary([prompts_dir]))
            # The only agent is paused: no wait can be promised, so the callback is offered.
            trace = await sim.place_call(
                "inbound?tenant=norrtalje&queue=kc", Caller([Press("1"), Press("1")])
            )
            requests = await queues.rooms.callbacks.in_queue_order("kc")
        finally:
            await runtime.stop()
            await queues.close()
    assert trace.variables["INBOUND_POSITION"] == "1"
    assert "INBOUND_ESTIMATE_S" not in trace.variables
    assert trace.variables["INBOUND_RESULT"] == "callback"
    assert [request.number.e164 for request in requests] == ["+46701234567"]


async def test_without_ami_settings_the_bot_serves_the_survey_only(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, ami_secret="")
    assert await open_queue_rooms(settings) is None
