"""The live state of Asterisk queues over AMI: a `QueueSnapshot` per queue, kept current from events.

`LiveQueues` loads each queue with QueueStatus, then follows the queue events (callers joining and leaving,
agents rung, connected and done, members' status, pauses, additions and removals). Asterisk never replays
what a client missed, so on any notice of a gap (`ConnectionLost`, `Reconnected`, `EventsDropped`) it asks
QueueStatus again, and also every `refresh_s` as a safety net and whenever an event does not fit (an odd
field, a `Count` that disagrees with the callers it knows). While the connection is down a queue's state is
unknown: `snapshot` says None, and the dialer sees no free agent.

It serves the dialer (`QueueView`: `waiting_since`, `free_agents`) and the inbound app (`snapshot`, `stats`),
tells an optional observer how each caller left the queue (`QueueWait`: answered or abandoned, and when),
and hands the events that teach handling times (AgentComplete, QueueCallerAbandon, the end of a pause) to the
Redis store. That store counts every event it is given, so only one process per Asterisk should learn
(`learn=True`); the others follow the queues with `learn=False`.

Precise join times come from the events' `Timestamp` (manager.conf `timestampevents = yes`); a caller first
seen in QueueStatus joined `Wait` whole seconds before it was asked. Times are epoch seconds of `clock`,
which must agree with Asterisk's (NTP on both hosts).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from ivr.ami import (
    AMIClient,
    AMIConnectionError,
    AMIError,
    AMIEvent,
    AMIListResponse,
    AMINotice,
    ConnectionLost,
    EventStream,
    StreamItem,
)
from ivr.queueing.handling import HandlingStats, RedisHandlingStore
from ivr.queueing.snapshot import DeviceStatus, QueueSnapshot, SnapshotError, snapshot_from_queue_status

log = logging.getLogger(__name__)

RETRY_S = 1.0  # after a QueueStatus that failed (connection down, timeout), ask again this much later
QUEUE_EVENTS = (
    "QueueCallerJoin",
    "QueueCallerLeave",
    "QueueCallerAbandon",
    "AgentCalled",
    "AgentConnect",
    "AgentComplete",
    "QueueMemberStatus",
    "QueueMemberPause",
    "QueueMemberAdded",
    "QueueMemberRemoved",
)
Clock = Callable[[], float]
Fields = dict[str, str]


@dataclass(frozen=True)
class WaitingEntry:
    """A caller waiting in a queue as we know it: its channel's uniqueid and when it joined (epoch s)."""

    uniqueid: str
    joined_at: float


@dataclass
class QueueState:
    """One queue as QueueStatus would show it now: the raw QueueParams and QueueMember fields (members by
    interface), the callers in queue order, and when each member's current call was answered."""

    queue: str
    params: Fields
    members: dict[str, Fields]
    callers: list[WaitingEntry]
    busy_since: dict[str, float] = field(default_factory=dict)

    def copy(self) -> QueueState:
        # Shallow: handlers replace a member's fields as a whole, never change them in place.
        return QueueState(
            self.queue, self.params, dict(self.members), list(self.callers), dict(self.busy_since)
        )

    def snapshot(self, now: float) -> QueueSnapshot:
        """The snapshot at `now`; SnapshotError when a field cannot be read."""
        entries = [
            {
                "Event": "QueueEntry",
                "Queue": self.queue,
                "Position": str(position),
                "Uniqueid": caller.uniqueid,
                "Wait": str(max(0, int(now - caller.joined_at))),
            }
            for position, caller in enumerate(self.callers, start=1)
        ]
        return snapshot_from_queue_status(
            self.params, list(self.members.values()), entries, taken_at=now, busy_since=self.busy_since
        )


@dataclass(frozen=True)
class QueueWait:
    """How one caller left a queue: answered by an agent (AgentConnect) or abandoned (QueueCallerAbandon),
    after `wait_s` seconds in it (the event's HoldTime); `at` is the event's time (epoch s)."""

    uniqueid: str
    queue: str
    outcome: Literal["answered", "abandoned"]
    wait_s: float
    at: float


WaitObserver = Callable[[QueueWait], None]
_WAIT_OUTCOMES: Mapping[str, Literal["answered", "abandoned"]] = {
    "AgentConnect": "answered",
    "QueueCallerAbandon": "abandoned",
}


