"""The simulated Asterisk's shared state: clock, events, channels, dialplan and queues, and what a channel
does once it reaches a context. The AMI server and the FastAGI side both work on one `AsteriskCore`."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping

from ivr.sim.ami.channels import ChannelRegistry, ChannelState, DialTarget, PbxChannel
from ivr.sim.ami.clock import PbxClock
from ivr.sim.ami.dialplan import Destination, Dialplan, Hold, JoinQueue, RunAgi
from ivr.sim.ami.events import EventBus
from ivr.sim.ami.originate import Done, OriginateCall, OriginateRequest
from ivr.sim.ami.queue import CallQueue, QueueConfig
from ivr.sim.ami.telephony import NO_CALLERID, CallerId, Leg, Telephony

log = logging.getLogger(__name__)

AgiRunner = Callable[[PbxChannel, str], Awaitable[Mapping[str, str]]]
"""Runs AGI(agi://bot/<request>) for a channel: places the FastAGI call and returns the channel variables
the bot left (the hook the FastAGI simulator plugs into; see SimulatedPBX)."""


class AsteriskCore:
    def __init__(self, clock: PbxClock, *, seed: int = 0) -> None:
        self.clock = clock
        self.bus = EventBus(clock)
        self.channels = ChannelRegistry()
        self.telephony = Telephony(clock, self.bus, self.channels)
        self.dialplan = Dialplan()
        self.queues: dict[str, CallQueue] = {}
        self.rng = random.Random(seed)
        self.started_at = clock.epoch_seconds()
        self.agi_runner: AgiRunner | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        """Cancel the FastAGI sessions still running."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def add_queue(self, config: QueueConfig) -> CallQueue:
        queue = CallQueue(config, self.telephony, self.rng)
        self.queues[config.name] = queue
        return queue

    def queue(self, name: str) -> CallQueue | None:
        """A queue by name, without regard to case (as app_queue finds them)."""
        return next((q for key, q in self.queues.items() if key.lower() == name.lower()), None)

    def originate(self, request: OriginateRequest, done: Done) -> None:
        target = DialTarget.parse(request.dial)
        if target is None:
            raise ValueError(f"not a dial string: {request.dial!r}")
        OriginateCall(self, request, target, done).start()

    def inbound_call(
        self,
        *,
        context: str,
        exten: str = "s",
        callerid: CallerId = NO_CALLERID,
        trunk: str = "PJSIP/trunk",
        hangs_up_after_s: float | None = None,
        defer: bool = False,
    ) -> Leg:
        """A call arriving from the network into `context` (answered at once); the caller hangs up after
        `hangs_up_after_s` unless the PBX ends the call first. `defer`: the caller calls `enter` itself."""
        technology = trunk.partition("/")[0]
        sequence = self.channels.next_sequence(technology)
        channel = self.telephony.new_channel(
            f"{trunk}-{sequence:08x}", context=context, exten=exten, state=ChannelState.RING, device=trunk
        )
        channel.callerid_num, channel.callerid_name = callerid.number, callerid.name
        self.telephony.set_state(channel, ChannelState.UP)
        leg = self.telephony.adopt(channel)
        if hangs_up_after_s is not None:
            hang_up = self.clock.call_later(
                hangs_up_after_s, lambda: self.telephony.end_from_far(leg), order=1
            )
            leg.timers.append(hang_up)
        if not defer:
            self.enter(leg, context, exten)
        return leg

    def enter(self, leg: Leg, context: str, exten: str) -> None:
        """The near channel goes to context/exten, priority 1, and runs what the dialplan has there."""
        near = leg.near
        near.context, near.exten, near.priority = context, exten, 1
        self.run(leg, self.dialplan.contexts.get(context))

    def run(self, leg: Leg, destination: Destination | None) -> None:
        if isinstance(destination, Hold):
            self.hold(leg, destination)
        elif isinstance(destination, JoinQueue):
            self._join_queue(leg, destination)
        elif isinstance(destination, RunAgi):
            self._run_agi(leg, destination)
        else:
            self.telephony.end_from_near(leg)

    def hold(self, leg: Leg, hold: Hold) -> None:
        near = leg.near
        near.priority = 2 if hold.answers_first else 1
        near.application = "Wait"
        near.application_data = "" if hold.seconds is None else f"{hold.seconds:g}"
        if hold.seconds is not None:
            leg.timers.append(self.clock.call_later(hold.seconds, lambda: self._wait_done(leg), order=0))

    def _wait_done(self, leg: Leg) -> None:
        leg.near.priority += 1
        self.telephony.end_from_near(leg)

    def _join_queue(self, leg: Leg, join: JoinQueue) -> None:
        near = leg.near
        near.priority = 2
        near.application, near.application_data = "Queue", join.queue
        queue = self.queue(join.queue)
        if queue is None:
            log.warning("Queue(%s) in context %s: no such queue; the call hangs up", join.queue, near.context)
            self.telephony.end_from_near(leg)
        elif queue.join(leg, join.priority, join.max_wait_s) is None:
            self.telephony.end_from_near(leg)

    def _run_agi(self, leg: Leg, agi: RunAgi) -> None:
        near = leg.near
        near.application, near.application_data = "AGI", f"agi://bot/{agi.request}"
        runner = self.agi_runner
        if runner is None:
            log.warning(
                "AGI(%s) in context %s: no FastAGI target configured; the call hangs up",
                agi.request,
                near.context,
            )
            self.telephony.end_from_near(leg)
            return

        async def session() -> None:
            try:
                variables = await runner(near, agi.request)
            except Exception:
                log.exception("the FastAGI session for %s failed", near.name)
                variables = dict(near.variables)
            if leg.ended:
                return
            then = agi.then(variables) if callable(agi.then) else agi.then
            near.priority += 1
            self.run(leg, then)

        task = asyncio.get_running_loop().create_task(session())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
