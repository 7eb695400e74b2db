"""Originate: the fields of the action and the outcome read from its `OriginateResponse` event.

`Reason` is the last control frame Asterisk saw on the new channel (`enum ast_control_frame_type`,
include/asterisk/frame.h), 0 when none came; the texts are `ast_channel_reason2str()` (main/channel.c).
On a failure Asterisk reports the dial string as `Channel` and `Uniqueid: <unknown>` (ami-B).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

from ivr.ami.messages import AMIEvent
from ivr.ami.protocol import FieldValue

ASTERISK_DEFAULT_TIMEOUT_S = 30.0  # Originate's Timeout when none is given
UNKNOWN_UNIQUEID = "<unknown>"


class OriginateReason(IntEnum):
    FAILURE = 0  # no control frame: the channel could not be created or dialled
    HANGUP = 1
    RING = 2
    RINGING = 3  # still ringing when the Timeout ran out: no answer
    ANSWER = 4
    BUSY = 5
    CONGESTION = 8


REASON_TEXTS: dict[int, str] = {
    OriginateReason.FAILURE: "Call Failure (not BUSY, and not NO_ANSWER, maybe Circuit busy or down?)",
    OriginateReason.HANGUP: "Hangup",
    OriginateReason.RING: "Local Ring",
    OriginateReason.RINGING: "Remote end Ringing",
    OriginateReason.ANSWER: "Remote end has Answered",
    OriginateReason.BUSY: "Remote end is Busy",
    OriginateReason.CONGESTION: "Congestion (circuits busy)",
}


@dataclass(frozen=True, slots=True)
class OriginateResult:
    success: bool
    reason: int  # compare with OriginateReason
    reason_text: str
    channel: str  # the new channel's name, or the dial string when the call failed
    uniqueid: str | None  # None when Asterisk reports "<unknown>"
    event: AMIEvent


def originate_fields(
    channel: str,
    *,
    context: str | None,
    exten: str | None,
    priority: int | str | None,
    application: str | None,
    data: str | None,
    timeout_s: float | None,
    caller_id: str | None,
    variables: Mapping[str, str] | None,
    account: str | None,
    channel_id: str | None,
    other_channel_id: str | None,
) -> dict[str, FieldValue]:
    """The fields of an asynchronous Originate to a dialplan location or to an application."""
    if not channel:
        raise ValueError("Originate needs a channel (a dial string such as PJSIP/0701234567@trunk)")
    to_dialplan = (context, exten, priority)
    if application is not None:
        if any(part is not None for part in to_dialplan):
            raise ValueError("Originate goes to either an application or context/exten/priority, not both")
    elif any(part is None for part in to_dialplan):
        raise ValueError("Originate needs context, exten and priority (or an application)")
    if timeout_s is not None and timeout_s <= 0:
        raise ValueError(f"Originate timeout must be positive, not {timeout_s}")
    return {
        "Channel": channel,
        "Context": context,
        "Exten": exten,
        "Priority": None if priority is None else str(priority),
        "Application": application,
        "Data": data,
        "Timeout": None if timeout_s is None else round(timeout_s * 1000),
        "CallerID": caller_id,
        "Account": account,
        "ChannelId": channel_id,
        "OtherChannelId": other_channel_id,
        "Variable": _variable_lines(variables),
        "Async": True,
    }


def _variable_lines(variables: Mapping[str, str] | None) -> list[str] | None:
    if not variables:
        return None
    lines = []
    for name, value in variables.items():
        if not name or "=" in name:
            raise ValueError(f"invalid channel variable name {name!r}")
        lines.append(f"{name}={value}")
    return lines


def result_from(event: AMIEvent) -> OriginateResult:
    """The outcome carried by an `OriginateResponse` event."""
    reason = event.get_int("Reason")
    if reason is None:
        reason = OriginateReason.FAILURE
    uniqueid = event.get("Uniqueid")
    return OriginateResult(
        success=(event.get("Response") or "").lower() == "success",
        reason=reason,
        reason_text=REASON_TEXTS.get(reason, f"Unknown reason {reason}"),
        channel=event.get("Channel") or "",
        uniqueid=None if not uniqueid or uniqueid == UNKNOWN_UNIQUEID else uniqueid,
        event=event,
    )
