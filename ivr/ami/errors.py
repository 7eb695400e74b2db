"""Errors of the AMI client: connection, login, protocol, timeouts and the actions Asterisk refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ivr.ami.messages import AMIResponse


class AMIError(Exception):
    """Base of every error raised by `ivr.ami`."""


class AMIConnectionError(AMIError):
    """No usable connection to Asterisk: it could not be opened, or the client is closed."""


class AMIConnectionLost(AMIConnectionError):
    """The connection dropped while an action waited for its answer (or no connection is up right now)."""


class AMIProtocolError(AMIError):
    """Asterisk (or whatever answered) sent something that is not AMI: bad banner, garbage, oversized data."""


class AMIAuthenticationError(AMIError):
    """Asterisk refused the login. Retrying with the same credentials cannot help."""


class AMITimeout(AMIError, TimeoutError):
    """Asterisk did not answer an action in time."""


class AMIActionError(AMIError):
    """Asterisk answered an action with `Response: Error`."""

    def __init__(self, action: str, response: AMIResponse, detail: str = "") -> None:
        self.action = action
        self.response = response
        self.message = response.message or ""
        super().__init__(detail or f"Asterisk refused {action}: {self.message or 'no message'}")


class AMIPermissionError(AMIActionError):
    """Asterisk answered `Permission denied`: the manager user lacks the write class the action needs."""

    def __init__(
        self, action: str, response: AMIResponse, detail: str, required: tuple[str, ...] | None
    ) -> None:
        super().__init__(action, response, detail)
        self.required = required  # one of these write classes suffices; None when not known, () when none
