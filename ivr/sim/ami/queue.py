"""A call queue that behaves like app_queue: callers wait in priority order, members are rung, answer, talk
and hang up, callers abandon, and the running averages move as app_queue moves them.

The caller side follows queue_exec: a waiting caller checks every second whether it is its turn
(is_our_turn: within the number of available members from the head, callers being rung not counted; ringall
serves only the head), plays position announcements when they are enabled and due (nobody rings a caller
during one), and when its turn comes, rings the member(s) the strategy picks. Times that app_queue takes from
time(NULL) (hold, talk, abandon) are differences of whole epoch seconds, as there.
"""

from __future__ import annotations

import random
import uuid

from ivr.sim.ami.channels import ChannelState, DialTarget, PbxChannel
from ivr.sim.ami.members import Member, MemberStatus
from ivr.sim.ami.permissions import Perm
from ivr.sim.ami.queue_state import Attempt, Phase, QueueCall, QueueConfig, QueueStats
from ivr.sim.ami.telephony import CallerId, Leg, Telephony
from ivr.sim.ami.wire import Field

__all__ = ["Attempt", "CallQueue", "Phase", "QueueCall", "QueueConfig", "QueueStats"]

RECHECK_S = 1.0
"""wait_our_turn waits a second (RECHECK) between looks at the queue."""


