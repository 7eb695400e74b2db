"""The simulated dialplan: how dialled parties behave, and what a channel does in a context once it is up."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ivr.sim.ami.channels import DialTarget


@dataclass(frozen=True)
class Answers:
    """The party rings for `after_s` (0: answers at once, without ringing), then answers; it hangs up
    `hangs_up_after_s` after answering (None: it stays until the other side hangs up)."""

    after_s: float = 0.0
    hangs_up_after_s: float | None = None


@dataclass(frozen=True)
class Busy:
    pass


@dataclass(frozen=True)
class Congestion:
    pass


@dataclass(frozen=True)
class NoAnswer:
    """Rings until the caller gives up (Originate's Timeout)."""


Callee = Answers | Busy | Congestion | NoAnswer


@dataclass(frozen=True)
class Hold:
    """[Answer,] Wait(seconds), Hangup; None waits until the other side hangs up."""

    seconds: float | None = None
    answers_first: bool = False


@dataclass(frozen=True)
class JoinQueue:
    """Answer, Queue(queue): the channel waits in the queue with `priority` (higher goes first), and gives up
    after `max_wait_s` (Queue()'s timeout argument; None waits for ever)."""

    queue: str
    priority: int = 0
    max_wait_s: float | None = None


AgiDecision = Callable[[Mapping[str, str]], "Destination | None"]


@dataclass(frozen=True)
class RunAgi:
    """AGI(agi://<bot>/<request>): the FastAGI simulator places the call on the bot; afterwards the channel
    goes on to `then` (a destination, or a function of the channel variables the bot set), or hangs up."""

    request: str
    then: Destination | AgiDecision | None = None


Destination = Hold | JoinQueue | RunAgi


class Dialplan:
    """Contexts by name. A Local/<exten>@<context> dial reaches the party configured for that context (or
    for that number); the destination of an Originate, or of an inbound call, is a context with a
    `Destination`."""

    def __init__(self) -> None:
        self.parties: dict[str, Callee] = {}
        self.numbers: dict[str, Callee] = {}
        self.contexts: dict[str, Destination] = {}

    def add_party(self, context: str, callee: Callee) -> None:
        self.parties[context] = callee

    def add_number(self, number: str, callee: Callee) -> None:
        """A party by the number dialled (e.g. PJSIP/0701234567@trunk or Local/0701234567@outbound)."""
        self.numbers[number] = callee

    def add_context(self, context: str, destination: Destination) -> None:
        self.contexts[context] = destination

    def has_context(self, context: str) -> bool:
        return context in self.contexts or context in self.parties

    def callee_for(self, target: DialTarget) -> Callee | None:
        if target.exten in self.numbers:
            return self.numbers[target.exten]
        if target.is_local:
            return self.parties.get(target.context)
        return None
