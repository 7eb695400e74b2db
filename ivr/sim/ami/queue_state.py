"""What a queue keeps: its configuration, its counters and running averages, and the callers in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from ivr.sim.ami.channels import PbxChannel
from ivr.sim.ami.clock import Timer
from ivr.sim.ami.handling import HandlingTime, LogNormal
from ivr.sim.ami.members import Agent, Member
from ivr.sim.ami.telephony import Leg

DEFAULT_TALK = LogNormal(240.0)
STRATEGIES = ("ringall", "linear", "leastrecent", "fewestcalls", "random", "rrmemory")


@dataclass(frozen=True)
class QueueConfig:
    """A queues.conf queue. Announcements are off unless `announce_frequency_s` is set (the project turns
    app_queue's own announce-holdtime off); when on, each one keeps the caller busy for `announcement_s`."""

    name: str
    members: tuple[Agent, ...] = ()
    strategy: str = "ringall"
    talk: HandlingTime = DEFAULT_TALK
    member_timeout_s: float = 15.0
    retry_s: float = 5.0
    wrapup_s: int = 0
    service_level_s: int = 0
    weight: int = 0
    max_callers: int = 0
    announce_frequency_s: int = 0
    min_announce_frequency_s: int = 15
    announcement_s: float = 7.0

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {self.strategy!r}; use one of {', '.join(STRATEGIES)}")


class Phase(Enum):
    WAITING = "waiting"
    ANNOUNCING = "announcing"
    RINGING = "ringing"
    CONNECTED = "connected"
    DONE = "done"


@dataclass
class Attempt:
    """One member being rung for one caller."""

    member: Member
    leg: Leg
    started: float
    timers: list[Timer] = field(default_factory=list)

    @property
    def channel(self) -> PbxChannel:
        return self.leg.near


class CallerHandler(Protocol):
    """The queue's side of a caller's hang-up (CallQueue)."""

    def caller_hung_up(self, call: QueueCall) -> None: ...

    def caller_gone(self, call: QueueCall) -> None: ...


@dataclass
class QueueCall:
    """A caller in (or served by) the queue: app_queue's queue_ent, and the activity of the caller's leg."""

    queue: CallerHandler
    leg: Leg
    priority: int
    joined_at: int
    """Epoch second of the join (qe->start)."""
    position: int = 0
    original_position: int = 0
    expires_at: float | None = None
    phase: Phase = Phase.WAITING
    music_on_hold: bool = False
    last_announced_at: int = 0
    last_announced_position: int = 0
    attempts: list[Attempt] = field(default_factory=list)
    connected: Attempt | None = None
    bridge_id: str = ""
    check_timer: Timer | None = None

    @property
    def channel(self) -> PbxChannel:
        return self.leg.near

    @property
    def ringing(self) -> bool:
        """app_queue's qe->pending: callers being rung do not count ahead of others."""
        return self.phase is Phase.RINGING

    def interrupted(self) -> None:
        self.queue.caller_hung_up(self)

    def channel_gone(self) -> None:
        self.queue.caller_gone(self)


@dataclass
class QueueStats:
    holdtime: int = 0
    talktime: int = 0
    completed: int = 0
    abandoned: int = 0
    completed_in_service_level: int = 0
    abandoned_in_service_level: int = 0

    def record_hold(self, seconds: int) -> None:
        """recalc_holdtime: the first value as it is, then new = (3*old + last) / 4 in integers."""
        if self.completed + self.abandoned == 0:
            self.holdtime = seconds
        else:
            self.holdtime = (3 * self.holdtime + seconds) >> 2

    def record_talk(self, seconds: int) -> None:
        """update_queue: the same running average for talk time, counted over completed calls."""
        self.completed += 1
        self.talktime = seconds if self.completed == 1 else (3 * self.talktime + seconds) >> 2

    def service_level_percent(self) -> float:
        return 100 * self.completed_in_service_level / self.completed if self.completed else 0.0

    def service_level_percent_with_abandoned(self) -> float:
        handled = self.completed + self.abandoned
        inside = self.completed_in_service_level + self.abandoned_in_service_level
        return 100 * inside / handled if handled else 0.0
