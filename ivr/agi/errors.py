"""Errors of the FastAGI layer: hang-ups, command errors, bad peers and silent peers."""

from __future__ import annotations


class AGIError(Exception):
    """Base of every error raised by `ivr.agi`."""


class AGIHangup(AGIError):
    """The caller hung up (or Asterisk ended the AGI session); the call is over."""


class AGIDeadChannel(AGIHangup):
    """Asterisk answered `511`: the command is not permitted on a hung-up channel."""


class AGICommandError(AGIError):
    """Asterisk rejected a command: `510` (unknown command) or `520` (wrong usage)."""

    def __init__(self, code: int, message: str, *, usage: str = "", command: str = "") -> None:
        super().__init__(f"{code} {message} (command: {command!r})" if command else f"{code} {message}")
        self.code = code
        self.message = message
        self.usage = usage
        self.command = command


class AGIProtocolError(AGIError):
    """The peer sent something that is not AGI: garbage, an oversized line, too many lines."""


class AGITimeout(AGIError):
    """The peer stayed silent longer than allowed."""
