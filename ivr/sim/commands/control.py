"""The channel-control and housekeeping commands: ANSWER, HANGUP, EXEC, CHANNEL STATUS, DATABASE, SET ..."""

from __future__ import annotations

import re

from ivr.sim.args import c_atoi, c_scan_float, c_scan_int
from ivr.sim.caller import Listening
from ivr.sim.channel import ChannelStatus
from ivr.sim.commands.apps import APPLICATIONS
from ivr.sim.commands.base import CommandContext, Outcome, UsageError, reply

_CALLERID_WITH_NUMBER = re.compile(r'^\s*(?:"(?P<quoted>[^"]*)"|(?P<plain>[^<]*?))\s*<(?P<number>[^>]*)>')


def answer(ctx: CommandContext, argv: list[str]) -> Outcome:
    ctx.channel.status = ChannelStatus.UP
    return reply("200 result=0")


def asyncagi_break(ctx: CommandContext, argv: list[str]) -> Outcome:
    return reply("200 result=0")


def noop(ctx: CommandContext, argv: list[str]) -> Outcome:
    return reply("200 result=0")


def verbose(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) < 2:
        raise UsageError
    return reply("200 result=1")


def channel_status(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) == 2 or (len(argv) == 3 and argv[2] == ctx.channel.name):
        return reply(f"200 result={int(ctx.channel.status)}")
    if len(argv) == 3:
        return reply("200 result=-1")
    raise UsageError


def hangup(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) > 2:
        raise UsageError
    if len(argv) == 2 and argv[1] != ctx.channel.name:
        return reply("200 result=-1")
    return Outcome(["200 result=1"], ended_by="bot")


def execute(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) < 2:
        raise UsageError
    application = APPLICATIONS.get(argv[1].lower())
    if application is None:
        return reply("200 result=-2")
    data = argv[2] if len(argv) > 2 else ""
    if (ctx.channel.get("AGIEXECFULL") or "").lower() in ("yes", "true", "y", "t", "1", "on"):
        data = ctx.channel.substitute(data)
    return application(ctx, data)


def _database_key(family: str, key: str) -> str:
    return f"/{family}/{key}"


def database_get(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) != 4:
        raise UsageError
    value = ctx.database.get(_database_key(argv[2], argv[3]))
    return reply("200 result=0" if value is None else f"200 result=1 ({value})")


def database_put(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) != 5:
        raise UsageError
    ctx.database[_database_key(argv[2], argv[3])] = argv[4]
    return reply("200 result=1")


def database_del(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) != 4:
        raise UsageError
    existed = ctx.database.pop(_database_key(argv[2], argv[3]), None) is not None
    return reply(f"200 result={int(existed)}")


def database_deltree(ctx: CommandContext, argv: list[str]) -> Outcome:
    if not 3 <= len(argv) <= 4:
        raise UsageError
    prefix = _database_key(argv[2], argv[3]) if len(argv) == 4 else f"/{argv[2]}/"
    doomed = [key for key in ctx.database if key == prefix or key.startswith(prefix.rstrip("/") + "/")]
    for key in doomed:
        del ctx.database[key]
    return reply(f"200 result={int(bool(doomed))}")


def _wait_for_text(ctx: CommandContext, argv: list[str], line: str) -> Outcome:
    """No simulated channel carries text: RECEIVE CHAR/TEXT wait out their timeout and fail."""
    if len(argv) != 3:
        raise UsageError
    events = ctx.listen(0.0, Listening.NOT_AT_ALL)
    stop = events.first(0.0, max(0, c_atoi(argv[2])) / 1000, "")
    return Outcome([line], duration=stop.at, ended_by=ctx.hangup_cause(stop))


def receive_char(ctx: CommandContext, argv: list[str]) -> Outcome:
    return _wait_for_text(ctx, argv, "200 result=-1 (hangup)")


def receive_text(ctx: CommandContext, argv: list[str]) -> Outcome:
    return _wait_for_text(ctx, argv, "200 result=-1")


def send_image(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) != 3:
        raise UsageError
    return reply("200 result=0")


def send_text(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) != 3:
        raise UsageError
    return reply("200 result=0")


def tdd_mode(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) != 3:
        raise UsageError
    return reply("200 result=0")


def set_autohangup(ctx: CommandContext, argv: list[str]) -> Outcome:
    seconds = c_scan_float(argv[2]) if len(argv) == 3 else None
    if seconds is None:
        raise UsageError
    ctx.channel.autohangup_at = ctx.start + seconds if seconds > 0 else None
    return reply("200 result=0")


def set_callerid(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) > 2:
        name, number = _parse_callerid(argv[2])
        ctx.channel.callerid_name, ctx.channel.callerid_num = name, number
    return reply("200 result=1")


def _parse_callerid(text: str) -> tuple[str, str]:
    """ast_callerid_parse, simplified: '"Name" <number>', 'Name <number>' or just a number or a name."""
    match = _CALLERID_WITH_NUMBER.match(text)
    if match:
        name = match.group("quoted") if match.group("quoted") is not None else match.group("plain")
        return name.strip(), re.sub(r"[^0-9+*#]", "", match.group("number"))
    if re.fullmatch(r"[0-9+*#()\- ]+", text.strip()):
        return "", re.sub(r"[^0-9+*#]", "", text)
    return text.strip().strip('"'), ""


def set_context(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) != 3:
        raise UsageError
    ctx.channel.context = argv[2]
    return reply("200 result=0")


def set_extension(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) != 3:
        raise UsageError
    ctx.channel.extension = argv[2]
    return reply("200 result=0")


def set_priority(ctx: CommandContext, argv: list[str]) -> Outcome:
    priority = c_scan_int(argv[2]) if len(argv) == 3 else None
    if priority is None:
        raise UsageError  # a label: the simulated dialplan has none
    ctx.channel.priority = priority
    return reply("200 result=0")


def set_music(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) < 3:
        raise UsageError
    return reply("200 result=0")
