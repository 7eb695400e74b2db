"""The live state of one Asterisk queue as AMI `QueueStatus` reports it: QueueParams, QueueMember, QueueEntry.

Field names and codes are those a real Asterisk 20 writes (`tests/fixtures/asterisk-transcripts/ami-C*.txt`).
`QueueMember` has no "busy since" field: when the caller tracks `AgentConnect` events it can pass the answer
times in `busy_since`, and the estimator then uses how long each call has already lasted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

AmiEvent = Mapping[str, str]


class DeviceStatus(IntEnum):
    """Asterisk's `ast_device_state`, the `Status` field of QueueMember events."""

    UNKNOWN = 0
    NOT_INUSE = 1
    INUSE = 2
    BUSY = 3
    INVALID = 4
    UNAVAILABLE = 5
    RINGING = 6
    RINGINUSE = 7
    ONHOLD = 8


_LOGGED_OUT = frozenset({DeviceStatus.INVALID, DeviceStatus.UNAVAILABLE})
_BUSY = frozenset({DeviceStatus.INUSE, DeviceStatus.BUSY, DeviceStatus.RINGINUSE, DeviceStatus.ONHOLD})


class SnapshotError(ValueError):
    """An AMI event that cannot be read as part of a queue's status."""


@dataclass(frozen=True)
class MemberState:
    interface: str  # `Location` in QueueStatus, `Interface` in member events
    name: str
    status: DeviceStatus
    paused: bool
    in_call: bool  # app_queue's `InCall`: the member has answered a caller from this queue
    busy_since: float | None = None  # epoch seconds the current call was answered, when known
    paused_since: float | None = None  # epoch seconds of the current pause (`LastPause`), when paused
    wrapup_s: float = 0.0  # the queue's wrap-up time: unavailable this long after each call

    @property
    def logged_in(self) -> bool:
        return self.status not in _LOGGED_OUT

    @property
    def can_take_calls(self) -> bool:
        """Staffed: logged in and not paused (a paused member finishing a call will not take the next)."""
        return self.logged_in and not self.paused

    @property
    def busy(self) -> bool:
        # A member that is only RINGING is being offered the caller at the head: about to serve, not busy.
        return self.in_call or self.status in _BUSY


@dataclass(frozen=True)
class WaitingCaller:
    position: int  # 1 = next to be served
    waited_s: float
    uniqueid: str = ""


@dataclass(frozen=True)
class QueueSnapshot:
    queue: str
    members: tuple[MemberState, ...]
    callers: tuple[WaitingCaller, ...]  # in queue order
    taken_at: float | None = None  # epoch seconds
    holdtime_s: int = 0  # app_queue's own moving average of waits (QueueParams `Holdtime`)
    talktime_s: int = 0
    completed: int = 0
    abandoned: int = 0

    @property
    def logged_in(self) -> tuple[MemberState, ...]:
        return tuple(member for member in self.members if member.logged_in)

    @property
    def staffed(self) -> tuple[MemberState, ...]:
        return tuple(member for member in self.members if member.can_take_calls)

    @property
    def free(self) -> tuple[MemberState, ...]:
        return tuple(member for member in self.staffed if not member.busy)

    @property
    def waiting(self) -> int:
        return len(self.callers)


def snapshot_from_queue_status(
    params: AmiEvent,
    members: Sequence[AmiEvent],
    entries: Sequence[AmiEvent],
    *,
    taken_at: float | None = None,
    busy_since: Mapping[str, float] | None = None,
) -> QueueSnapshot:
    """Builds the snapshot from the events of one `QueueStatus` response for one queue.

    `busy_since` maps a member's interface to the epoch time its current call was answered (from
    `AgentConnect`); it is used only for members that are in a call.
    """
    _expect_event(params, "QueueParams")
    queue = _field(params, "Queue")
    answered_at = busy_since or {}
    member_states = tuple(_member(event, queue, answered_at) for event in members)
    callers = tuple(sorted((_caller(event, queue) for event in entries), key=lambda c: c.position))
    return QueueSnapshot(
        queue=queue,
        members=member_states,
        callers=callers,
        taken_at=taken_at,
        holdtime_s=_int(params, "Holdtime", default=0),
        talktime_s=_int(params, "TalkTime", default=0),
        completed=_int(params, "Completed", default=0),
        abandoned=_int(params, "Abandoned", default=0),
    )


def _member(event: AmiEvent, queue: str, answered_at: Mapping[str, float]) -> MemberState:
    _expect_event(event, "QueueMember")
    _expect_queue(event, queue)
    interface = event.get("Location") or _field(event, "Interface")
    code = _int(event, "Status")
    try:
        status = DeviceStatus(code)
    except ValueError:
        raise SnapshotError(f"QueueMember {interface}: unknown Status {code} (expected 0–8)") from None
    in_call = _flag(event, "InCall")
    paused = _flag(event, "Paused")
    last_pause = _int(event, "LastPause", default=0)
    return MemberState(
        interface=interface,
        name=event.get("Name") or event.get("MemberName") or interface,
        status=status,
        paused=paused,
        in_call=in_call,
        busy_since=answered_at.get(interface) if in_call else None,
        paused_since=float(last_pause) if paused and last_pause > 0 else None,
        wrapup_s=float(_int(event, "Wrapuptime", default=0)),
    )


def _caller(event: AmiEvent, queue: str) -> WaitingCaller:
    _expect_event(event, "QueueEntry")
    _expect_queue(event, queue)
    position = _int(event, "Position")
    if position < 1:
        raise SnapshotError(f"QueueEntry: Position {position} (positions start at 1)")
    return WaitingCaller(
        position=position, waited_s=float(_int(event, "Wait")), uniqueid=event.get("Uniqueid", "")
    )


def _expect_event(event: AmiEvent, name: str) -> None:
    found = event.get("Event")
    if found != name:
        raise SnapshotError(f"expected a {name} event, got {found or 'a message without Event'}")


def _expect_queue(event: AmiEvent, queue: str) -> None:
    found = _field(event, "Queue")
    if found != queue:
        raise SnapshotError(f"{event.get('Event')} for queue {found!r} in the status of queue {queue!r}")


def _field(event: AmiEvent, name: str) -> str:
    value = event.get(name)
    if value is None or value == "":
        raise SnapshotError(f"{event.get('Event', 'AMI event')} has no {name} field")
    return value


def _int(event: AmiEvent, name: str, default: int | None = None) -> int:
    raw = event.get(name)
    if raw is None or raw.strip() == "":
        if default is None:
            raise SnapshotError(f"{event.get('Event', 'AMI event')} has no {name} field")
        return default
    try:
        return int(raw)
    except ValueError:
        raise SnapshotError(
            f"{event.get('Event', 'AMI event')} {name}: {raw!r} is not a whole number"
        ) from None


def _flag(event: AmiEvent, name: str) -> bool:
    return _int(event, name, default=0) != 0
