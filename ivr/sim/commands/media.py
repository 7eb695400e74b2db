"""STREAM FILE, CONTROL STREAM FILE, GET OPTION, GET DATA and WAIT FOR DIGIT, as res_agi.c answers them."""

from __future__ import annotations

from dataclasses import dataclass

from ivr.sim.args import c_atoi, c_scan_int, c_scan_long
from ivr.sim.caller import Listening
from ivr.sim.commands.base import CommandContext, OnNewCommand, Outcome, UsageError, reply
from ivr.sim.commands.base import result_code as code_of
from ivr.sim.sounds import SAMPLE_RATE
from ivr.sim.timeline import ANY_KEY, FOREVER, InputEvents, Stop, play, wait_for_key

GET_OPTION_DEFAULT_TIMEOUT_MS = 5000
"""The pbx digit timeout GET OPTION uses when no timeout is given."""
GET_DATA_ENDERS = "#"


def stream_file(ctx: CommandContext, argv: list[str]) -> Outcome:
    if not 4 <= len(argv) <= 5:
        raise UsageError
    escape = argv[3]
    offset = _sample_offset(argv)
    sound = ctx.find_sound(argv[2])
    if sound is None:
        return reply(f"200 result=-1 endpos={offset}")
    listening = Listening.PROMPT_KEYS if escape else Listening.NOT_AT_ALL
    events = ctx.listen(_seconds_from(sound.samples, offset), listening)
    played = play(events, 0.0, sound.samples, escape, offset)
    result = code_of(played.stop)
    return Outcome(
        [f"200 result={result} endpos={played.position}"],
        duration=played.stop.at,
        ended_by=ctx.hangup_cause(played.stop),
        set_variables={"PLAYBACKSTATUS": "FAILED" if result else "SUCCESS"},
        on_new_command=OnNewCommand.STOP_SILENTLY,
    )


def _sample_offset(argv: list[str]) -> int:
    if len(argv) <= 4:
        return 0
    offset = c_scan_long(argv[4])
    if offset is None:
        raise UsageError
    return offset


def _seconds_from(total: int, offset: int) -> float:
    return (total - min(max(offset, 0), total)) / SAMPLE_RATE


def get_option(ctx: CommandContext, argv: list[str]) -> Outcome:
    if not 4 <= len(argv) <= 5:
        raise UsageError
    escape = argv[3]
    timeout_ms = c_atoi(argv[4]) if len(argv) == 5 else GET_OPTION_DEFAULT_TIMEOUT_MS
    sound = ctx.find_sound(argv[2])
    if sound is None:
        return reply("200 result=-1 endpos=0")
    events = ctx.listen(sound.seconds, Listening.INPUT)
    played = play(events, 0.0, sound.samples, escape)
    stop = played.stop
    result = code_of(stop)
    if stop.kind == "none":
        stop = wait_for_key(events, stop.at, timeout_ms)
        # res_agi keeps the key only if it is an escape digit; a hang-up (-1) turns into 0 here as well.
        result = stop.ascii if stop.kind == "key" and stop.key in escape else 0
    return Outcome(
        [f"200 result={result} endpos={played.position}"],
        duration=stop.at,
        ended_by=ctx.hangup_cause(stop),
        on_new_command=OnNewCommand.STOP_SILENTLY,
        # In the wait after the prompt a new command counts as a non-escape key: result 0.
        reply_when_stopped_after=(played.stop.at, [f"200 result=0 endpos={played.position}"]),
    )


def wait_for_digit(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) != 4:
        raise UsageError
    timeout_ms = c_scan_int(argv[3])
    if timeout_ms is None:
        raise UsageError
    events = ctx.listen(0.0, Listening.INPUT)
    stop = wait_for_key(events, 0.0, timeout_ms)
    return Outcome(
        [f"200 result={code_of(stop)}"],
        duration=stop.at,
        ended_by=ctx.hangup_cause(stop),
        on_new_command=OnNewCommand.REPLY_ONE,
    )


@dataclass
class _DigitReader:
    """ast_readstring: collects keys until '#', the maximum, a timeout or a hang-up."""

    events: InputEvents
    maximum: int
    first_timeout_ms: int
    next_timeout_ms: int
    digits: str = ""

    def read(self, first: Stop | None, at: float) -> tuple[str, Stop]:
        stop = first if first is not None else wait_for_key(self.events, at, self.first_timeout_ms)
        while True:
            if stop.kind == "hangup":
                return "200 result=-1", stop
            if stop.kind == "none":
                return f"200 result={self.digits} (timeout)", stop
            if stop.key in GET_DATA_ENDERS:
                return f"200 result={self.digits}", stop
            self.digits += stop.key
            if len(self.digits) >= self.maximum:
                return f"200 result={self.digits}", stop
            stop = wait_for_key(self.events, stop.at, self.next_timeout_ms, after=stop)


