"""The PBX's live channels: names, uniqueids, states, caller ids and variables, and how events show them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum

from ivr.sim.ami.wire import Field

UNKNOWN = "<unknown>"


class ChannelState(IntEnum):
    DOWN = 0
    RESERVED = 1
    OFFHOOK = 2
    DIALING = 3
    RING = 4
    RINGING = 5
    UP = 6
    BUSY = 7


STATE_NAMES = {
    ChannelState.DOWN: "Down",
    ChannelState.RESERVED: "Rsrvd",
    ChannelState.OFFHOOK: "OffHook",
    ChannelState.DIALING: "Dialing",
    ChannelState.RING: "Ring",
    ChannelState.RINGING: "Ringing",
    ChannelState.UP: "Up",
    ChannelState.BUSY: "Busy",
}

CAUSE_TEXTS = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    21: "Call Rejected",
    34: "Circuit/channel congestion",
}


@dataclass
class PbxChannel:
    name: str
    uniqueid: str
    linkedid: str
    context: str
    exten: str
    created_at: float
    """Model time."""
    priority: int = 1
    state: ChannelState = ChannelState.DOWN
    callerid_num: str | None = None
    callerid_name: str | None = None
    connected_num: str | None = None
    connected_name: str | None = None
    language: str = "en"
    accountcode: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    application: str = ""
    application_data: str = ""
    bridge_id: str = ""
    device: str = ""
    """The device whose state this channel drives, e.g. "Local/s@orig-answer"."""
    hangup_cause: int = 16
    hung_up: bool = False

    def snapshot(self, prefix: str = "") -> list[Field]:
        """The channel block every channel event carries (ast_manager_build_channel_state_string)."""
        return [
            (f"{prefix}Channel", self.name),
            (f"{prefix}ChannelState", str(int(self.state))),
            (f"{prefix}ChannelStateDesc", STATE_NAMES[self.state]),
            (f"{prefix}CallerIDNum", self.callerid_num or UNKNOWN),
            (f"{prefix}CallerIDName", self.callerid_name or UNKNOWN),
            (f"{prefix}ConnectedLineNum", self.connected_num or UNKNOWN),
            (f"{prefix}ConnectedLineName", self.connected_name or UNKNOWN),
            (f"{prefix}Language", self.language),
            (f"{prefix}AccountCode", self.accountcode),
            (f"{prefix}Context", self.context),
            (f"{prefix}Exten", self.exten),
            (f"{prefix}Priority", str(self.priority)),
            (f"{prefix}Uniqueid", self.uniqueid),
            (f"{prefix}Linkedid", self.linkedid),
        ]

    @property
    def sequence(self) -> int:
        """The creation order: the counter part of the uniqueid."""
        counter = self.uniqueid.rpartition(".")[2]
        return int(counter) if counter.isdigit() else 0

    def variable(self, name: str) -> str | None:
        """A channel variable or one of the built-ins GetVar reads (None when unset)."""
        if name in self.variables:
            return self.variables[name]
        builtins = {
            "CHANNEL": self.name,
            "UNIQUEID": self.uniqueid,
            "CONTEXT": self.context,
            "EXTEN": self.exten,
            "PRIORITY": str(self.priority),
            "CALLERID(num)": self.callerid_num or "",
            "CALLERID(name)": self.callerid_name or "",
            "CHANNEL(state)": STATE_NAMES[self.state],
        }
        return builtins.get(name)


@dataclass(frozen=True)
class DialTarget:
    """A dial string split like Asterisk does: "Local/s@orig-answer/n" -> Local, s, orig-answer, n."""

    technology: str
    resource: str
    exten: str
    context: str
    options: str

    @classmethod
    def parse(cls, dial: str) -> DialTarget | None:
        technology, slash, resource = dial.partition("/")
        if not slash or not technology:
            return None
        where, _, options = resource.partition("/")
        exten, at, context = where.partition("@")
        return cls(technology, resource, exten, context if at else "default", options)

    @property
    def is_local(self) -> bool:
        return self.technology.lower() == "local"

    @property
    def device(self) -> str:
        """The device name of the channels it makes: "Local/s@orig-answer", "PJSIP/trunk"."""
        if self.is_local:
            return f"{self.technology}/{self.exten}@{self.context}"
        return f"{self.technology}/{self.context if self.context != 'default' else self.exten}"


class ChannelRegistry:
    """Every live channel by name; uniqueids "<epoch>.<n>" and per-technology sequence numbers as Asterisk."""

    def __init__(self) -> None:
        self._channels: dict[str, PbxChannel] = {}
        self._uniqueids = itertools.count()
        self._sequences: dict[str, itertools.count[int]] = {}
        self.globals: dict[str, str] = {}

    def __iter__(self) -> Iterator[PbxChannel]:
        return iter(list(self._channels.values()))

    def __len__(self) -> int:
        return len(self._channels)

    def next_uniqueid(self, epoch_seconds: int) -> str:
        return f"{epoch_seconds}.{next(self._uniqueids)}"

    def next_sequence(self, technology: str) -> int:
        counter = self._sequences.setdefault(technology.lower(), itertools.count())
        return next(counter)

    def add(self, channel: PbxChannel) -> PbxChannel:
        self._channels[channel.name.lower()] = channel
        return channel

    def remove(self, channel: PbxChannel) -> None:
        self._channels.pop(channel.name.lower(), None)

    def find(self, name_or_uniqueid: str) -> PbxChannel | None:
        """ast_channel_get_by_name: the name without regard to case, or the uniqueid."""
        found = self._channels.get(name_or_uniqueid.lower())
        if found is not None:
            return found
        return next((c for c in self._channels.values() if c.uniqueid == name_or_uniqueid), None)
