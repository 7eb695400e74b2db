"""Shared helpers of the estimate tests: AMI messages from the recorded transcripts, states."""

from __future__ import annotations

import re
from pathlib import Path

from ivr.queueing.handling import HandlingPrior, HandlingStats
from ivr.queueing.snapshot import DeviceStatus, MemberState, QueueSnapshot, WaitingCaller

TRANSCRIPTS = Path(__file__).resolve().parent.parent / "fixtures" / "asterisk-transcripts"
_FROM_ASTERISK = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} \[c\d+\] << ?(.*)$")

AmiMessage = dict[str, str]


def ami_messages(name: str) -> list[AmiMessage]:
    """Every message Asterisk sent in a recorded AMI transcript, in order, as field dictionaries."""
    messages: list[AmiMessage] = []
    current: AmiMessage = {}
    for line in (TRANSCRIPTS / name).read_text().splitlines():
        match = _FROM_ASTERISK.match(line)
        if match is None:
            continue
        content = match.group(1)
        if content == "":
            if current:
                messages.append(current)
            current = {}
        elif ": " in content:
            key, value = content.split(": ", 1)
            current[key] = value
    return messages


def queue_status_events(name: str, action_id: str) -> tuple[AmiMessage, list[AmiMessage], list[AmiMessage]]:
    """The QueueParams, QueueMember and QueueEntry events of one recorded QueueStatus response."""
    events = [m for m in ami_messages(name) if m.get("ActionID") == action_id and "Event" in m]
    params = [e for e in events if e["Event"] == "QueueParams"]
    assert len(params) == 1, f"{action_id}: {len(params)} QueueParams events"
    members = [e for e in events if e["Event"] == "QueueMember"]
    entries = [e for e in events if e["Event"] == "QueueEntry"]
    return params[0], members, entries


def member(
    name: str,
    *,
    busy_since: float | None = None,
    in_call: bool = False,
    paused: bool = False,
    status: DeviceStatus | None = None,
) -> MemberState:
    busy = in_call or busy_since is not None
    return MemberState(
        interface=f"PJSIP/{name}",
        name=name,
        status=status if status is not None else (DeviceStatus.INUSE if busy else DeviceStatus.NOT_INUSE),
        paused=paused,
        in_call=busy,
        busy_since=busy_since,
    )


def snapshot(*members: MemberState, waiting: int = 0) -> QueueSnapshot:
    callers = tuple(WaitingCaller(position=i + 1, waited_s=10.0 * (waiting - i)) for i in range(waiting))
    return QueueSnapshot(queue="kontaktcenter", members=members, callers=callers)


def fixed_stats(
    handling_s: list[float],
    *,
    patience_mean_s: float = 1e12,
    pause_mean_s: float = 900.0,
    pauses_s: list[float] | None = None,
    pauses_per_call: float = 0.0,
) -> HandlingStats:
    """Statistics as if exactly these calls (and pauses) had been seen; no abandons or pauses unless asked.

    Without `pauses_s` the pauses are exponential with mean `pause_mean_s`.
    """
    prior = HandlingPrior(weight=0, pause_weight=0, pause_mean_s=pause_mean_s)
    return HandlingStats(
        queue="kontaktcenter",
        completions=len(handling_s),
        abandons_seen=0,
        talk_mean_s=sum(handling_s) / len(handling_s),
        talk_std_s=0.0,
        hold_mean_s=0.0,
        patience_mean_s=patience_mean_s,
        pause_mean_s=pause_mean_s if pauses_s is None else sum(pauses_s) / len(pauses_s),
        pauses_per_call=pauses_per_call,
        recent_talk_s=tuple(handling_s),
        recent_pause_s=tuple(pauses_s if pauses_s is not None else prior.pause_quantiles(200)),
        prior=prior,
    )
