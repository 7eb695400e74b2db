"""The SAY commands: the core sounds Asterisk would chain (English rules, as for the unsupported `sv`)."""

from __future__ import annotations

import time

from ivr.sim.args import c_scan_int, c_scan_long
from ivr.sim.caller import Listening
from ivr.sim.commands.base import CommandContext, OnNewCommand, Outcome, UsageError, result_code
from ivr.sim.timeline import play_sequence

_SPOKEN_SYMBOLS = {
    " ": "letters/space",
    ".": "letters/dot",
    "-": "letters/dash",
    "@": "letters/at",
    "$": "letters/dollar",
    "=": "letters/equals",
    "+": "letters/plus",
    "/": "letters/slash",
    "!": "letters/exclaimation-point",
}
_DIGIT_SYMBOLS = {"*": "digits/star", "#": "digits/pound", "-": "digits/minus"}
_SCALES = ((1_000_000_000, "digits/billion"), (1_000_000, "digits/million"), (1000, "digits/thousand"))


def number_sounds(number: int) -> list[str]:
    """ast_say_number_full_en: 1234 -> digits/1 thousand digits/2 hundred digits/30 digits/4."""
    if number == 0:
        return ["digits/0"]
    sounds = ["digits/minus"] if number < 0 else []
    _english_number(abs(number), sounds)
    return sounds


def _english_number(number: int, sounds: list[str]) -> None:
    for scale, word in _SCALES:
        if number >= scale:
            _english_number(number // scale, sounds)
            sounds.append(word)
            number %= scale
    if number >= 100:
        sounds += [f"digits/{number // 100}", "digits/hundred"]
        number %= 100
    if number >= 20:
        sounds.append(f"digits/{number // 10 * 10}")
        number %= 10
    if number:
        sounds.append(f"digits/{number}")


def digit_sounds(text: str) -> list[str]:
    return [
        f"digits/{char}" if char.isdigit() else _DIGIT_SYMBOLS[char] for char in text if _is_sayable(char)
    ]


def _is_sayable(char: str) -> bool:
    return char in "0123456789" or char in _DIGIT_SYMBOLS


def alpha_sounds(text: str) -> list[str]:
    sounds = []
    for char in text.lower():
        if "a" <= char <= "z":
            sounds.append(f"letters/{char}")
        elif char in "0123456789":
            sounds.append(f"digits/{char}")
        elif char in _SPOKEN_SYMBOLS:
            sounds.append(_SPOKEN_SYMBOLS[char])
    return sounds


def phonetic_sounds(text: str) -> list[str]:
    return [
        f"phonetic/{char}_p" if char.isalpha() else f"digits/{char}"
        for char in text.lower()
        if char.isalnum()
    ]


def date_sounds(moment: int) -> list[str]:
    parts = time.gmtime(moment)
    return [
        f"digits/day-{(parts.tm_wday + 1) % 7}",
        f"digits/mon-{parts.tm_mon - 1}",
        *number_sounds(parts.tm_mday),
        *number_sounds(parts.tm_year),
    ]


def time_sounds(moment: int) -> list[str]:
    parts = time.gmtime(moment)
    sounds = number_sounds(parts.tm_hour % 12 or 12)
    if parts.tm_min > 9:
        sounds += number_sounds(parts.tm_min)
    elif parts.tm_min:
        sounds += ["digits/oh", *number_sounds(parts.tm_min)]
    return [*sounds, "digits/p-m" if parts.tm_hour >= 12 else "digits/a-m"]


def _say(ctx: CommandContext, names: list[str], escape: str, on_new_command: OnNewCommand) -> Outcome:
    lengths = [sound.samples for sound in map(ctx.find_sound, names) if sound is not None]
    listening = Listening.PROMPT_KEYS if escape else Listening.NOT_AT_ALL
    events = ctx.listen(sum(lengths) / 8000, listening)
    stop = play_sequence(events, 0.0, lengths, escape)
    return Outcome(
        [f"200 result={result_code(stop)}"],
        duration=stop.at,
        ended_by=ctx.hangup_cause(stop),
        on_new_command=on_new_command,
    )


def say_digits(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) != 4 or c_scan_int(argv[2]) is None:
        raise UsageError
    return _say(ctx, digit_sounds(argv[2]), argv[3], OnNewCommand.STOP_SILENTLY)


def say_number(ctx: CommandContext, argv: list[str]) -> Outcome:
    number = c_scan_int(argv[2]) if 4 <= len(argv) <= 5 else None
    if number is None:
        raise UsageError
    return _say(ctx, number_sounds(number), argv[3], OnNewCommand.STOP_SILENTLY)


def say_alpha(ctx: CommandContext, argv: list[str]) -> Outcome:
    if not 4 <= len(argv) <= 5 or (len(argv) == 5 and argv[4][:1] not in ("", *"aAlLnNuU")):
        raise UsageError
    return _say(ctx, alpha_sounds(argv[2]), argv[3], OnNewCommand.STOP_SILENTLY)


def say_phonetic(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) != 4:
        raise UsageError
    return _say(ctx, phonetic_sounds(argv[2]), argv[3], OnNewCommand.STOP_SILENTLY)


def say_date(ctx: CommandContext, argv: list[str]) -> Outcome:
    moment = c_scan_int(argv[2]) if len(argv) == 4 else None
    if moment is None:
        raise UsageError
    return _say(ctx, date_sounds(moment), argv[3], OnNewCommand.FINISH)


def say_time(ctx: CommandContext, argv: list[str]) -> Outcome:
    moment = c_scan_int(argv[2]) if len(argv) == 4 else None
    if moment is None:
        raise UsageError
    return _say(ctx, time_sounds(moment), argv[3], OnNewCommand.FINISH)


def say_datetime(ctx: CommandContext, argv: list[str]) -> Outcome:
    moment = c_scan_long(argv[2]) if len(argv) >= 4 else None
    if moment is None:
        raise UsageError
    names = [*date_sounds(moment), "digits/at", *time_sounds(moment)]
    return _say(ctx, names, argv[3], OnNewCommand.FINISH)
