"""GET VARIABLE, GET FULL VARIABLE and SET VARIABLE (these three also work after a hang-up)."""

from __future__ import annotations

from ivr.sim.commands.base import CommandContext, Outcome, UsageError, reply


def get_variable(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) != 3:
        raise UsageError
    value = ctx.channel.get(argv[2]) if argv[2] else None
    return reply("200 result=0" if value is None else f"200 result=1 ({value})")


def get_full_variable(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) not in (4, 5):
        raise UsageError
    if len(argv) == 5 and argv[4] != ctx.channel.name:
        return reply("200 result=0")
    return reply(f"200 result=1 ({ctx.channel.substitute(argv[3])})")


def set_variable(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) != 4:
        raise UsageError
    ctx.channel.set(argv[2], argv[3])
    ctx.variables_set[argv[2]] = argv[3]
    return reply("200 result=1")
