"""Manager permission classes, as manager.c and manager.conf know them.

A user has read classes (which events it may receive) and write classes (which actions it may run). An action
runs when the user's write classes share at least one bit with the action's authority, or the action needs
none (process_message). An event reaches a session when its event mask holds every bit of the event's
category (__manager_event_sessions_va); the mask is the Events: header of Login, or the Events action, always
limited to the user's read classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag


class Perm(IntFlag):
    SYSTEM = 1 << 0
    CALL = 1 << 1
    LOG = 1 << 2
    VERBOSE = 1 << 3
    COMMAND = 1 << 4
    AGENT = 1 << 5
    USER = 1 << 6
    CONFIG = 1 << 7
    DTMF = 1 << 8
    REPORTING = 1 << 9
    CDR = 1 << 10
    DIALPLAN = 1 << 11
    ORIGINATE = 1 << 12
    AGI = 1 << 13
    CC = 1 << 15
    AOC = 1 << 16
    TEST = 1 << 17
    SECURITY = 1 << 18
    MESSAGE = 1 << 30


ALL = 0x7FFFFFFF
"""INT_MAX: the "all" class holds every bit."""

LABELS: tuple[tuple[str, int], ...] = (
    ("system", Perm.SYSTEM),
    ("call", Perm.CALL),
    ("log", Perm.LOG),
    ("verbose", Perm.VERBOSE),
    ("command", Perm.COMMAND),
    ("agent", Perm.AGENT),
    ("user", Perm.USER),
    ("config", Perm.CONFIG),
    ("dtmf", Perm.DTMF),
    ("reporting", Perm.REPORTING),
    ("cdr", Perm.CDR),
    ("dialplan", Perm.DIALPLAN),
    ("originate", Perm.ORIGINATE),
    ("agi", Perm.AGI),
    ("cc", Perm.CC),
    ("aoc", Perm.AOC),
    ("test", Perm.TEST),
    ("security", Perm.SECURITY),
    ("message", Perm.MESSAGE),
    ("all", ALL),
)

_TRUE = {"yes", "true", "y", "t", "1", "on"}
_FALSE = {"no", "false", "n", "f", "0", "off"}

ACTION_AUTHORITY: dict[str, int] = {
    "login": 0,
    "logoff": 0,
    "ping": 0,
    "events": 0,
    "hangup": Perm.SYSTEM | Perm.CALL,
    "setvar": Perm.CALL,
    "getvar": Perm.CALL | Perm.REPORTING,
    "originate": Perm.ORIGINATE,
    "command": Perm.COMMAND,
    "coreshowchannels": Perm.SYSTEM | Perm.REPORTING,
    "queuestatus": 0,
    "queuesummary": 0,
    "queuepause": Perm.AGENT,
}
"""The actions the simulator knows (lower case) and the write classes they need: manager.c registers the
core actions, app_queue.c the Queue* actions (QueueStatus and QueueSummary need none)."""

_APPLICATION_WORDS = (
    "agi",
    "dbdeltree",
    "exec",
    "externalivr",
    "mixmonitor",
    "originate",
    "reload",
    "system",
)
"""Originate refuses an application whose name contains one of these unless the user may write "system"."""
_DATA_WORDS = ("CURL", "DB", "EVAL", "FILE", "ODBC", "REALTIME", "SHELL")
"""... and application data containing one of these (case matters)."""
QUEUE_AGI_ARGUMENT = 5


def labels_to_mask(text: str) -> int:
    """A comma list of class names as manager.conf writes them ("call,agent", "all")."""
    words = {word.strip().lower() for word in text.split(",")}
    mask = 0
    for label, bits in LABELS:
        if label in words:
            mask |= bits
    return mask


def event_mask(text: str) -> int | None:
    """The Events value (strings_to_mask): digits are a raw mask, on/off, or class names; None if empty."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if text.lower() in _FALSE:
        return 0
    if text.lower() in _TRUE:
        return ALL
    return labels_to_mask(text)


def privilege_text(category: int) -> str:
    """The Privilege: value of an event in that category, e.g. "call,all" (authority_to_str)."""
    names = [label for label, bits in LABELS if category & bits]
    return ",".join(names) or "<none>"


def may_originate_application(application: str, data: str, write_mask: int) -> bool:
    """is_originate_app_permitted: the first rule that matches decides."""
    lowered = application.lower()
    for word in _APPLICATION_WORDS:
        if word in lowered:
            return bool(write_mask & Perm.SYSTEM)
    arguments = data.split(",")
    if "queue" in lowered and len(arguments) > QUEUE_AGI_ARGUMENT and arguments[QUEUE_AGI_ARGUMENT]:
        return bool(write_mask & (Perm.AGI | Perm.SYSTEM))
    for word in _DATA_WORDS:
        if word in data:
            return bool(write_mask & Perm.SYSTEM)
    return True


@dataclass(frozen=True)
class AmiUser:
    """A manager.conf user: `read` and `write` as class lists ("call,agent", "all")."""

    username: str
    secret: str
    read: str = "all"
    write: str = "all"

    @property
    def read_mask(self) -> int:
        return labels_to_mask(self.read)

    @property
    def write_mask(self) -> int:
        return labels_to_mask(self.write)


DEFAULT_USERS = (
    AmiUser("admin", "test-secret"),
    AmiUser("limited", "limited-test", read="call", write="originate"),
)
"""The users of the recorded Asterisk (tests/fixtures/asterisk-transcripts/README.md)."""