class EventMismatch(ValueError):
    """An event that does not fit the state it should change: events were missed."""


@dataclass(frozen=True, eq=False)
class _Barrier(AMINotice):
    """Put behind the events already received; `caught_up` waits until the consumer reaches it."""

    reached: asyncio.Future[None]


class LiveQueues:
    """A current `QueueSnapshot` of each of `queues`, from QueueStatus and the AMI events that follow."""

    def __init__(
        self,
        ami: AMIClient,
        handling: RedisHandlingStore,
        queues: Sequence[str],
        *,
        refresh_s: float = 10.0,
        clock: Clock = time.time,
        learn: bool = True,
        on_wait: WaitObserver | None = None,
    ) -> None:
        """`on_wait` is told how each caller left one of `queues` (see `observe_waits`)."""
        if not queues:
            raise ValueError("LiveQueues needs at least one queue")
        if refresh_s <= 0:
            raise ValueError(f"refresh_s must be positive, got {refresh_s}")
        _check_event_mask(ami.event_mask)
        self._ami = ami
        self._handling = handling
        self.queues = tuple(dict.fromkeys(queues))
        self._refresh_s = refresh_s
        self._clock = clock
        self._learn = learn
        self._on_wait = on_wait
        self._states: dict[str, QueueState | None] = dict.fromkeys(self.queues)
        self._dirty: set[str] = set()
        self._missing: set[str] = set()  # queues QueueStatus did not show (warned once)
        self._refresh_at = 0.0  # loop time of the next full resynchronisation
        self._retry_at = 0.0  # after a QueueStatus that failed, not before this loop time
        self._stream: EventStream | None = None
        self._task: asyncio.Task[None] | None = None
        self._learning_failed = False
        self._barriers: set[asyncio.Future[None]] = set()
        self._gave_up = asyncio.Event()
        self.gave_up_reason: str | None = None  # why the AMI client stopped reconnecting, when it did
        self.resyncs = 0  # QueueStatus answers applied, for the curious (and the tests)

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe to the queue events and load every queue (one that cannot be loaded now is retried)."""
        if self._task is not None:
            return
        self._stream = self._ami.events(QUEUE_EVENTS)
        await self._resync(self.queues)
        self._task = asyncio.create_task(self._run(self._stream), name="live-queues")

    async def stop(self) -> None:
        if self._stream is not None:
            self._stream.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._stream = None
        for barrier in self._barriers:
            barrier.cancel()

    async def __aenter__(self) -> LiveQueues:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def caught_up(self) -> None:
        """Returns once every event Asterisk sent before this call has been applied (and any resync that was
        due is done). Raises AMIError when Asterisk cannot be asked."""
        if self._stream is None or self._task is None:
            raise RuntimeError("LiveQueues is not started")
        await self._ami.ping()  # Asterisk answers after the events it sent before it
        reached = asyncio.get_running_loop().create_future()
        self._barriers.add(reached)
        try:
            self._stream.put(_Barrier(reached))
            await reached
        finally:
            self._barriers.discard(reached)

    def observe_waits(self, observer: WaitObserver | None) -> None:
        """Call `observer` (on the event loop; it must not block) for each caller who leaves one of `queues`
        answered or abandoned, with the HoldTime Asterisk reports. None stops telling."""
        self._on_wait = observer

    async def wait_gave_up(self) -> str:
        """Returns when the AMI client has stopped reconnecting for good (its login was refused): why."""
        await self._gave_up.wait()
        return self.gave_up_reason or "the AMI client gave up"

    # -- what the dialer and the inbound app ask -----------------------------------------------------------

    async def snapshot(self, queue: str) -> QueueSnapshot | None:
        """The queue as it is now; None while it is not known (not loaded yet, connection down, not in
        Asterisk, or not one of `queues`)."""
        state = self._states.get(queue)
        if state is None:
            return None
        try:
            return state.snapshot(self._clock())
        except SnapshotError as error:  # validated when applied; kept as a safe fallback
            log.error("queue %s: its state cannot be read (%s); resynchronising", queue, error)
            self._forget(queue)
            return None

    async def stats(self, queue: str) -> HandlingStats:
        """Handling times learned for `queue` (from Redis, shared by every process)."""
        return await self._handling.stats(queue)

    async def waiting_since(self, queue: str) -> list[datetime]:
        """When each caller now waiting in `queue` joined it, in queue order; [] when the queue is unknown."""
        state = self._states.get(queue)
        if state is None:
            return []
        return [datetime.fromtimestamp(caller.joined_at, UTC) for caller in state.callers]

    async def free_agents(self, queue: str) -> int:
        """Members logged in, not paused, not on a call and not being rung; 0 when the queue is unknown."""
        snapshot = await self.snapshot(queue)
        if snapshot is None:
            return 0
        return sum(1 for member in snapshot.free if member.status is not DeviceStatus.RINGING)

    # -- the event loop ------------------------------------------------------------------------------------

    async def _run(self, stream: EventStream) -> None:
        while True:
            try:
                item = await self._next(stream)
                if item is not None:
                    await self._handle(item)
            except StopAsyncIteration:  # the AMI client closed
                return
            except Exception:  # a bug must not end the view: log it and look again
                log.exception("live queues: an AMI event or notice could not be handled; resynchronising")
                self._dirty.update(self.queues)

    async def _next(self, stream: EventStream) -> StreamItem | None:
        """The next item; resynchronises first when due (every `refresh_s`, or idle with queues in doubt).
        None when the wait ran into the next refresh."""
        loop = asyncio.get_running_loop()
        if loop.time() >= self._refresh_at:
            await self._resync(self.queues)
        item = stream.get_nowait()
        if item is not None:
            return item
        if self._dirty and loop.time() >= self._retry_at:
            await self._resync(sorted(self._dirty))
        try:
            async with asyncio.timeout(max(0.0, self._refresh_at - loop.time())):
                return await stream.get()
        except TimeoutError:
            return None

    async def _handle(self, item: StreamItem) -> None:
        if isinstance(item, _Barrier):
            if self._dirty:
                await self._resync(sorted(self._dirty))
            if not item.reached.done():
                item.reached.set_result(None)
        elif isinstance(item, AMINotice):
            self._on_notice(item)
        else:
            self._apply(item)
            self._tell_wait(item)
            if self._learn and item.get("Queue") in self._states:
                await self._learn_from(item)

    def _on_notice(self, notice: AMINotice) -> None:
        loop_now = asyncio.get_running_loop().time()
        if isinstance(notice, ConnectionLost):
            for queue in self.queues:
                self._forget(queue)
            self._refresh_at = loop_now + RETRY_S
            if notice.reconnecting:
                log.warning("AMI connection lost (%s): queue states unknown until it is back", notice.reason)
            else:
                log.error("AMI connection lost for good (%s): queue states unknown", notice.reason)
                self.gave_up_reason = notice.reason
                self._gave_up.set()
        else:
            log.info("AMI events were missed (%s): asking QueueStatus again", type(notice).__name__)
            self._dirty.update(self.queues)
            self._refresh_at = loop_now

    def _apply(self, event: AMIEvent) -> None:
        queue = event.get("Queue") or ""
        state = self._states.get(queue)
        if state is None:
            return  # not ours, or unknown until the next QueueStatus
        now = self._clock()
        try:
            changed = apply_event(state, event, now)
            changed.snapshot(now)  # every field must stay readable
        except (EventMismatch, SnapshotError, ValueError, KeyError) as error:
            log.warning("queue %s: %s does not fit (%s); resynchronising", queue, event.name, error)
            self._dirty.add(queue)
            return
        self._states[queue] = changed

    def _tell_wait(self, event: AMIEvent) -> None:
        outcome = _WAIT_OUTCOMES.get(event.name)
        queue = event.get("Queue") or ""
        if outcome is None or self._on_wait is None or queue not in self._states:
            return
        try:
            wait = QueueWait(
                uniqueid=_required(event, "Uniqueid"),
                queue=queue,
                outcome=outcome,
                wait_s=float(_number(event.get("HoldTime"), "HoldTime")),
                at=_timestamp(event, self._clock()),
            )
        except (KeyError, ValueError) as error:
            log.warning(
                "queue %s: the wait of a caller cannot be read from %s (%s)", queue, event.name, error
            )
            return
        try:
            self._on_wait(wait)
        except Exception:  # the observer's failure must not stop the queue view
            log.exception("queue %s: the wait observer failed for %s", queue, wait.uniqueid)

    async def _learn_from(self, event: AMIEvent) -> None:
        try:
            await self._handling.record_event(event.to_dict())
        except ValueError as error:
            log.warning("handling statistics: ignoring %s (%s)", event.name, error)
        except Exception as error:  # Redis away: the queue view goes on; learning resumes with Redis
            if not self._learning_failed:
                log.warning("handling statistics: cannot record %s (%s)", event.name, error)
            self._learning_failed = True
            return
        if self._learning_failed:
            log.info("handling statistics: recording again")
            self._learning_failed = False

    # -- QueueStatus -----------------------------------------------------------------------------------------

    async def _resync(self, queues: Sequence[str]) -> None:
        loop = asyncio.get_running_loop()
        all_queues = set(queues) == set(self.queues)
        failed = False
        for queue in queues:
            try:
                status = await self._ami.action_list("QueueStatus", "QueueStatusComplete", Queue=queue)
            except AMIConnectionError as error:  # reconnecting: Reconnected will bring a resync
                log.debug("queue %s: QueueStatus not sent (%s)", queue, error)
                failed = True
                continue
            except AMIError as error:
                log.warning("queue %s: QueueStatus failed (%s); trying again", queue, error)
                failed = True
                continue
            self._load(queue, status)
        if failed:
            self._retry_at = self._refresh_at = loop.time() + RETRY_S  # then every queue again
        elif all_queues:
            self._refresh_at = loop.time() + self._refresh_s

    def _load(self, queue: str, status: AMIListResponse) -> None:
        self._dirty.discard(queue)
        now = self._clock()
        try:
            state = state_from_status(queue, status, now, previous=self._states.get(queue))
            if state is not None:
                state.snapshot(now)
        except (SnapshotError, ValueError, KeyError) as error:
            log.error("queue %s: QueueStatus cannot be read (%s); trying again later", queue, error)
            self._states[queue] = None
            return
        self.resyncs += 1
        self._states[queue] = state
        if state is None and queue not in self._missing:
            log.warning(
                "queue %s is not in Asterisk's QueueStatus: check queues.conf and the queue names in "
                "the inbound settings",
                queue,
            )
            self._missing.add(queue)
        elif state is not None:
            self._missing.discard(queue)

    def _forget(self, queue: str) -> None:
        self._states[queue] = None
        self._dirty.add(queue)


def _check_event_mask(mask: str) -> None:
    classes = mask.split(",")
    if mask == "off" or (mask != "on" and "agent" not in classes):
        raise ValueError(
            f"LiveQueues needs the AMI 'agent' event class (queue events), but the client asks for "
            f"{mask!r}: add agent to IVR_AMI_EVENTS (and read=agent for the user in manager.conf)"
        )


# -- the state from QueueStatus ----------------------------------------------------------------------------


def state_from_status(
    queue: str, status: AMIListResponse, now: float, *, previous: QueueState | None = None
) -> QueueState | None:
    """The queue's state from its QueueStatus answer; None when Asterisk has no such queue. Callers and calls
    known from `previous` keep their precise join and answer times."""
    params = [event for event in status.of("QueueParams") if event.get("Queue") == queue]
    if not params:
        return None
    known_joins = {caller.uniqueid: caller.joined_at for caller in previous.callers} if previous else {}
    answered = previous.busy_since if previous else {}
    members: dict[str, Fields] = {}
    for event in status.of("QueueMember"):
        if event.get("Queue") == queue:
            fields = event.to_dict()
            members[_interface(fields)] = fields
    entries = sorted(
        (event for event in status.of("QueueEntry") if event.get("Queue") == queue),
        key=lambda event: _number(event.get("Position"), "Position"),
    )
    callers = [
        WaitingEntry(
            uniqueid=event.get("Uniqueid") or "",
            joined_at=known_joins.get(event.get("Uniqueid") or "", now - _number(event.get("Wait"), "Wait")),
        )
        for event in entries
    ]
    busy_since = {
        interface: answered[interface]
        for interface, fields in members.items()
        if interface in answered and fields.get("InCall") == "1"
    }
    return QueueState(queue, params[0].to_dict(), members, callers, busy_since)


# -- events ------------------------------------------------------------------------------------------------


def apply_event(state: QueueState, event: AMIEvent, now: float) -> QueueState:
    """The state after `event` (a new object; `state` is left as it was). Raises EventMismatch when the event
    shows that something was missed, ValueError or KeyError when a field cannot be read."""
    handler = _HANDLERS.get(event.name)
    changed = state.copy()
    if handler is not None:
        handler(changed, event, _timestamp(event, now))
    return changed


def _caller_join(state: QueueState, event: AMIEvent, at: float) -> None:
    uniqueid = _required(event, "Uniqueid")
    position = _number(event.get("Position"), "Position")
    state.callers = [caller for caller in state.callers if caller.uniqueid != uniqueid]
    index = min(max(0, position - 1), len(state.callers))
    state.callers.insert(index, WaitingEntry(uniqueid, at))
    _check_count(state, event)


def _caller_leave(state: QueueState, event: AMIEvent, at: float) -> None:
    uniqueid = _required(event, "Uniqueid")
    state.callers = [caller for caller in state.callers if caller.uniqueid != uniqueid]
    _check_count(state, event)


def _agent_connect(state: QueueState, event: AMIEvent, at: float) -> None:
    interface = _required(event, "Interface")
    state.members[interface] = {**_known_member(state, interface), "InCall": "1"}
    state.busy_since[interface] = at


def _agent_complete(state: QueueState, event: AMIEvent, at: float) -> None:
    interface = _required(event, "Interface")
    state.members[interface] = {**_known_member(state, interface), "InCall": "0"}
    state.busy_since.pop(interface, None)


def _member_changed(state: QueueState, event: AMIEvent, at: float) -> None:
    """QueueMemberStatus, QueueMemberPause, QueueMemberAdded: the member's whole record."""
    fields = _member_fields(event)
    interface = fields["Location"]
    known = interface in state.members
    state.members[interface] = fields
    if fields.get("InCall") != "1":
        state.busy_since.pop(interface, None)
    if not known and event.name != "QueueMemberAdded":
        raise EventMismatch(f"{interface} is not a member we know of")


