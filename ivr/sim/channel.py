"""The simulated channel: identity, state, channel variables, dialplan functions and ${...} substitution."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum


class ChannelStatus(IntEnum):
    """Asterisk's ast_channel_state values, as CHANNEL STATUS reports them."""

    DOWN = 0
    RESERVED = 1
    OFFHOOK = 2
    DIALING = 3
    RING = 4
    RINGING = 5
    UP = 6
    BUSY = 7


@dataclass
class SpeechObject:
    """What SPEECH CREATE made: the engine's name and the grammars loaded and active on it."""

    engine: str
    grammars: set[str] = field(default_factory=set)
    active_grammars: set[str] = field(default_factory=set)
    settings: dict[str, str] = field(default_factory=dict)


@dataclass
class Channel:
    """One simulated channel, as the AGI commands see and change it."""

    name: str
    uniqueid: str
    language: str
    callerid_num: str | None
    callerid_name: str | None
    context: str
    extension: str
    priority: int
    accountcode: str = ""
    status: ChannelStatus = ChannelStatus.UP
    variables: dict[str, str] = field(default_factory=dict)
    dead: bool = False
    speech: SpeechObject | None = None
    autohangup_at: float | None = None
    """Call time at which SET AUTOHANGUP hangs the channel up."""

    @property
    def technology(self) -> str:
        return self.name.partition("/")[0]

    def get(self, name: str) -> str | None:
        """GET VARIABLE: a dialplan function when the name ends in ')', else a variable; None when unset."""
        if name.endswith(")"):
            return read_function(self, name)
        if name in self.variables:
            return self.variables[name]
        builtin = _BUILTINS.get(name)
        return builtin(self) if builtin is not None else None

    def set(self, name: str, value: str) -> None:
        """SET VARIABLE: writes a dialplan function when the name ends in ')', else a channel variable."""
        if name.endswith(")") and write_function(self, name, value):
            return
        self.variables[name] = value

    def substitute(self, text: str) -> str:
        """Expand ${VAR}, ${FUNC(args)} and ${VAR:offset:length} like ast_str_substitute_variables."""
        return substitute(text, self)


_BUILTINS: dict[str, Callable[[Channel], str]] = {
    "CHANNEL": lambda channel: channel.name,
    "UNIQUEID": lambda channel: channel.uniqueid,
    "CONTEXT": lambda channel: channel.context,
    "EXTEN": lambda channel: channel.extension,
    "PRIORITY": lambda channel: str(channel.priority),
    "EPOCH": lambda channel: str(int(time.time())),
    "HANGUPCAUSE": lambda channel: "16" if channel.dead else "0",
}


def _split_function(expression: str) -> tuple[str, str]:
    name, _, rest = expression.partition("(")
    return name.strip().upper(), rest[: rest.rfind(")")] if ")" in rest else rest


def _callerid_all(channel: Channel) -> str:
    return f'"{channel.callerid_name or ""}" <{channel.callerid_num or ""}>'


def _read_callerid(channel: Channel, argument: str) -> str | None:
    field_name = argument.split(",")[0].strip().lower()
    values = {
        "num": channel.callerid_num or "",
        "number": channel.callerid_num or "",
        "name": channel.callerid_name or "",
        "all": _callerid_all(channel),
    }
    return values.get(field_name)


def _read_channel_field(channel: Channel, argument: str) -> str | None:
    values = {
        "language": channel.language,
        "name": channel.name,
        "uniqueid": channel.uniqueid,
        "state": channel.status.name.capitalize(),
        "channeltype": channel.technology,
        "context": channel.context,
        "exten": channel.extension,
        "accountcode": channel.accountcode,
    }
    return values.get(argument.strip().lower())


_FUNCTIONS: dict[str, Callable[[Channel, str], str | None]] = {
    "CALLERID": _read_callerid,
    "CHANNEL": _read_channel_field,
    "LEN": lambda channel, argument: str(len(argument)),
    "ISNULL": lambda channel, argument: "1" if not argument else "0",
    "EXISTS": lambda channel, argument: "1" if argument else "0",
    "TOUPPER": lambda channel, argument: argument.upper(),
    "TOLOWER": lambda channel, argument: argument.lower(),
}


def read_function(channel: Channel, expression: str) -> str | None:
    """ast_func_read: the value of FUNC(args), or None when the function is unknown or fails."""
    name, argument = _split_function(expression)
    function = _FUNCTIONS.get(name)
    return function(channel, argument) if function is not None else None


def write_function(channel: Channel, expression: str, value: str) -> bool:
    """ast_func_write for the functions a bot writes; False when the function is not writable here."""
    name, argument = _split_function(expression)
    field_name = argument.split(",")[0].strip().lower()
    if name == "CHANNEL" and field_name == "language":
        channel.language = value
    elif name == "CALLERID" and field_name in ("num", "number"):
        channel.callerid_num = value
    elif name == "CALLERID" and field_name == "name":
        channel.callerid_name = value
    else:
        return False
    return True


def substitute(text: str, channel: Channel) -> str:
    parts: list[str] = []
    position = 0
    while (start := text.find("${", position)) >= 0:
        end = _matching_brace(text, start + 1)
        if end < 0:
            break
        parts.append(text[position:start])
        inner = text[start + 2 : end]
        parts.append(_expand(substitute(inner, channel) if "$" in inner else inner, channel))
        position = end + 1
    parts.append(text[position:])
    return "".join(parts)


def _matching_brace(text: str, opening: int) -> int:
    depth = 0
    for index in range(opening, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _expand(expression: str, channel: Channel) -> str:
    name, offset, length = _split_substring(expression)
    value = channel.get(name) or ""
    if offset is None:
        return value
    start = max(0, len(value) + offset) if offset < 0 else offset
    if length is None:
        return value[start:]
    return value[start : start + length] if length >= 0 else value[start:length]


def _split_substring(expression: str) -> tuple[str, int | None, int | None]:
    """Split VAR:offset:length (colons inside parentheses belong to the name)."""
    depth = 0
    for index, char in enumerate(expression):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ":" and depth == 0:
            numbers = expression[index + 1 :].split(":")
            offset = _int_or_zero(numbers[0])
            length = _int_or_zero(numbers[1]) if len(numbers) > 1 and numbers[1] else None
            return expression[:index], offset, length
    return expression, None, None


def _int_or_zero(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        return 0
