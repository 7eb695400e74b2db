"""AMI messages as Asterisk sends them: ordered `Key: Value` headers, repeatable, looked up case-blind."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

# Response values that mean the action was refused; everything else ("Success", "Goodbye", ...) is accepted.
_REFUSALS = frozenset({"error", "failure"})


@dataclass(frozen=True, slots=True)
class AMIMessage:
    """One message: its headers in wire order. Lookups ignore case, as Asterisk's own do."""

    headers: tuple[tuple[str, str], ...]
    _first: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        first: dict[str, str] = {}
        for key, value in self.headers:
            first.setdefault(key.lower(), value)
        object.__setattr__(self, "_first", first)

    def get(self, key: str, default: str | None = None) -> str | None:
        """The first value of `key`, or `default`."""
        return self._first.get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        try:
            return self._first[key.lower()]
        except KeyError:
            raise KeyError(f"no {key!r} header in {self.kind} {self.title!r}") from None

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._first

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.headers)

    def get_all(self, key: str) -> list[str]:
        """Every value of a repeated key, in wire order (e.g. Command's `Output` lines)."""
        wanted = key.lower()
        return [value for name, value in self.headers if name.lower() == wanted]

    def get_int(self, key: str) -> int | None:
        """The first value of `key` as an integer; None when absent; ValueError when it is not a number."""
        value = self.get(key)
        if value is None:
            return None
        try:
            return int(value.strip())
        except ValueError:
            raise ValueError(
                f"{key} is not a whole number in {self.kind} {self.title!r}: {value!r}"
            ) from None

    def to_dict(self) -> dict[str, str]:
        """Headers as a dict with their wire spelling; of a repeated key only the first value is kept."""
        result: dict[str, str] = {}
        for key, value in self.headers:
            result.setdefault(key, value)
        return result

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    @property
    def kind(self) -> str:
        return "message"

    @property
    def title(self) -> str:
        return self.headers[0][1] if self.headers else ""


@dataclass(frozen=True, slots=True)
class AMIResponse(AMIMessage):
    """The answer to an action: `Response: Success | Error | Goodbye`, usually with a `Message`."""

    @property
    def kind(self) -> str:
        return "response"

    @property
    def response(self) -> str:
        return self.get("Response", "") or ""

    @property
    def message(self) -> str | None:
        return self.get("Message")

    @property
    def ok(self) -> bool:
        return self.response.lower() not in _REFUSALS

    @property
    def output(self) -> list[str]:
        """The CLI lines of a `Command` action, one `Output` header each (empty lines included)."""
        return self.get_all("Output")


@dataclass(frozen=True, slots=True)
class AMIEvent(AMIMessage):
    """An event: `Event: <Name>` followed by its fields."""

    @property
    def kind(self) -> str:
        return "event"

    @property
    def name(self) -> str:
        return self.get("Event", "") or ""


@dataclass(frozen=True, slots=True)
class AMIListResponse:
    """A multi-event answer: the response, the events carrying our ActionID, then the completing event."""

    response: AMIResponse
    events: tuple[AMIEvent, ...]
    complete: AMIEvent

    def of(self, name: str) -> list[AMIEvent]:
        """The listed events named `name` (e.g. "QueueMember"), in wire order."""
        wanted = name.lower()
        return [event for event in self.events if event.name.lower() == wanted]

    def __iter__(self) -> Iterator[AMIEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)


def classify(message: AMIMessage) -> AMIResponse | AMIEvent | None:
    """A response or an event by its first header (OriginateResponse has both `Event` and `Response`)."""
    if not message.headers:
        return None
    first = message.headers[0][0].lower()
    if first == "response":
        return AMIResponse(message.headers)
    if first == "event":
        return AMIEvent(message.headers)
    return None
