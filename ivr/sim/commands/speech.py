"""The SPEECH commands. Without an engine (as recorded) every one answers `200 result=0`; with an engine
they behave like Asterisk's res_speech with the Vosk module (res_speech_vosk): grammars are accepted and
ignored, the prompt is never cut short, each result scores 100 and has no grammar name (`(null)`).

SPEECH RECOGNIZE's timeout is in seconds (res_agi compares it with time()) and starts when the prompt ends.
"""

from __future__ import annotations

from ivr.sim.args import c_atoi
from ivr.sim.caller import Listening
from ivr.sim.channel import SpeechObject
from ivr.sim.commands.base import CommandContext, Outcome, UsageError, reply
from ivr.sim.sounds import SAMPLE_RATE
from ivr.sim.timeline import ANY_KEY, FOREVER, InputEvents, Stop

ENDPOINT_SECONDS = 0.5
"""How long after the caller stops speaking the engine delivers its final result."""
DEFAULT_SCORE = 100
NO_GRAMMAR = "(null)"


def speech_create(ctx: CommandContext, argv: list[str]) -> Outcome:
    if ctx.channel.speech is not None or ctx.speech_engine is None:
        return reply("200 result=0")
    requested = argv[2] if len(argv) > 2 else ""
    if requested and requested.lower() != ctx.speech_engine.lower():
        return reply("200 result=0")
    ctx.channel.speech = SpeechObject(ctx.speech_engine)
    return reply("200 result=1")


def speech_set(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) != 4:
        raise UsageError
    if ctx.channel.speech is None:
        return reply("200 result=0")
    ctx.channel.speech.settings[argv[2]] = argv[3]
    return reply("200 result=1")


def speech_destroy(ctx: CommandContext, argv: list[str]) -> Outcome:
    if ctx.channel.speech is None:
        return reply("200 result=0")
    ctx.channel.speech = None
    return reply("200 result=1")


def speech_load_grammar(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) != 5:
        raise UsageError
    if ctx.channel.speech is None:
        return reply("200 result=0")
    ctx.channel.speech.grammars.add(argv[3])
    return reply("200 result=1")


def speech_unload_grammar(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) != 4:
        raise UsageError
    if ctx.channel.speech is None:
        return reply("200 result=0")
    ctx.channel.speech.grammars.discard(argv[3])
    ctx.channel.speech.active_grammars.discard(argv[3])
    return reply("200 result=1")


def speech_activate_grammar(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) != 4:
        raise UsageError
    if ctx.channel.speech is None:
        return reply("200 result=0")
    ctx.channel.speech.active_grammars.add(argv[3])
    return reply("200 result=1")


def speech_deactivate_grammar(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) != 4:
        raise UsageError
    if ctx.channel.speech is None:
        return reply("200 result=0")
    ctx.channel.speech.active_grammars.discard(argv[3])
    return reply("200 result=1")


def speech_recognize(ctx: CommandContext, argv: list[str]) -> Outcome:
    if len(argv) < 4:
        raise UsageError
    if ctx.channel.speech is None:
        return reply("200 result=0")
    timeout_seconds = c_atoi(argv[3])
    offset = c_atoi(argv[4]) if len(argv) == 5 else 0
    prompt = ctx.find_sound(argv[2])
    prompt_seconds = max(0, prompt.samples - max(0, offset)) / SAMPLE_RATE if prompt else 0.0
    events = ctx.listen(prompt_seconds, Listening.INPUT)
    timeout_at = prompt_seconds + timeout_seconds if timeout_seconds > 0 else FOREVER
    line, stop = _first_result(events, timeout_at)
    if stop.at == FOREVER:
        return Outcome([], duration=FOREVER)
    return Outcome([line], duration=stop.at, ended_by=ctx.hangup_cause(stop))


def _first_result(events: InputEvents, timeout_at: float) -> tuple[str, Stop]:
    """The first of hang-up, timeout, final speech result and key (in that order when simultaneous)."""
    candidates: list[tuple[float, int, str]] = []
    if events.hangup_at is not None:
        candidates.append((events.hangup_at, 0, "200 result=1 (hangup) endpos=0"))
    candidates.append((timeout_at, 1, "200 result=1 (timeout) endpos=0"))
    utterance = events.utterance
    if utterance is not None and utterance.text:
        score = DEFAULT_SCORE if utterance.score is None else utterance.score
        grammar = utterance.grammar or NO_GRAMMAR
        result = f'score0={score} text0="{utterance.text}" grammar0={grammar}'
        line = f"200 result=1 (speech) endpos=0 results=1 {result}"
        candidates.append((utterance.ends_at + ENDPOINT_SECONDS, 2, line))
    key = events.first(0.0, FOREVER, ANY_KEY)
    if key.kind == "key":
        candidates.append((key.at, 3, f"200 result=1 (digit) digit={key.key} endpos=0"))
    at, rank, line = min(candidates)
    return line, Stop("hangup" if rank == 0 else "none", at)