def _member_removed(state: QueueState, event: AMIEvent, at: float) -> None:
    interface = _required(event, "Interface")
    state.members.pop(interface, None)
    state.busy_since.pop(interface, None)


def _nothing(state: QueueState, event: AMIEvent, at: float) -> None:
    """Events that teach the handling store but change nothing QueueStatus shows (AgentCalled: the member's
    own status event follows; QueueCallerAbandon: QueueCallerLeave follows)."""


_HANDLERS: Mapping[str, Callable[[QueueState, AMIEvent, float], None]] = {
    "QueueCallerJoin": _caller_join,
    "QueueCallerLeave": _caller_leave,
    "QueueCallerAbandon": _nothing,
    "AgentCalled": _nothing,
    "AgentConnect": _agent_connect,
    "AgentComplete": _agent_complete,
    "QueueMemberStatus": _member_changed,
    "QueueMemberPause": _member_changed,
    "QueueMemberAdded": _member_changed,
    "QueueMemberRemoved": _member_removed,
}


def _member_fields(event: AMIEvent) -> Fields:
    """A member event's fields under QueueStatus's names (QueueMember: `Location`, `Name`)."""
    fields = event.to_dict()
    interface = _required(event, "Interface")
    fields.update(
        {"Event": "QueueMember", "Location": interface, "Name": event.get("MemberName") or interface}
    )
    return fields


def _known_member(state: QueueState, interface: str) -> Fields:
    member = state.members.get(interface)
    if member is None:
        raise EventMismatch(f"{interface} is not a member we know of")
    return member


def _check_count(state: QueueState, event: AMIEvent) -> None:
    count = event.get("Count")
    if count is not None and _number(count, "Count") != len(state.callers):
        raise EventMismatch(f"Asterisk counts {count} callers, we know of {len(state.callers)}")


def _interface(fields: Mapping[str, str]) -> str:
    interface = fields.get("Location") or fields.get("Interface")
    if not interface:
        raise SnapshotError("QueueMember without Location")
    return interface


def _required(event: AMIEvent, name: str) -> str:
    value = event.get(name)
    if not value:
        raise KeyError(f"{event.name} has no {name}")
    return value


def _number(raw: str | None, name: str) -> int:
    if raw is None or not raw.strip().lstrip("-").isdigit():
        raise ValueError(f"{name} is not a whole number: {raw!r}")
    return int(raw)


def _timestamp(event: AMIEvent, now: float) -> float:
    """The event's own time (manager.conf timestampevents), else now."""
    raw = event.get("Timestamp")
    try:
        return float(raw) if raw else now
    except ValueError:
        return now