def get_data(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) < 3:
        raise UsageError
    timeout_ms = c_atoi(argv[3]) if len(argv) >= 4 else 0
    maximum = c_atoi(argv[4]) if len(argv) >= 5 else 1024
    prompt = ctx.find_sound(argv[2]) if argv[2] else None
    if argv[2] and prompt is None:
        return reply("200 result=-1")
    if maximum == 0:
        return reply("200 result=-1")
    first_timeout, next_timeout = _get_data_timeouts(timeout_ms)
    events = ctx.listen(prompt.seconds if prompt else 0.0, Listening.INPUT)
    first: Stop | None = None
    at = 0.0
    if prompt is not None:
        played = play(events, 0.0, prompt.samples, ANY_KEY)
        first = played.stop if played.stop.kind != "none" else None
        at = played.stop.at
    line, stop = _DigitReader(events, maximum, first_timeout, next_timeout).read(first, at)
    return Outcome(
        [line], duration=stop.at, ended_by=ctx.hangup_cause(stop), on_new_command=OnNewCommand.STOP_SILENTLY
    )


def _get_data_timeouts(timeout_ms: int) -> tuple[int, int]:
    """ast_app_getdata_full: 0 means 6 s for the first key and 2 s between keys; negative means no timeout."""
    if timeout_ms > 0:
        return timeout_ms, timeout_ms
    if timeout_ms < 0:
        return 1_000_000_000, 1_000_000_000
    return 6000, 2000


@dataclass
class _ControlPlayback:
    """ast_control_streamfile: stop keys, fast-forward, rewind and pause while a file plays."""

    events: InputEvents
    total: int
    stop_keys: str
    forward: str
    reverse: str
    pause: str
    skip_samples: int

    def run(self, position: int) -> tuple[int, int, Stop]:
        """Returns (result, endpos in ms, the stop) from `position` (samples) at time 0."""
        at = 0.0
        keys = self.forward + self.reverse + self.stop_keys + self.pause
        previous: Stop | None = None
        while True:
            played = play(self.events, at, self.total, keys, position, after=previous)
            stop, position = played.stop, played.position
            if stop.kind == "none":
                return 0, -1, stop
            if stop.kind == "hangup":
                return -1, position // 8, stop
            if stop.key in self.forward:
                position += self.skip_samples
            elif stop.key in self.reverse:
                position = max(0, position - self.skip_samples)
            elif stop.key in self.stop_keys:
                return stop.ascii, position // 8, stop
            else:
                resumed = self._paused(stop)
                if resumed.kind != "key" or resumed.key not in self.pause:
                    return (-1 if resumed.kind == "hangup" else resumed.ascii), position // 8, resumed
                stop = resumed
            at, previous = stop.at, stop
            if position >= self.total:
                return 0, -1, Stop("none", at)

    def _paused(self, pause: Stop) -> Stop:
        """While paused, only the pause key (resume), a stop key or a hang-up matter."""
        return self.events.first(pause.at, FOREVER, self.pause + self.stop_keys, after=pause)


def control_stream_file(ctx: CommandContext, argv: list[str]) -> Outcome:
    if not 5 <= len(argv) <= 10:
        raise UsageError
    skip_ms = c_scan_int(argv[5]) if len(argv) > 5 else 3000
    offset_ms = c_scan_long(argv[9]) if len(argv) > 9 else 0
    if skip_ms is None or offset_ms is None:
        raise UsageError
    sound = ctx.find_sound(argv[3])
    if sound is None:
        return Outcome(["200 result=-1 endpos=-1"], set_variables=_control_variables("ERROR", -1))
    player = _ControlPlayback(
        ctx.listen(_seconds_from(sound.samples, offset_ms * 8), Listening.PROMPT_KEYS),
        sound.samples,
        stop_keys=argv[4],
        forward=_argument_or(argv, 6, "#"),
        reverse=_argument_or(argv, 7, "*"),
        pause=_argument_or(argv, 8, ""),
        skip_samples=skip_ms * 8,
    )
    result, endpos, stop = player.run(min(max(offset_ms * 8, 0), sound.samples))
    variables = _control_variables("ERROR" if result < 0 else "SUCCESS", endpos)
    if result > 0:
        variables.update(CPLAYBACKSTATUS="USERSTOPPED", CPLAYBACKSTOPKEY=chr(result))
    return Outcome(
        [f"200 result={result} endpos={endpos}"],
        duration=stop.at,
        ended_by=ctx.hangup_cause(stop),
        set_variables=variables,
    )


def _argument_or(argv: list[str], index: int, default: str) -> str:
    return argv[index] if len(argv) > index and argv[index] else default


def _control_variables(status: str, offset_ms: int) -> dict[str, str]:
    return {"CPLAYBACKSTATUS": status, "CPLAYBACKOFFSET": str(offset_ms)}
