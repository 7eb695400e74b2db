"""Typed results of the AGI commands, and how each is read from Asterisk's reply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ivr.agi.errors import AGIProtocolError
from ivr.agi.reply import AGIReply

RecordEnd = Literal["dtmf", "timeout", "silence", "hangup", "error"]
SpeechStatus = Literal["speech", "dtmf", "timeout", "hangup", "none"]

# RECORD FILE replies that mean Asterisk could not record (res_agi's handle_recordfile).
_RECORD_ERRORS = frozenset({"writefile", "randomerror", "waitfor"})


@dataclass(frozen=True)
class PlaybackResult:
    """STREAM FILE / GET OPTION: the escape digit pressed (if any), where playback stopped, if it failed."""

    digit: str | None
    endpos: int
    failed: bool  # e.g. the sound file does not exist


@dataclass(frozen=True)
class DigitsResult:
    """GET DATA: the digits typed (without the ending '#')."""

    digits: str
    timed_out: bool
    failed: bool


@dataclass(frozen=True)
class SayResult:
    """SAY DIGITS / SAY NUMBER: the escape digit pressed, if any."""

    digit: str | None
    failed: bool


@dataclass(frozen=True)
class RecordResult:
    """RECORD FILE. `endpos` is the length in samples; `ms_left` is what remained of the timeout."""

    ended_by: RecordEnd
    digit: str | None
    endpos: int
    ms_left: int


@dataclass(frozen=True)
class SpeechHypothesis:
    text: str
    score: int
    grammar: str


@dataclass(frozen=True)
class SpeechResult:
    """SPEECH RECOGNIZE. Status "none" also covers "no speech object" (no engine: `200 result=0`)."""

    status: SpeechStatus
    results: list[SpeechHypothesis]
    digit: str | None
    endpos: int


def digit_of(code: int) -> str | None:
    """The digit whose ASCII code Asterisk returned; None for 0 (no digit)."""
    if code == 0:
        return None
    if not 0 < code < 128:
        raise AGIProtocolError(f"{code} is not the ASCII code of a digit")
    return chr(code)


def playback_result(reply: AGIReply) -> PlaybackResult:
    code = reply.result_int
    failed = code < 0
    return PlaybackResult(digit=None if failed else digit_of(code), endpos=reply.endpos or 0, failed=failed)


def digits_result(reply: AGIReply) -> DigitsResult:
    if reply.result == "-1":
        return DigitsResult(digits="", timed_out=False, failed=True)
    return DigitsResult(digits=reply.result, timed_out=reply.data == "timeout", failed=False)


def say_result(reply: AGIReply) -> SayResult:
    code = reply.result_int
    return SayResult(digit=None if code < 0 else digit_of(code), failed=code < 0)


def record_result(reply: AGIReply) -> RecordResult:
    endpos = reply.endpos or 0
    if reply.data == "dtmf":
        return RecordResult(ended_by="dtmf", digit=digit_of(reply.result_int), endpos=endpos, ms_left=0)
    if reply.data == "timeout":
        # Silence and the overall timeout both say "(timeout)"; only silence leaves time on the clock.
        ms_left = max(reply.result_int, 0)
        ended_by: RecordEnd = "silence" if ms_left > 0 else "timeout"
        return RecordResult(ended_by=ended_by, digit=None, endpos=endpos, ms_left=ms_left)
    if reply.data == "hangup":
        return RecordResult(ended_by="hangup", digit=None, endpos=endpos, ms_left=0)
    if reply.data in _RECORD_ERRORS or (reply.data is None and reply.result_int < 0):
        return RecordResult(ended_by="error", digit=None, endpos=endpos, ms_left=0)
    raise AGIProtocolError(f"unexpected RECORD FILE reply {reply.raw!r}")


def speech_result(reply: AGIReply) -> SpeechResult:
    endpos = reply.endpos or 0
    if reply.result != "1":
        return SpeechResult(status="none", results=[], digit=None, endpos=endpos)
    if reply.data == "speech":
        return SpeechResult(status="speech", results=_hypotheses(reply), digit=None, endpos=endpos)
    if reply.data == "digit":
        return SpeechResult(status="dtmf", results=[], digit=_speech_digit(reply), endpos=endpos)
    if reply.data == "timeout":
        return SpeechResult(status="timeout", results=[], digit=None, endpos=endpos)
    if reply.data == "hangup":
        return SpeechResult(status="hangup", results=[], digit=None, endpos=endpos)
    raise AGIProtocolError(f"unexpected SPEECH RECOGNIZE reply {reply.raw!r}")


def _hypotheses(reply: AGIReply) -> list[SpeechHypothesis]:
    try:
        count = int(reply.extras["results"])
        return [
            SpeechHypothesis(
                text=reply.extras[f"text{i}"],
                score=int(reply.extras[f"score{i}"]),
                grammar=reply.extras[f"grammar{i}"],
            )
            for i in range(count)
        ]
    except (KeyError, ValueError) as exc:
        raise AGIProtocolError(f"incomplete speech results ({exc}) in {reply.raw!r}") from None


def _speech_digit(reply: AGIReply) -> str:
    digit = reply.extras.get("digit", "")
    if len(digit) != 1:
        raise AGIProtocolError(f"no digit in {reply.raw!r}")
    return digit
