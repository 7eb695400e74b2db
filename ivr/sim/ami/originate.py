"""Originate: dial a party, and when it answers send the channel to a context (or an application).

What the recorded Asterisk does (ami-B): the Local pair appears (Newchannel, caller ids, LocalBridge,
DialBegin); the party answers (Reason 4, Channel and Uniqueid of the ";1" half), is busy (5), congested (8),
does not answer before Timeout (3), or the Local context does not exist (0). On every failure Channel is the
dial string and Uniqueid is "<unknown>".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ivr.sim.ami.channels import ChannelState, DialTarget
from ivr.sim.ami.dialplan import Answers, Busy, Callee, Congestion, Dialplan, Hold
from ivr.sim.ami.telephony import NO_CALLERID, CallerId, Leg, Telephony

REASON_FAILED = 0
REASON_NO_ANSWER = 3
REASON_ANSWERED = 4
REASON_BUSY = 5
REASON_CONGESTION = 8
UNKNOWN_UNIQUEID = "<unknown>"


@dataclass(frozen=True)
class OriginateRequest:
    dial: str
    context: str = ""
    exten: str = ""
    priority: int = 0
    application: str = ""
    data: str = ""
    callerid: CallerId = NO_CALLERID
    timeout_s: float = 30.0
    variables: tuple[tuple[str, str], ...] = ()
    channel_id: str = ""
    other_channel_id: str = ""


@dataclass(frozen=True)
class OriginateResult:
    success: bool
    reason: int
    channel: str
    uniqueid: str


Done = Callable[[OriginateResult], None]


class CoreView(Protocol):
    """What an Originate needs of the PBX."""

    telephony: Telephony
    dialplan: Dialplan

    def enter(self, leg: Leg, context: str, exten: str) -> None: ...

    def hold(self, leg: Leg, hold: Hold) -> None: ...


class OriginateCall:
    """One Originate from dial to answer or failure."""

    def __init__(self, core: CoreView, request: OriginateRequest, target: DialTarget, done: Done) -> None:
        self.core = core
        self.telephony = core.telephony
        self.bus = core.telephony.bus
        self.request = request
        self.target = target
        self.done = done
        self.leg: Leg | None = None
        self.rang = False

    def start(self) -> None:
        callee = self.core.dialplan.callee_for(self.target)
        if callee is None and self.target.is_local:
            self._no_such_context()
        elif callee is None:
            self._report(False, REASON_FAILED)
        else:
            self._dial(callee)

    def _dial(self, callee: Callee) -> None:
        ids = (self.request.channel_id, self.request.other_channel_id)
        if self.target.is_local:
            leg = self.telephony.local_leg(self.target, self.request.callerid, uniqueids=ids)
        else:
            leg = self.telephony.single_leg(self.target, self.request.callerid, uniqueid=ids[0])
        self.leg = leg
        for name, value in self.request.variables:
            leg.near.variables[name] = value
        self.bus.dial_event("DialBegin", None, leg.near, ("DialString", self.target.resource))
        if isinstance(callee, Busy | Congestion):
            self._refused(busy=isinstance(callee, Busy))
            return
        if isinstance(callee, Answers) and callee.after_s <= 0:
            self._answer(callee)
            return
        self._ring()
        clock = self.telephony.clock
        if isinstance(callee, Answers) and callee.after_s < self.request.timeout_s:
            leg.timers.append(clock.call_later(callee.after_s, lambda: self._answer(callee)))
        else:
            leg.timers.append(clock.call_later(self.request.timeout_s, self._no_answer))

    def _ring(self) -> None:
        assert self.leg is not None
        self.rang = True
        if self.leg.far is not None:
            self.leg.far.priority = 2
            self.leg.far.application = "Wait"
        self.telephony.set_state(self.leg.near, ChannelState.RINGING)
        self.bus.dial_event("DialState", None, self.leg.near, ("DialStatus", "RINGING"))
        self.bus.device_state(self.leg.device, "INUSE")

    def _answer(self, callee: Answers) -> None:
        leg = self.leg
        assert leg is not None
        leg.cancel_timers()
        if leg.far is not None:
            leg.far.priority = 3 if self.rang else 1
            self.telephony.set_state(leg.far, ChannelState.UP)
        self.telephony.set_state(leg.near, ChannelState.UP)
        self.bus.dial_event("DialEnd", None, leg.near, ("DialStatus", "ANSWER"))
        if leg.far is not None:
            leg.far.priority += 1
            leg.far.application = "Wait"
            leg.far.application_data = (
                "" if callee.hangs_up_after_s is None else f"{callee.hangs_up_after_s:g}"
            )
        if not self.rang:
            self.bus.device_state(leg.device, "INUSE")
        self._report(True, REASON_ANSWERED)
        if callee.hangs_up_after_s is not None:
            leg.timers.append(
                self.telephony.clock.call_later(
                    callee.hangs_up_after_s, lambda: self._party_hangs_up(leg), order=1
                )
            )
        if self.request.application:
            self._run_application(leg)
        else:
            self.core.enter(leg, self.request.context, self.request.exten)

    def _party_hangs_up(self, leg: Leg) -> None:
        if leg.far is not None:
            leg.far.priority += 1
        self.telephony.end_from_far(leg)

    def _run_application(self, leg: Leg) -> None:
        """The application itself is not run: Wait(N) holds the line N seconds, anything else until the
        party hangs up."""
        leg.near.application, leg.near.application_data = self.request.application, self.request.data
        seconds: float | None = None
        if self.request.application.lower() == "wait":
            try:
                seconds = float(self.request.data)
            except ValueError:
                seconds = 0.0
        self.core.hold(leg, Hold(seconds))

    def _refused(self, *, busy: bool) -> None:
        leg = self.leg
        assert leg is not None
        status, cause, reason = ("BUSY", 17, REASON_BUSY) if busy else ("CONGESTION", 34, REASON_CONGESTION)
        far = leg.far or leg.near
        self.telephony.set_state(far, ChannelState.BUSY)
        self.bus.dial_event("DialEnd", None, leg.near, ("DialStatus", status))
        if leg.far is None:
            self.telephony.hangup(leg.near, cause)
            self._report(False, reason)
        else:
            self.bus.hangup_request(leg.far, soft=False, cause=0)
            self.bus.hangup_request(leg.far, soft=True, cause=16)
            self._report(False, reason)
            # the recorded order of the two Hangup events differs between busy and congestion
            first, second = ((leg.near, 0), (leg.far, cause)) if busy else ((leg.far, cause), (leg.near, 0))
            self.telephony.hangup(*first)
            self.telephony.hangup(*second)
        self.telephony.drop(leg)

    def _no_answer(self) -> None:
        leg = self.leg
        assert leg is not None
        if leg.far is None:
            self.telephony.hangup(leg.near, 19)
            self._report(False, REASON_NO_ANSWER)
        else:
            self.bus.hangup_request(leg.far, soft=False, cause=19)
            self.bus.hangup_request(leg.far, soft=True, cause=16)
            self._report(False, REASON_NO_ANSWER)
            self.telephony.hangup(leg.near, 19)
            self.telephony.hangup(leg.far, 19)
        self.telephony.drop(leg)

    def _no_such_context(self) -> None:
        ids = (self.request.channel_id, self.request.other_channel_id)
        leg = self.telephony.local_leg(self.target, self.request.callerid, uniqueids=ids, bridged=False)
        assert leg.far is not None
        self.telephony.hangup(leg.far, 0)
        self._report(False, REASON_FAILED)
        self.telephony.hangup(leg.near, 0)
        self.telephony.drop(leg, "INVALID")

    def _report(self, success: bool, reason: int) -> None:
        if success and self.leg is not None:
            channel, uniqueid = self.leg.near.name, self.leg.near.uniqueid
        else:
            channel, uniqueid = self.request.dial, self.request.channel_id or UNKNOWN_UNIQUEID
        self.done(OriginateResult(success, reason, channel, uniqueid))
