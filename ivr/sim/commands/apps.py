"""Dialplan applications for EXEC. Keys pressed meanwhile are ignored, as Playback and Wait do."""

from __future__ import annotations

from collections.abc import Callable

from ivr.sim.args import c_scan_float
from ivr.sim.caller import Listening
from ivr.sim.channel import ChannelStatus
from ivr.sim.commands.base import CommandContext, OnNewCommand, Outcome
from ivr.sim.commands.say import alpha_sounds, digit_sounds, number_sounds
from ivr.sim.timeline import Stop, play_sequence

Application = Callable[[CommandContext, str], Outcome]


def _finished(ctx: CommandContext, result: int, stop: Stop, **variables: str) -> Outcome:
    return Outcome(
        [f"200 result={result}"],
        duration=stop.at,
        ended_by=ctx.hangup_cause(stop),
        set_variables=dict(variables),
        on_new_command=OnNewCommand.FINISH,
    )


def _instant(result: int) -> Outcome:
    return Outcome([f"200 result={result}"])


def playback(ctx: CommandContext, data: str) -> Outcome:
    if not data:
        return _instant(-1)
    files, _, options = data.partition(",")
    if ctx.channel.status is not ChannelStatus.UP:
        if "skip" in options.lower():
            return _instant(0)
        if "noanswer" not in options.lower():
            ctx.channel.status = ChannelStatus.UP
    sounds = [ctx.find_sound(name.strip()) for name in files.split("&") if name.strip()]
    lengths = [sound.samples for sound in sounds if sound is not None]
    status = "FAILED" if None in sounds else "SUCCESS"
    events = ctx.listen(sum(lengths) / 8000, Listening.NOT_AT_ALL)
    stop = play_sequence(events, 0.0, lengths, "")
    return _finished(ctx, -1 if stop.kind == "hangup" else 0, stop, PLAYBACKSTATUS=status)


def wait(ctx: CommandContext, data: str) -> Outcome:
    seconds = c_scan_float(data) or 0.0
    events = ctx.listen(0.0, Listening.NOT_AT_ALL)
    stop = events.first(0.0, max(0.0, seconds), "")
    return _finished(ctx, -1 if stop.kind == "hangup" else 0, stop)


def answer(ctx: CommandContext, data: str) -> Outcome:
    ctx.channel.status = ChannelStatus.UP
    return _instant(0)


def hangup(ctx: CommandContext, data: str) -> Outcome:
    return Outcome(["200 result=-1"], ended_by="bot")


def set_variable(ctx: CommandContext, data: str) -> Outcome:
    name, separator, value = data.partition("=")
    if separator and name.strip():
        ctx.channel.set(name.strip(), value)
    return _instant(0)


def _say_with(sounds_for: Callable[[str], list[str]]) -> Application:
    def say(ctx: CommandContext, data: str) -> Outcome:
        names = sounds_for(data.partition(",")[0])
        lengths = [sound.samples for sound in map(ctx.find_sound, names) if sound is not None]
        events = ctx.listen(sum(lengths) / 8000, Listening.NOT_AT_ALL)
        stop = play_sequence(events, 0.0, lengths, "")
        return _finished(ctx, -1 if stop.kind == "hangup" else 0, stop)

    return say


def _say_number_sounds(text: str) -> list[str]:
    number = c_scan_float(text)
    return number_sounds(int(number)) if number is not None else []


APPLICATIONS: dict[str, Application] = {
    "playback": playback,
    "wait": wait,
    "answer": answer,
    "hangup": hangup,
    "set": set_variable,
    "noop": lambda ctx, data: _instant(0),
    "verbose": lambda ctx, data: _instant(0),
    "log": lambda ctx, data: _instant(0),
    "startmusiconhold": lambda ctx, data: _instant(0),
    "stopmusiconhold": lambda ctx, data: _instant(0),
    "saydigits": _say_with(digit_sounds),
    "saynumber": _say_with(_say_number_sounds),
    "sayalpha": _say_with(alpha_sounds),
}
"""Applications the simulator has, by lower-case name (Asterisk finds them case-insensitively)."""
