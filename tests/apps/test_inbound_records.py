"""Each /inbound call leaves a row in `inbound_calls`: what it was told and offered over FastAGI, then, from
the queue's AMI events, how long it actually waited. The simulated PBX runs AGI(inbound) and then Queue()."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from queueing.test_callbacks_support import redis_for_test, unique_prefix
from queueing.test_live_support import eventually, running
from sqlalchemy import select
from sqlmodel import Session

from ivr.apps.queues import open_queue_rooms
from ivr.apps.runtime import BotRuntime
from ivr.sim.ami import Agent, CallerId, Destination, Fixed, JoinQueue, QueueConfig, RunAgi, SimulatedPBX
from ivr.sim.caller import Caller, Press
from ivr.sim.sounds import SoundLibrary
from ivr.store.database import Database
from ivr.store.tables import InboundCall

from .test_callbacks_e2e import service_settings

OFFER_ABOVE_S = 60


def to_queue(variables: Mapping[str, str]) -> Destination | None:
    return JoinQueue("kc") if variables.get("INBOUND_RESULT") == "queue" else None


def offer_above(inbound_yaml: Path, seconds: int) -> None:
    hours = "{weekly: {mon-sun: '00:00-24:00'}}"
    queues = f"  kc: {{opening_hours: {hours}, callback_offer_above_s: {seconds}}}"
    inbound_yaml.write_text(f"id: inkommande\npurpose: inbound\nqueues:\n{queues}\n", encoding="utf-8")


def stored(database_url: str) -> dict[str, InboundCall]:
    database = Database(database_url)
    try:
        with Session(database.engine) as session:
            return {row.uniqueid: row for row in session.scalars(select(InboundCall))}
    finally:
        database.dispose()


async def test_the_announced_and_the_actual_wait_of_answered_and_abandoned_callers(
    tmp_path: Path, prompts_dir: Path
) -> None:
    prefix = unique_prefix()
    epoch = time.time()  # LiveQueues estimates on the wall clock
    pbx = SimulatedPBX(epoch=epoch, seed=3)
    pbx.add_queue(
        QueueConfig(
            "kc", members=(Agent("Local/anna@agents/n", "Anna", answers_after_s=2.0),), talk=Fixed(60.0)
        )
    )
    pbx.dialplan.add_context("inbound", RunAgi("inbound?tenant=norrtalje&queue=kc", then=to_queue))
    async with redis_for_test(prefix), running(pbx) as ami_port:
        settings = service_settings(tmp_path, prefix, ami_port, prompts_dir=prompts_dir)
        offer_above(settings.dialogs_dir / "norrtalje" / "inbound.yaml", OFFER_ABOVE_S)
        queues = await open_queue_rooms(settings)
        assert queues is not None
        runtime = BotRuntime(settings, queues=queues.rooms)
        await runtime.start("127.0.0.1", 0)
        pbx.connect_fastagi("127.0.0.1", runtime.port, sounds=SoundLibrary([prompts_dir]))
        try:
            # Anna is free: the first caller hears a short wait and is answered after 2 s.
            answered = pbx.inbound_call("inbound", callerid=CallerId("0701234567", None)).near.uniqueid
            await eventually(lambda: answered in pbx.agi_traces)  # then it joins the queue at once
            await pbx.advance(2.0)
            # Anna now talks for 60 s: the second caller declines the callback offered, waits and gives up.
            abandoning = pbx.inbound_call(
                "inbound",
                callerid=CallerId("0709876543", None),
                hangs_up_after_s=20.0,
                agi_caller=Caller([Press("2")]),
            ).near.uniqueid
            await eventually(lambda: abandoning in pbx.agi_traces)
            await pbx.advance(25.0)
            await queues.live.caught_up()
        finally:
            await runtime.stop()
            await queues.close()
    first, second = (pbx.agi_traces[uniqueid] for uniqueid in (answered, abandoning))
    rows = stored(str(settings.effective_database_url))
    assert set(rows) == {answered, abandoning}

    row = rows[answered]
    assert (row.tenant, row.queue, row.position, row.result) == ("norrtalje", "kc", 1, "queue")
    assert row.announced_wait_s is not None
    assert round(row.announced_wait_s) == int(first.variables["INBOUND_ESTIMATE_S"])
    assert (row.offered_callback, row.callback_accepted) == (False, False)
    assert (row.outcome, row.actual_wait_s) == ("answered", 2.0)
    assert row.ended_at == datetime.fromtimestamp(epoch + 2.0, UTC)

    row = rows[abandoning]
    assert (row.position, row.result) == (1, "queue")
    assert row.announced_wait_s is not None
    assert round(row.announced_wait_s) == int(second.variables["INBOUND_ESTIMATE_S"])
    assert row.announced_wait_s > OFFER_ABOVE_S  # the only agent is on a call
    assert (row.offered_callback, row.callback_accepted) == (True, False)
    assert (row.outcome, row.actual_wait_s) == ("abandoned", 20.0)
    assert row.ended_at == datetime.fromtimestamp(epoch + 22.0, UTC)