class CallQueue:
    def __init__(self, config: QueueConfig, telephony: Telephony, rng: random.Random) -> None:
        self.config = config
        self.name = config.name
        self.telephony = telephony
        self.bus = telephony.bus
        self.clock = telephony.clock
        self.rng = rng
        login = self.clock.epoch_seconds()
        self.members = [Member(agent, login) for agent in config.members]
        self.entries: list[QueueCall] = []
        self.stats = QueueStats()
        self._round_robin = 0

    # --- what the AMI and the CLI read -------------------------------------------------------------------

    def member(self, interface: str) -> Member | None:
        return next((m for m in self.members if m.interface == interface), None)

    def available_members(self) -> int:
        """QueueSummary's Available: idle and not paused (wrap-up not considered)."""
        return sum(
            1
            for m in self.members
            if m.status in (MemberStatus.NOT_INUSE, MemberStatus.UNKNOWN) and not m.paused
        )

    def logged_in_members(self) -> int:
        return sum(
            1 for m in self.members if m.status not in (MemberStatus.UNAVAILABLE, MemberStatus.INVALID)
        )

    # --- members -----------------------------------------------------------------------------------------

    def pause(self, member: Member, paused: bool, reason: str) -> None:
        """QueuePause: the pause device state, then QueueMemberPause."""
        member.paused = paused
        if paused:
            member.last_pause = self.clock.epoch_seconds()
        member.paused_reason = reason if paused else ""
        self.bus.device_state(
            f"Queue:{self.name}_pause_{member.interface}", "INUSE" if paused else "NOT_INUSE"
        )
        self.bus.publish("QueueMemberPause", member.blob(self.name), Perm.AGENT)

    def set_logged_in(self, member: Member, logged_in: bool) -> None:
        if member.in_call or member.status is MemberStatus.INUSE:
            raise ValueError(f"{member.interface} is in a call")
        self._set_status(member, MemberStatus.NOT_INUSE if logged_in else MemberStatus.UNAVAILABLE)

    def _set_status(self, member: Member, status: MemberStatus) -> None:
        if member.status is status:
            return
        member.status = status
        self.bus.publish("QueueMemberStatus", member.blob(self.name), Perm.AGENT)

    # --- callers -----------------------------------------------------------------------------------------

    def join(self, leg: Leg, priority: int = 0, max_wait_s: float | None = None) -> QueueCall | None:
        """The caller enters the queue behind everyone of equal or higher priority; None when it is full."""
        if self.config.max_callers and len(self.entries) >= self.config.max_callers:
            return None
        now = self.clock.now()
        call = QueueCall(
            self,
            leg,
            priority,
            self.clock.epoch_seconds(),
            expires_at=None if max_wait_s is None else now + max_wait_s,
        )
        index = next(
            (i for i, other in enumerate(self.entries) if priority > other.priority), len(self.entries)
        )
        self.entries.insert(index, call)
        self._renumber()
        call.original_position = call.position
        leg.activity = call
        if len(self.entries) == 1:
            self.bus.device_state(f"Queue:{self.name}", "RINGING")
        self.bus.channel_event(
            "QueueCallerJoin",
            call.channel,
            ("Queue", self.name),
            ("Position", str(call.position)),
            ("Count", str(len(self.entries))),
            category=Perm.AGENT,
        )
        self._music_on_hold(call, on=True)
        self._check(call)
        return call

    def _renumber(self) -> None:
        for position, entry in enumerate(self.entries, start=1):
            entry.position = position

    def _leave(self, call: QueueCall) -> None:
        if call not in self.entries:
            return
        self.entries.remove(call)
        self.bus.channel_event(
            "QueueCallerLeave",
            call.channel,
            ("Queue", self.name),
            ("Position", str(call.position)),
            ("Count", str(len(self.entries))),
            category=Perm.AGENT,
        )
        if not self.entries:
            self.bus.device_state(f"Queue:{self.name}", "NOT_INUSE")
        self._renumber()

    def _record_abandoned(self, call: QueueCall) -> None:
        held = self.clock.epoch_seconds() - call.joined_at
        call.channel.variables["ABANDONED"] = "TRUE"
        if held <= self.config.service_level_s:
            self.stats.abandoned_in_service_level += 1
        self.stats.abandoned += 1
        self.bus.channel_event(
            "QueueCallerAbandon",
            call.channel,
            ("Queue", self.name),
            ("Position", str(call.position)),
            ("OriginalPosition", str(call.original_position)),
            ("HoldTime", str(held)),
            category=Perm.AGENT,
        )

    def _music_on_hold(self, call: QueueCall, *, on: bool) -> None:
        if call.music_on_hold == on:
            return
        call.music_on_hold = on
        if on:
            self.bus.channel_event("MusicOnHoldStart", call.channel, ("Class", "default"))
        else:
            self.bus.channel_event("MusicOnHoldStop", call.channel)

    # --- waiting: whose turn, announcements --------------------------------------------------------------

    def _schedule_check(self, call: QueueCall, delay: float) -> None:
        if call.check_timer is not None:
            call.check_timer.cancel()
        call.check_timer = self.clock.call_later(delay, lambda: self._check(call))

    def _check(self, call: QueueCall) -> None:
        """One pass of wait_our_turn for a caller that is neither rung nor in an announcement."""
        call.check_timer = None
        if call.phase is not Phase.WAITING:
            return
        if call.expires_at is not None and self.clock.now() >= call.expires_at:
            self._time_out(call)
        elif self._is_our_turn(call):
            self._try_calling(call)
        elif self._announcement_due(call):
            self._announce(call)
        else:
            self._schedule_check(call, RECHECK_S)

    def _available_count(self) -> int:
        now = self.clock.epoch_seconds()
        available = sum(1 for m in self.members if m.available(now, self.config.wrapup_s))
        return min(available, 1) if self.config.strategy == "ringall" else available

    def _is_our_turn(self, call: QueueCall) -> bool:
        available = self._available_count()
        ahead = 0
        for entry in self.entries:
            if entry is call:
                return ahead < available
            if ahead >= available:
                return False
            if not entry.ringing:
                ahead += 1
        return False

    def _announcement_due(self, call: QueueCall) -> bool:
        """say_position's rules: not within min-announce-frequency of the last one, and only when the
        position changed or announce-frequency has passed."""
        frequency = self.config.announce_frequency_s
        if not frequency:
            return False
        since = self.clock.epoch_seconds() - call.last_announced_at
        if since < self.config.min_announce_frequency_s:
            return False
        return call.last_announced_position != call.position or since >= frequency

    def _announce(self, call: QueueCall) -> None:
        """The position announcement: music stops, the prompts play, music starts again; a second later
        the caller looks at the queue again."""
        call.phase = Phase.ANNOUNCING
        call.last_announced_at = self.clock.epoch_seconds()
        call.last_announced_position = call.position
        self._music_on_hold(call, on=False)

        def finished() -> None:
            if call.phase is not Phase.ANNOUNCING:
                return
            call.phase = Phase.WAITING
            self._music_on_hold(call, on=True)
            self._schedule_check(call, RECHECK_S)

        call.leg.timers.append(self.clock.call_later(self.config.announcement_s, finished))

    def _time_out(self, call: QueueCall) -> None:
        """Queue()'s timeout: counted as abandoned; the caller goes on in the dialplan (and hangs up)."""
        call.phase = Phase.DONE
        self._record_abandoned(call)
        self._music_on_hold(call, on=False)
        self._leave(call)
        self._release_caller(call)

    # --- ringing members ---------------------------------------------------------------------------------

    def _pick_members(self) -> list[Member]:
        now = self.clock.epoch_seconds()
        free = [m for m in self.members if m.available(now, self.config.wrapup_s)]
        if not free or self.config.strategy == "ringall":
            return free
        strategy = self.config.strategy
        if strategy == "leastrecent":
            return [min(free, key=lambda m: m.last_call)]
        if strategy == "fewestcalls":
            return [min(free, key=lambda m: m.calls)]
        if strategy == "random":
            return [self.rng.choice(free)]
        if strategy == "rrmemory":
            order = self.members[self._round_robin :] + self.members[: self._round_robin]
            chosen = next(m for m in order if m in free)
            self._round_robin = (self.members.index(chosen) + 1) % len(self.members)
            return [chosen]
        return free[:1]

    def _try_calling(self, call: QueueCall) -> None:
        members = self._pick_members()
        if not members:
            self._schedule_check(call, self.config.retry_s)
            return
        call.phase = Phase.RINGING
        for member in members:
            call.attempts.append(self._ring(call, member))

    def _ring(self, call: QueueCall, member: Member) -> Attempt:
        caller = call.channel
        target = DialTarget.parse(member.interface)
        if target is None:
            raise ValueError(f"member interface {member.interface!r} is not Technology/resource")
        callerid = CallerId(caller.callerid_num, caller.callerid_name)
        if target.is_local:
            leg = self.telephony.local_leg(target, callerid, linkedid=caller.linkedid)
        else:
            leg = self.telephony.single_leg(target, callerid)
        attempt = Attempt(member, leg, self.clock.now())
        leg.on_hangup = lambda: self._member_channel_hung_up(call, attempt)
        dial = self.bus.dial_event
        member_fields: list[Field] = [
            ("Queue", self.name),
            ("Interface", member.interface),
            ("MemberName", member.name),
        ]
        # The recorded DialBegin shows the member channel as it was before the call started on it, while
        # AgentCalled, published first, already shows it after (Asterisk's cached snapshots).
        before_call = leg.near.snapshot("Dest")
        if target.is_local:
            leg.near.exten = "s"
        leg.near.connected_num, leg.near.connected_name = callerid.number, callerid.name
        dial("AgentCalled", caller, leg.near, *member_fields, category=Perm.AGENT)
        self.bus.publish("DialBegin", [*caller.snapshot(), *before_call, ("DialString", member.interface)])
        if leg.far is not None:
            leg.far.priority = 2
        self.telephony.set_state(leg.near, ChannelState.RINGING)
        self.bus.channel_event("NewConnectedLine", leg.near)
        dial("DialState", caller, leg.near, ("DialStatus", "RINGING"))
        self.bus.device_state(leg.device, "INUSE")
        self._set_status(member, MemberStatus.INUSE)
        answers_after = member.agent.answers_after_s
        if answers_after is not None and answers_after < self.config.member_timeout_s:
            attempt.timers.append(self.clock.call_later(answers_after, lambda: self._answered(call, attempt)))
        else:
            timeout = self.config.member_timeout_s
            attempt.timers.append(self.clock.call_later(timeout, lambda: self._ring_no_answer(call, attempt)))
        return attempt

    def _seconds_since(self, moment: float) -> int:
        """Whole seconds of model time since `moment` (app_queue divides milliseconds by 1000)."""
        return int(round(self.clock.now() - moment, 6))

    def _end_attempt_channels(
        self, call: QueueCall, attempt: Attempt, status: str, dial_ends: int = 1
    ) -> None:
        """A rung member that will not be bridged: the dial ends and its channels hang up. (When the caller
        hangs up during the ring, the recorded Asterisk reports the DialEnd twice.)"""
        for timer in attempt.timers:
            timer.cancel()
        for _ in range(dial_ends):
            self.bus.dial_event("DialEnd", call.channel, attempt.channel, ("DialStatus", status))
        if attempt.leg.far is not None:
            self.bus.hangup_request(attempt.leg.far, soft=False, cause=0)
        self.telephony.hangup(attempt.leg.near, 0)

    def _release_attempt(self, attempt: Attempt) -> None:
        if attempt.leg.far is not None:
            self.bus.hangup_request(attempt.leg.far, soft=True, cause=16)
            self.telephony.hangup(attempt.leg.far, 0)
        self.telephony.drop(attempt.leg)
        self._set_status(attempt.member, MemberStatus.NOT_INUSE)

    def _ring_no_answer(self, call: QueueCall, attempt: Attempt) -> None:
        ring_time = self._seconds_since(attempt.started)
        self.bus.dial_event(
            "AgentRingNoAnswer",
            call.channel,
            attempt.channel,
            ("Queue", self.name),
            ("Interface", attempt.member.interface),
            ("MemberName", attempt.member.name),
            ("RingTime", str(ring_time)),
            category=Perm.AGENT,
        )
        self._end_attempt_channels(call, attempt, "NOANSWER")
        self._release_attempt(attempt)
        call.attempts.remove(attempt)
        if not call.attempts:
            call.phase = Phase.WAITING
            self._schedule_check(call, self.config.retry_s)

    def _answered(self, call: QueueCall, attempt: Attempt) -> None:
        """The member answers: the others stop ringing, the caller leaves the queue and is bridged."""
        member, leg = attempt.member, attempt.leg
        if leg.far is not None:
            leg.far.priority = 3
            self.telephony.set_state(leg.far, ChannelState.UP)
        self.telephony.set_state(leg.near, ChannelState.UP)
        self.bus.dial_event("DialEnd", call.channel, leg.near, ("DialStatus", "ANSWER"))
        if leg.far is not None:
            leg.far.priority = 4
        for other in [a for a in call.attempts if a is not attempt]:
            self._end_attempt_channels(call, other, "CANCEL")
            self._release_attempt(other)
        call.attempts = [attempt]
        self._music_on_hold(call, on=False)
        held = self.clock.epoch_seconds() - call.joined_at
        self.stats.record_hold(held)
        if held <= self.config.service_level_s:
            self.stats.completed_in_service_level += 1
        call.phase = Phase.CONNECTED
        call.connected = attempt
        self._leave(call)
        self.bus.dial_event(
            "AgentConnect",
            call.channel,
            leg.near,
            ("Queue", self.name),
            ("Interface", member.interface),
            ("MemberName", member.name),
            ("HoldTime", str(held)),
            ("RingTime", str(self._seconds_since(attempt.started))),
            category=Perm.AGENT,
        )
        member.call_started = self.clock.epoch_seconds()
        self._bridge(call, attempt)
        talk = (member.agent.talk or self.config.talk).draw(self.rng)
        attempt.timers.append(self.clock.call_later(talk, lambda: self._agent_hangs_up(call, attempt)))

    def _bridge(self, call: QueueCall, attempt: Attempt) -> None:
        call.bridge_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        self._bridge_event("BridgeCreate", call, 0)
        for count, channel in enumerate((attempt.channel, call.channel), start=1):
            channel.bridge_id = call.bridge_id
            self._bridge_event("BridgeEnter", call, count, channel)

    def _bridge_event(
        self, name: str, call: QueueCall, count: int, channel: PbxChannel | None = None
    ) -> None:
        fields: list[Field] = [
            ("BridgeUniqueid", call.bridge_id),
            ("BridgeType", "basic"),
            ("BridgeTechnology", "simple_bridge"),
            ("BridgeCreator", "<unknown>"),
            ("BridgeName", "<unknown>"),
            ("BridgeNumChannels", str(count)),
            ("BridgeVideoSourceMode", "none"),
        ]
        self.bus.publish(name, [*fields, *(channel.snapshot() if channel else [])])

    def _leave_bridge(self, call: QueueCall, channel: PbxChannel, remaining: int) -> None:
        channel.bridge_id = ""
        self._bridge_event("BridgeLeave", call, remaining, channel)

    def _complete(self, call: QueueCall, attempt: Attempt, reason: str) -> None:
        member = attempt.member
        self.bus.dial_event(
            "AgentComplete",
            call.channel,
            attempt.channel,
            ("Queue", self.name),
            ("Interface", member.interface),
            ("MemberName", member.name),
            ("HoldTime", str(member.call_started - call.joined_at)),
            ("TalkTime", str(self.clock.epoch_seconds() - member.call_started)),
            ("Reason", reason),
            category=Perm.AGENT,
        )

    def _member_done(self, member: Member) -> None:
        """update_queue: the member's count and last call, the queue's talk-time average; then idle."""
        now = self.clock.epoch_seconds()
        self.stats.record_talk(now - member.call_started)
        member.call_started = 0
        member.calls += 1
        member.last_call = now
        self._set_status(member, MemberStatus.NOT_INUSE)

    def _agent_hangs_up(self, call: QueueCall, attempt: Attempt) -> None:
        """The agent ends the call (AgentComplete Reason agent); the caller's dialplan goes on and ends."""
        if call.phase is not Phase.CONNECTED:
            return
        for timer in attempt.timers:
            timer.cancel()
        leg = attempt.leg
        if leg.far is not None:
            leg.far.priority += 1
            self.bus.hangup_request(leg.far, soft=True, cause=16)
        self.bus.hangup_request(leg.near, soft=False, cause=16)
        self._complete(call, attempt, "agent")
        self._leave_bridge(call, leg.near, 1)
        self.telephony.hangup(leg.near, 16)
        self._leave_bridge(call, call.channel, 0)
        if leg.far is not None:
            self.telephony.hangup(leg.far, 16)
        self._member_done(attempt.member)
        self._bridge_event("BridgeDestroy", call, 0)
        self.telephony.drop(leg)
        call.phase = Phase.DONE
        self._release_caller(call)

    def _member_channel_hung_up(self, call: QueueCall, attempt: Attempt) -> None:
        """A Hangup action on a member's channel: while ringing the attempt fails, once bridged the agent
        has ended the call."""
        if call.phase is Phase.CONNECTED and call.connected is attempt:
            self._agent_hangs_up(call, attempt)
        elif attempt in call.attempts:
            self._end_attempt_channels(call, attempt, "CHANUNAVAIL")
            self._release_attempt(attempt)
            call.attempts.remove(attempt)
            if not call.attempts and call.phase is Phase.RINGING:
                call.phase = Phase.WAITING
                self._schedule_check(call, self.config.retry_s)

    def _release_caller(self, call: QueueCall) -> None:
        """Queue() returns: the caller's dialplan has nothing after it and hangs up."""
        call.leg.activity = None
        if call.check_timer is not None:
            call.check_timer.cancel()
        self.telephony.end_from_near(call.leg)

    # --- the caller hangs up -----------------------------------------------------------------------------

    def caller_hung_up(self, call: QueueCall) -> None:
        """The caller's channel is hanging up while in the queue or bridged to an agent."""
        if call.check_timer is not None:
            call.check_timer.cancel()
        if call.phase is Phase.CONNECTED and call.connected is not None:
            self._complete(call, call.connected, "caller")
            self._leave_bridge(call, call.channel, 1)
        elif call.phase is not Phase.DONE:
            if call.phase is Phase.RINGING:
                self._music_on_hold(call, on=False)
                for attempt in call.attempts:
                    self._end_attempt_channels(call, attempt, "CANCEL", dial_ends=2)
            self._record_abandoned(call)
            self._leave(call)

    def caller_gone(self, call: QueueCall) -> None:
        """After the caller's channel is gone: the agent's side follows."""
        if call.phase is Phase.CONNECTED and call.connected is not None:
            attempt = call.connected
            for timer in attempt.timers:
                timer.cancel()
            leg = attempt.leg
            self._leave_bridge(call, leg.near, 0)
            self._bridge_event("BridgeDestroy", call, 0)
            if leg.far is not None:
                self.bus.hangup_request(leg.far, soft=False, cause=16)
            self.telephony.hangup(leg.near, 16)
            if leg.far is not None:
                self.bus.hangup_request(leg.far, soft=True, cause=16)
                self.telephony.hangup(leg.far, 16)
            self.telephony.drop(leg)
            self._member_done(attempt.member)
        elif call.phase is Phase.RINGING:
            for attempt in call.attempts:
                self._release_attempt(attempt)
        call.attempts.clear()
        call.phase = Phase.DONE
