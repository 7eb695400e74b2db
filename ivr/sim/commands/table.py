"""res_agi's command table: which words name which command, and which commands still run after a hang-up."""

from __future__ import annotations

from dataclasses import dataclass

from ivr.sim.args import parse_args
from ivr.sim.commands import control, media, record, say, speech, variables
from ivr.sim.commands.base import CommandContext, Handler, Outcome, UsageError, reply
from ivr.sim.commands.usage import usage_text

UNKNOWN_COMMAND = "510 Invalid or unknown command"
DEAD_CHANNEL = "511 Command Not Permitted on a dead channel or intercept routine"
USAGE_FIRST_LINE = "520-Invalid command syntax.  Proper usage follows:"
USAGE_LAST_LINE = "520 End of proper usage."
USAGE_DELAY_SECONDS = 0.045
"""Asterisk 20 builds the usage text from its XML docs; the text arrives about 45 ms after the first line."""
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class CommandSpec:
    words: tuple[str, ...]
    handler: Handler
    runs_on_dead_channel: bool

    @property
    def name(self) -> str:
        return " ".join(self.words)


def _spec(name: str, handler: Handler, dead: bool = False) -> CommandSpec:
    return CommandSpec(tuple(name.split()), handler, dead)


COMMANDS: tuple[CommandSpec, ...] = (
    _spec("answer", control.answer),
    _spec("asyncagi break", control.asyncagi_break, dead=True),
    _spec("channel status", control.channel_status),
    _spec("database del", control.database_del, dead=True),
    _spec("database deltree", control.database_deltree, dead=True),
    _spec("database get", control.database_get, dead=True),
    _spec("database put", control.database_put, dead=True),
    _spec("exec", control.execute, dead=True),
    _spec("get data", media.get_data),
    _spec("get full variable", variables.get_full_variable, dead=True),
    _spec("get option", media.get_option),
    _spec("get variable", variables.get_variable, dead=True),
    _spec("hangup", control.hangup),
    _spec("noop", control.noop, dead=True),
    _spec("receive char", control.receive_char),
    _spec("receive text", control.receive_text),
    _spec("record file", record.record_file),
    _spec("say alpha", say.say_alpha),
    _spec("say digits", say.say_digits),
    _spec("say number", say.say_number),
    _spec("say phonetic", say.say_phonetic),
    _spec("say date", say.say_date),
    _spec("say time", say.say_time),
    _spec("say datetime", say.say_datetime),
    _spec("send image", control.send_image),
    _spec("send text", control.send_text),
    _spec("set autohangup", control.set_autohangup),
    _spec("set callerid", control.set_callerid),
    _spec("set context", control.set_context),
    _spec("set extension", control.set_extension),
    _spec("set music", control.set_music),
    _spec("set priority", control.set_priority),
    _spec("set variable", variables.set_variable, dead=True),
    _spec("stream file", media.stream_file),
    _spec("control stream file", media.control_stream_file),
    _spec("tdd mode", control.tdd_mode),
    _spec("verbose", control.verbose, dead=True),
    _spec("wait for digit", media.wait_for_digit),
    _spec("speech create", speech.speech_create),
    _spec("speech set", speech.speech_set),
    _spec("speech destroy", speech.speech_destroy, dead=True),
    _spec("speech load grammar", speech.speech_load_grammar),
    _spec("speech unload grammar", speech.speech_unload_grammar, dead=True),
    _spec("speech activate grammar", speech.speech_activate_grammar),
    _spec("speech deactivate grammar", speech.speech_deactivate_grammar),
    _spec("speech recognize", speech.speech_recognize),
)


def find_command(argv: list[str]) -> CommandSpec | None:
    """The command whose words start `argv` (compared case-insensitively, ASCII only, like strcasecmp)."""
    folded = [word.translate(_ASCII_LOWER) for word in argv]
    for spec in COMMANDS:
        if tuple(folded[: len(spec.words)]) == spec.words:
            return spec
    return None


def run_command(ctx: CommandContext, line: str) -> Outcome:
    """Parse one command line and answer it as Asterisk would on this channel."""
    argv = parse_args(line)
    spec = find_command(argv)
    if spec is None:
        return reply(UNKNOWN_COMMAND)
    if ctx.channel.dead and not spec.runs_on_dead_channel:
        return reply(DEAD_CHANNEL)
    try:
        return spec.handler(ctx, argv)
    except UsageError:
        return usage_reply(spec.name)


def usage_reply(command: str) -> Outcome:
    lines = [USAGE_FIRST_LINE, *usage_text(command).split("\n"), USAGE_LAST_LINE]
    return Outcome(lines, pause_after_first_line=USAGE_DELAY_SECONDS)
