"""AmiOriginator against the simulated PBX over the real AMI client: each Originate outcome as the dialer sees
it, and the AMI errors it raises (which the dialer counts as having reached nobody)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from ivr.ami import AMIActionError, AMIConnectionError
from ivr.queueing.dialer import OriginateOutcome
from ivr.queueing.originator import AmiOriginator
from ivr.sim.ami import Answers, Busy, Callee, Congestion, Hold, NoAnswer, SimulatedPBX

from .test_live_support import EPOCH, PbxRecorder, ami_client, running

NUMBER = "0701234567"
VARIABLES = {"CALLBACK_ID": "4b1f", "QUEUE_PRIO": "10"}


def pbx_where(callee: Callee) -> SimulatedPBX:
    pbx = SimulatedPBX(epoch=EPOCH, seed=2)
    pbx.dialplan.add_number(NUMBER, callee)
    pbx.dialplan.add_context("callback-answered", Hold(30.0))
    return pbx


async def originate(
    pbx: SimulatedPBX, originator: AmiOriginator, *, ring_s: float, context: str = "callback-answered"
) -> OriginateOutcome:
    """Originate and let `ring_s` of model time pass once the PBX has the call."""
    recorder = PbxRecorder(pbx)
    outcome = asyncio.create_task(
        originator.originate(
            channel=f"Local/{NUMBER}@callback-out",
            context=context,
            exten="s",
            priority=1,
            caller_id='"Norrtälje kommun" <0176710000>',
            variables=VARIABLES,
            timeout_s=20.0,
        )
    )
    dialled = asyncio.create_task(recorder.wait_for(recorder.originated))
    await asyncio.wait([outcome, dialled], return_when=asyncio.FIRST_COMPLETED)
    dialled.cancel()
    await pbx.advance(ring_s)
    return await outcome


@pytest.mark.parametrize(
    ("callee", "ring_s", "reason"),
    [(Busy(), 0.0, 5), (Congestion(), 0.0, 8), (NoAnswer(), 20.0, 3)],
    ids=["busy", "congestion", "no-answer"],
)
async def test_an_unanswered_call_gives_asterisks_reason(callee: Callee, ring_s: float, reason: int) -> None:
    pbx = pbx_where(callee)
    async with running(pbx) as port, ami_client(port) as ami:
        outcome = await originate(pbx, AmiOriginator(ami), ring_s=ring_s)

    assert outcome == OriginateOutcome(
        answered=False, reason=reason, channel=f"Local/{NUMBER}@callback-out", uniqueid=None
    )


async def test_an_answered_call_is_reported_with_its_channel_and_goes_on_in_the_dialplan() -> None:
    pbx = pbx_where(Answers(after_s=4.0))
    async with running(pbx) as port, ami_client(port) as ami:
        outcome = await originate(pbx, AmiOriginator(ami), ring_s=4.0)

    assert (outcome.answered, outcome.reason) == (True, 4)
    assert outcome.channel is not None
    assert outcome.channel.startswith(f"Local/{NUMBER}@callback-out-")
    assert outcome.channel.endswith(";1")
    channel = pbx.channel(outcome.channel)
    assert channel is not None
    assert (channel.uniqueid, channel.context) == (outcome.uniqueid, "callback-answered")
    assert {name: channel.variables[name] for name in VARIABLES} == VARIABLES
    assert (channel.callerid_num, channel.callerid_name) == ("0176710000", "Norrtälje kommun")


async def test_a_number_nobody_has_fails_with_reason_0() -> None:
    pbx = pbx_where(Busy())
    pbx.dialplan.numbers.clear()
    pbx.dialplan.add_party("callback-out", Busy())
    pbx.dialplan.parties.clear()  # the Local context does not exist: Asterisk reports a failure
    async with running(pbx) as port, ami_client(port) as ami:
        outcome = await originate(pbx, AmiOriginator(ami), ring_s=0.0)

    assert (outcome.answered, outcome.reason, outcome.uniqueid) == (False, 0, None)


async def test_a_missing_destination_context_raises_and_says_what_to_check(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pbx = pbx_where(Answers(after_s=1.0))
    async with running(pbx) as port, ami_client(port) as ami:
        with (
            caplog.at_level(logging.ERROR, logger="ivr.queueing.originator"),
            pytest.raises(AMIActionError, match="Extension does not exist"),
        ):
            await originate(pbx, AmiOriginator(ami), ring_s=0.0, context="no-such-context")

    assert "check that the dialplan has context 'no-such-context'" in caplog.text


async def test_without_a_connection_it_raises_so_the_dialer_counts_no_attempt() -> None:
    pbx = pbx_where(Answers(after_s=1.0))
    async with running(pbx) as port, ami_client(port) as ami:
        await ami.close()
        with pytest.raises(AMIConnectionError):
            await originate(pbx, AmiOriginator(ami), ring_s=0.0)
