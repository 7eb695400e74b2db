"""What happened on one simulated call, for tests, the demo and the benchmark."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ivr.sim.commands.base import RecordedFile

Sender = Literal["asterisk", "bot"]


@dataclass(frozen=True)
class TraceLine:
    """One line on the wire, without its "\\n"."""

    sender: Sender
    data: bytes
    at: float
    """Real seconds (perf_counter) since the call began."""
    call_time: float
    """Call-time seconds since the call began (real time divided by time_scale, or with skipped time)."""

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


@dataclass
class CallTrace:
    request: str
    environment: list[tuple[str, str]]
    lines: list[TraceLine] = field(default_factory=list)
    hangup_by: str | None = None
    """Who hung the channel up: "caller", "bot" (HANGUP, EXEC Hangup) or "autohangup"; None if nobody did."""
    hangup_at: float | None = None
    """Call time of the hang-up."""
    bot_closed: bool = False
    """The bot closed the connection (the simulator itself only closes it after a safety timeout)."""
    recordings: list[RecordedFile] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    """Channel variables the bot set with SET VARIABLE (last value wins)."""
    bot_turn_latencies: list[float] = field(default_factory=list)
    """For each command after the first: real seconds from our previous reply to the bot's next command."""
    failures: list[str] = field(default_factory=list)
    """Problems the simulator saw (safety timeouts, commands that could never end, a connection refused)."""
    call_seconds: float = 0.0
    """Call time when the connection ended."""

    @property
    def caller_hung_up(self) -> bool:
        return self.hangup_by == "caller"

    @property
    def commands(self) -> list[str]:
        """The bot's command lines (decoded; the exact bytes are in `lines`)."""
        return [line.text for line in self.lines if line.sender == "bot"]

    @property
    def replies(self) -> list[str]:
        """Every line the simulator sent after the environment block: replies, usage text, HANGUP."""
        environment_size = len(self.environment) + 1
        return [line.text for line in self.lines if line.sender == "asterisk"][environment_size:]

    def describe(self) -> str:
        """The exchange as text, `>>` for the bot and `<<` for the simulator, for assertion messages."""
        arrows = {"bot": ">>", "asterisk": "<<"}
        rows = [f"{line.call_time:9.3f} {arrows[line.sender]} {line.text}" for line in self.lines]
        rows += [f"failure: {failure}" for failure in self.failures]
        return "\n".join(rows)
