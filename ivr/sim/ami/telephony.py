"""Channels coming and going: creation, state changes, Local channel pairs, and the two ways a call ends.

A `Leg` is what one dial made: the `near` channel that runs the dialplan (";1" of a Local pair, or the only
channel) and, for Local, the `far` ";2" half that plays the remote party. The event sequences follow the
recorded Asterisk 20.20.1 (ami-B, ami-C, ami-D, ami-E).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ivr.sim.ami.channels import CAUSE_TEXTS, ChannelRegistry, ChannelState, DialTarget, PbxChannel
from ivr.sim.ami.clock import PbxClock, Timer
from ivr.sim.ami.events import EventBus

NORMAL_CLEARING = 16


class Activity(Protocol):
    """What the near channel is doing in the dialplan (waiting in a queue, talking to an agent...)."""

    def interrupted(self) -> None:
        """The call is ending under it: publish what the application publishes (abandon, complete...)."""

    def channel_gone(self) -> None:
        """The near channel has hung up: tear down what hangs off it (the agent's channels)."""


@dataclass(frozen=True)
class CallerId:
    number: str | None = None
    name: str | None = None

    @property
    def present(self) -> bool:
        return self.number is not None or self.name is not None


NO_CALLERID = CallerId()


@dataclass
class Leg:
    near: PbxChannel
    far: PbxChannel | None
    device: str
    activity: Activity | None = None
    timers: list[Timer] = field(default_factory=list)
    on_hangup: Callable[[], None] | None = None
    """Who handles a Hangup action on this leg's channels instead of the usual sequences (queue members)."""
    ended: bool = False

    @property
    def channels(self) -> list[PbxChannel]:
        return [self.near] if self.far is None else [self.near, self.far]

    def cancel_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()


class Telephony:
    def __init__(self, clock: PbxClock, bus: EventBus, channels: ChannelRegistry) -> None:
        self.clock = clock
        self.bus = bus
        self.channels = channels
        self._legs: dict[str, Leg] = {}

    def leg_of(self, channel: PbxChannel) -> Leg | None:
        return self._legs.get(channel.uniqueid)

    def new_channel(
        self,
        name: str,
        *,
        context: str,
        exten: str,
        state: ChannelState,
        linkedid: str | None = None,
        uniqueid: str = "",
        device: str = "",
    ) -> PbxChannel:
        uniqueid = uniqueid or self.channels.next_uniqueid(self.clock.epoch_seconds())
        channel = PbxChannel(
            name=name,
            uniqueid=uniqueid,
            linkedid=linkedid or uniqueid,
            context=context,
            exten=exten,
            created_at=self.clock.now(),
            state=state,
            device=device,
        )
        self.channels.add(channel)
        self.bus.channel_event("Newchannel", channel)
        return channel

    def local_leg(
        self,
        target: DialTarget,
        callerid: CallerId,
        *,
        linkedid: str | None = None,
        uniqueids: tuple[str, str] = ("", ""),
        bridged: bool = True,
    ) -> Leg:
        """Local/exten@context: both halves, their caller ids and the LocalBridge between them (no bridge
        when the context does not exist: the ";2" half dies at once).

        Originate gives both halves the caller id; a queue dialling a member gives it the caller's
        (the ";1" half learns its connected line later, when the member rings)."""
        sequence = self.channels.next_sequence(target.technology)
        base = f"{target.technology}/{target.exten}@{target.context}-{sequence:08x}"
        where = {"context": target.context, "exten": target.exten, "device": target.device}
        near = self.new_channel(
            f"{base};1", state=ChannelState.DOWN, linkedid=linkedid, uniqueid=uniqueids[0], **where
        )
        far = self.new_channel(
            f"{base};2", state=ChannelState.RING, linkedid=near.linkedid, uniqueid=uniqueids[1], **where
        )
        leg = Leg(near, far, target.device)
        self._legs[near.uniqueid] = self._legs[far.uniqueid] = leg
        if callerid.present:
            self.set_callerid(near, callerid)
            if linkedid is None:
                self.set_connected(near, callerid)
            self.set_callerid(far, callerid, connected=True)
            self.set_connected(far, callerid)
        if bridged:
            self._local_bridge(leg, target)
        return leg

    def single_leg(self, target: DialTarget, callerid: CallerId, *, uniqueid: str = "") -> Leg:
        """A channel of any other technology: one channel, the remote party is beyond it."""
        sequence = self.channels.next_sequence(target.technology)
        endpoint = target.context if target.context != "default" else target.exten
        near = self.new_channel(
            f"{target.technology}/{endpoint}-{sequence:08x}",
            context="default",
            exten="s",
            state=ChannelState.DOWN,
            uniqueid=uniqueid,
            device=target.device,
        )
        leg = Leg(near, None, target.device)
        self._legs[near.uniqueid] = leg
        if callerid.present:
            self.set_callerid(near, callerid)
            self.set_connected(near, callerid)
        return leg

    def adopt(self, channel: PbxChannel) -> Leg:
        """A leg for a channel made elsewhere (an inbound call)."""
        leg = Leg(channel, None, channel.device)
        self._legs[channel.uniqueid] = leg
        return leg

    def set_callerid(self, channel: PbxChannel, callerid: CallerId, *, connected: bool = False) -> None:
        channel.callerid_num, channel.callerid_name = callerid.number, callerid.name
        if connected:
            channel.connected_num, channel.connected_name = callerid.number, callerid.name
        self.bus.channel_event(
            "NewCallerid", channel, ("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")
        )

    def set_connected(self, channel: PbxChannel, callerid: CallerId) -> None:
        channel.connected_num, channel.connected_name = callerid.number, callerid.name
        self.bus.channel_event("NewConnectedLine", channel)

    def set_state(self, channel: PbxChannel, state: ChannelState) -> None:
        channel.state = state
        self.bus.channel_event("Newstate", channel)

    def hangup(self, channel: PbxChannel, cause: int) -> None:
        """The Hangup event; the channel is gone."""
        if channel.hung_up:
            return
        channel.hung_up = True
        channel.hangup_cause = cause
        self.channels.remove(channel)
        self.bus.channel_event(
            "Hangup", channel, ("Cause", str(cause)), ("Cause-txt", CAUSE_TEXTS.get(cause, "Unknown"))
        )

    def end_from_far(self, leg: Leg, cause: int = NORMAL_CLEARING) -> None:
        """The remote party hangs up (the ";2" half's dialplan ends, or a Hangup action names it)."""
        if leg.ended:
            return
        self._begin_end(leg)
        if leg.far is not None:
            self.bus.hangup_request(leg.far, soft=True, cause=NORMAL_CLEARING)
            self.bus.hangup_request(leg.near, soft=False, cause=NORMAL_CLEARING)
            self.hangup(leg.far, cause)
        else:
            self.bus.hangup_request(leg.near, soft=False, cause=cause)
        if leg.activity is not None:
            leg.activity.interrupted()
        self.bus.hangup_request(leg.near, soft=True, cause=NORMAL_CLEARING)
        self.hangup(leg.near, cause)
        self._finish_end(leg)

    def end_from_near(self, leg: Leg, cause: int = NORMAL_CLEARING) -> None:
        """The near channel's dialplan ends (or a Hangup action names it): the far half follows."""
        if leg.ended:
            return
        self._begin_end(leg)
        self.bus.hangup_request(leg.near, soft=True, cause=NORMAL_CLEARING)
        if leg.activity is not None:
            leg.activity.interrupted()
        if leg.far is not None:
            self.bus.hangup_request(leg.far, soft=False, cause=NORMAL_CLEARING)
        self.hangup(leg.near, cause)
        if leg.activity is not None:
            leg.activity.channel_gone()
            leg.activity = None
        if leg.far is not None:
            self.bus.hangup_request(leg.far, soft=True, cause=NORMAL_CLEARING)
            self.hangup(leg.far, NORMAL_CLEARING)
        self._forget(leg)

    def drop(self, leg: Leg, device_state: str = "NOT_INUSE") -> None:
        """Forget a leg whose channels were hung up one by one (failed dials)."""
        leg.ended = True
        leg.cancel_timers()
        self._forget(leg, device_state)

    def end_by_channel(self, channel: PbxChannel, cause: int = NORMAL_CLEARING) -> None:
        """A Hangup action: whichever half it names ends the call from that side."""
        leg = self.leg_of(channel)
        if leg is not None and leg.on_hangup is not None:
            leg.on_hangup()
        elif leg is None:
            self.bus.hangup_request(channel, soft=True, cause=NORMAL_CLEARING)
            self.hangup(channel, cause)
        elif leg.far is channel:
            self.end_from_far(leg, cause)
        else:
            self.end_from_near(leg, cause)

    def _begin_end(self, leg: Leg) -> None:
        leg.ended = True
        leg.cancel_timers()

    def _finish_end(self, leg: Leg) -> None:
        if leg.activity is not None:
            leg.activity.channel_gone()
            leg.activity = None
        self._forget(leg)

    def _forget(self, leg: Leg, device_state: str = "NOT_INUSE") -> None:
        for channel in leg.channels:
            self._legs.pop(channel.uniqueid, None)
        if leg.device:
            self.bus.device_state(leg.device, device_state)

    def _local_bridge(self, leg: Leg, target: DialTarget) -> None:
        assert leg.far is not None
        self.bus.publish(
            "LocalBridge",
            [
                *leg.near.snapshot("LocalOne"),
                *leg.far.snapshot("LocalTwo"),
                ("Context", target.context),
                ("Exten", target.exten),
                ("LocalOptimization", "No" if "n" in target.options else "Yes"),
            ],
        )
