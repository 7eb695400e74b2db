"""What every AGI command handler gets (CommandContext) and gives back (Outcome)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path, PurePosixPath

from ivr.sim.caller import CallerSession, Listening
from ivr.sim.channel import Channel
from ivr.sim.sounds import Sound, SoundLibrary
from ivr.sim.timeline import InputEvents, Stop


class UsageError(Exception):
    """res_agi's RESULT_SHOWUSAGE: the arguments do not fit the command (answered with 520)."""


class OnNewCommand(Enum):
    """What a running command does when the bot sends another command line before it has ended."""

    FINISH = "finish first"
    """It does not watch the socket; the new line waits (RECORD FILE, EXEC, SPEECH RECOGNIZE, ...)."""
    STOP_SILENTLY = "stop without a reply"
    """Playback commands stop and send no reply at all (res_agi's 'there is a new command')."""
    REPLY_ONE = "stop with result=1"
    """WAIT FOR DIGIT stops and answers `200 result=1`."""


@dataclass
class Outcome:
    """A command's answer and how long (call time, seconds) it took; `inf` means it never ends by itself."""

    lines: list[str]
    duration: float = 0.0
    ended_by: str | None = None
    """Set when the channel was hung up during the command: "caller", "bot" or "autohangup"."""
    set_variables: dict[str, str] = field(default_factory=dict)
    on_new_command: OnNewCommand = OnNewCommand.FINISH
    reply_when_stopped_after: tuple[float, list[str]] | None = None
    """(offset, lines): stopped by a new command `offset` seconds or more into it, it answers `lines`."""
    pause_after_first_line: float = 0.0
    """Call-time gap between the first reply line and the rest (the 520 usage text comes ~45 ms later)."""


@dataclass(frozen=True)
class RecordedFile:
    """A file RECORD FILE wrote (kept also when the caller hung up while recording)."""

    path: Path
    requested: str
    samples: int
    ended_by: str
    """"dtmf", "silence", "timeout" or "hangup"."""


class PathMap:
    """Maps absolute paths as Asterisk sees them to local directories, longest prefix first."""

    def __init__(self, mapping: Mapping[str, str | Path] | None = None) -> None:
        pairs = [(PurePosixPath(remote), Path(local)) for remote, local in (mapping or {}).items()]
        self._pairs = sorted(pairs, key=lambda pair: len(pair[0].parts), reverse=True)

    def to_local(self, path: str) -> str:
        if not path.startswith("/"):
            return path
        posix = PurePosixPath(path)
        for remote, local in self._pairs:
            if posix == remote or remote in posix.parents:
                return str(local / posix.relative_to(remote))
        return path


@dataclass
class CommandContext:
    """Everything a handler may look at or change for one command."""

    channel: Channel
    caller: CallerSession
    sounds: SoundLibrary
    start: float
    """Call time (seconds since the call began) at which the command arrived."""
    speech_engine: str | None
    paths: PathMap
    database: dict[str, str]
    recordings: list[RecordedFile]
    variables_set: dict[str, str]
    """Channel variables the bot set with SET VARIABLE, for the trace."""

    def listen(self, prompt_seconds: float, listening: Listening) -> InputEvents:
        """What the caller does during this command; on a hung-up channel everything ends at once."""
        if self.channel.dead:
            return InputEvents(hangup_at=0.0)
        events = self.caller.listen(self.start, prompt_seconds, listening)
        autohangup = self.channel.autohangup_at
        if autohangup is None:
            return events
        relative = max(0.0, autohangup - self.start)
        if events.hangup_at is not None and events.hangup_at <= relative:
            return events
        return InputEvents(events.keys, relative, events.utterance, events.idle_audio)

    def find_sound(self, name: str) -> Sound | None:
        return self.sounds.find(self.paths.to_local(name), self.channel.language)

    def hangup_cause(self, stop: Stop) -> str | None:
        """Who hung up, when `stop` is a hang-up."""
        if stop.kind != "hangup":
            return None
        autohangup = self.channel.autohangup_at
        is_autohangup = autohangup is not None and abs(max(0.0, autohangup - self.start) - stop.at) < 1e-9
        return "autohangup" if is_autohangup else "caller"


Handler = Callable[[CommandContext, list[str]], Outcome]


def reply(line: str) -> Outcome:
    return Outcome([line])


def result_code(stop: Stop) -> int:
    """The usual result: the key's ASCII code, -1 for a hang-up, 0 when it ran its course."""
    return {"key": stop.ascii, "hangup": -1, "none": 0}[stop.kind]
