"""Queue members (agents) as app_queue keeps them, and the configuration they come from."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from ivr.sim.ami.handling import HandlingTime
from ivr.sim.ami.wire import Field


class MemberStatus(IntEnum):
    """ast_device_state values, as QueueMember/QueueMemberStatus print them."""

    UNKNOWN = 0
    NOT_INUSE = 1
    INUSE = 2
    BUSY = 3
    INVALID = 4
    UNAVAILABLE = 5
    RINGING = 6
    RINGINUSE = 7
    ONHOLD = 8


STATUS_TEXT = {
    MemberStatus.UNKNOWN: "Unknown",
    MemberStatus.NOT_INUSE: "Not in use",
    MemberStatus.INUSE: "In use",
    MemberStatus.BUSY: "Busy",
    MemberStatus.INVALID: "Invalid",
    MemberStatus.UNAVAILABLE: "Unavailable",
    MemberStatus.RINGING: "Ringing",
    MemberStatus.RINGINUSE: "Ring+Inuse",
    MemberStatus.ONHOLD: "On Hold",
}


@dataclass(frozen=True)
class Agent:
    """A static queue member (queues.conf `member =>`).

    `answers_after_s`: how long the agent's phone rings before they answer (None: never answers).
    `talk`: the agent's own handling time (the queue's when None). A Local/... interface shows INUSE (2)
    while it rings, as the recorded Asterisk does, never RINGING (6)."""

    interface: str
    name: str = ""
    answers_after_s: float | None = 3.0
    talk: HandlingTime | None = None
    paused: bool = False
    paused_reason: str = ""
    penalty: int = 0
    logged_in: bool = True
    """False: the device is unreachable, status UNAVAILABLE (5)."""


class Member:
    def __init__(self, agent: Agent, login_epoch: int) -> None:
        self.agent = agent
        self.interface = agent.interface
        self.name = agent.name or agent.interface
        self.penalty = agent.penalty
        self.paused = agent.paused
        self.paused_reason = agent.paused_reason if agent.paused else ""
        self.status = MemberStatus.NOT_INUSE if agent.logged_in else MemberStatus.UNAVAILABLE
        self.calls = 0
        self.last_call = 0
        self.last_pause = login_epoch if agent.paused else 0
        self.login_time = login_epoch
        self.call_started = 0
        """Epoch second the current call was bridged (app_queue's starttime); 0 when not in a call."""

    @property
    def in_call(self) -> bool:
        return self.call_started != 0

    def available(self, now_epoch: int, wrapup_s: int) -> bool:
        """is_member_available with ringinuse off: idle, not paused, not in wrap-up."""
        idle = self.status in (MemberStatus.NOT_INUSE, MemberStatus.UNKNOWN)
        in_wrapup = bool(self.last_call and wrapup_s and now_epoch - wrapup_s < self.last_call)
        return idle and not self.paused and not in_wrapup

    def blob(self, queue: str) -> list[Field]:
        """The fields of QueueMemberStatus and QueueMemberPause (queue_member_blob_create)."""
        return [
            ("Queue", queue),
            ("MemberName", self.name),
            ("Interface", self.interface),
            ("StateInterface", self.interface),
            ("Membership", "static"),
            ("Penalty", str(self.penalty)),
            ("CallsTaken", str(self.calls)),
            ("LastCall", str(self.last_call)),
            ("LastPause", str(self.last_pause)),
            ("LoginTime", str(self.login_time)),
            ("InCall", "1" if self.in_call else "0"),
            ("Status", str(int(self.status))),
            ("Paused", "1" if self.paused else "0"),
            ("PausedReason", self.paused_reason),
            ("Ringinuse", "0"),
            ("Wrapuptime", "0"),
        ]
