"""Manager privilege classes: which write class an action needs, and which event masks exist.

From Asterisk 20's registrations (main/manager.c, apps/app_queue.c). Asterisk runs an action when the user's
`write=` holds ANY of its classes; an action with no class is open to every logged-in user (QueueStatus
is, as ami-A shows for a user with only write=originate). Before login every action but Login answers
`Permission denied`.
"""

from __future__ import annotations

from ivr.ami.errors import AMIActionError, AMIPermissionError
from ivr.ami.messages import AMIResponse

WRITE_CLASSES: dict[str, tuple[str, ...]] = {
    "ping": (),
    "login": (),
    "logoff": (),
    "events": (),
    "challenge": (),
    "listcommands": (),
    "waitevent": (),
    "queuestatus": (),
    "queuesummary": (),
    "queues": (),
    "queuerule": (),
    "originate": ("originate",),
    "command": ("command",),
    "getvar": ("call", "reporting"),
    "setvar": ("call",),
    "redirect": ("call",),
    "atxfer": ("call",),
    "hangup": ("system", "call"),
    "status": ("system", "call", "reporting"),
    "coreshowchannels": ("system", "reporting"),
    "corestatus": ("system", "reporting"),
    "coresettings": ("system", "reporting"),
    "queuepause": ("agent",),
    "queueadd": ("agent",),
    "queueremove": ("agent",),
    "queuepenalty": ("agent",),
    "queuelog": ("agent",),
    "userevent": ("user",),
}

EVENT_CLASSES = frozenset(
    {
        "system", "call", "log", "verbose", "command", "agent", "user", "config", "dtmf", "reporting",
        "cdr", "dialplan", "originate", "agi", "cc", "aoc", "test", "security", "message", "all",
    }
)  # fmt: skip

PERMISSION_DENIED = "Permission denied"


def normalise_event_mask(mask: str) -> str:
    """`on`, `off`, or a comma list of event classes (e.g. "call,agent"); ValueError for anything else."""
    cleaned = mask.strip().lower()
    if cleaned in ("on", "off"):
        return cleaned
    classes = [part.strip() for part in cleaned.split(",")]
    unknown = [part for part in classes if part not in EVENT_CLASSES]
    if not cleaned or unknown:
        known = ", ".join(sorted(EVENT_CLASSES))
        raise ValueError(f"invalid AMI event mask {mask!r}: use 'on', 'off' or a comma list of {known}")
    return ",".join(classes)


def error_for(action: str, response: AMIResponse, username: str | None = None) -> AMIActionError:
    """The error for a refused action; `Permission denied` says which write class the user lacks."""
    if response.message != PERMISSION_DENIED:
        return AMIActionError(action, response)
    required = WRITE_CLASSES.get(action.lower())
    user = f"manager user {username!r}" if username else "manager user"
    if required is None:
        detail = (
            f"Asterisk denied {action}: the {user} lacks its write class in manager.conf "
            f"('manager show command {action}' on the Asterisk CLI names the privilege it needs)"
        )
    elif not required:
        detail = f"Asterisk denied {action}, which needs no write class: the session is not logged in"
    else:
        detail = f"Asterisk denied {action}: the {user} needs write={' or '.join(required)} in manager.conf"
    return AMIPermissionError(action, response, detail, required)
