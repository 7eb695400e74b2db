"""Reply parsing, and the typed results read from replies."""

from __future__ import annotations

import pytest

from ivr.agi import AGIProtocolError, AGIReply, SpeechHypothesis, SpeechResult, parse_reply
from ivr.agi.reply import ReplyAssembler
from ivr.agi.results import digits_result, playback_result, record_result, speech_result


@pytest.mark.parametrize(
    ("line", "result", "data", "endpos"),
    [
        ("200 result=0", "0", None, None),
        ("200 result=0 endpos=11234", "0", None, 11234),
        ("200 result=53 endpos=21280", "53", None, 21280),
        ("200 result=-1 endpos=0", "-1", None, 0),
        ("200 result=-1 endpos=-1", "-1", None, -1),
        ("200 result= (timeout)", "", "timeout", None),
        ("200 result=78 (timeout)", "78", "timeout", None),
        ("200 result=1 (a b c)", "1", "a b c", None),
        ("200 result=1 ()", "1", "", None),
        ("200 result=1 (Test Caller <0701234567>)", "1", "Test Caller <0701234567>", None),
        ("200 result=1 (x) (y)", "1", "x) (y", None),
        ("200 result=1 (Hej Åsa, välkommen)", "1", "Hej Åsa, välkommen", None),
        ("200 result=-1 (writefile)", "-1", "writefile", None),
        ("200 result=35 (dtmf) endpos=22378", "35", "dtmf", 22378),
        ("200 result=9155 (timeout) endpos=32138", "9155", "timeout", 32138),
        ("200 result=-1 (hangup) endpos=23978", "-1", "hangup", 23978),
    ],
)
def test_success_replies(line: str, result: str, data: str | None, endpos: int | None) -> None:
    reply = parse_reply(line)
    assert (reply.code, reply.result, reply.data, reply.endpos, reply.extras) == (
        200,
        result,
        data,
        endpos,
        {},
    )
    assert reply.raw == line


def test_speech_results_with_quoted_text() -> None:
    line = (
        '200 result=1 (speech) endpos=4000 results=2 score0=900 text0="två ord" grammar0=g'
        ' score1=310 text1="" grammar1=yes_no'
    )
    reply = parse_reply(line)
    assert (reply.data, reply.endpos) == ("speech", 4000)
    assert reply.extras == {
        "results": "2",
        "score0": "900",
        "text0": "två ord",
        "grammar0": "g",
        "score1": "310",
        "text1": "",
        "grammar1": "yes_no",
    }
    assert speech_result(reply) == SpeechResult(
        status="speech",
        results=[SpeechHypothesis("två ord", 900, "g"), SpeechHypothesis("", 310, "yes_no")],
        digit=None,
        endpos=4000,
    )


def test_speech_results_whose_grammar_is_null_end_in_a_parenthesis() -> None:
    # res_speech prints a missing grammar name as "(null)" (Vosk's module names none).
    reply = parse_reply('200 result=1 (speech) endpos=0 results=1 score0=100 text0="fyra" grammar0=(null)')
    assert (reply.data, reply.endpos) == ("speech", 0)
    assert speech_result(reply).results == [SpeechHypothesis("fyra", 100, "(null)")]


def test_a_value_reply_may_still_hold_parentheses_and_pairs_like_text() -> None:
    reply = parse_reply("200 result=1 (Anna (kv07) x=(y))")
    assert reply.data == "Anna (kv07) x=(y)"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("200 result=1 (speech) endpos=0 results=0 ", SpeechResult("speech", [], None, 0)),
        ("200 result=1 (digit) digit=# endpos=1200", SpeechResult("dtmf", [], "#", 1200)),
        ("200 result=1 (timeout) endpos=8000", SpeechResult("timeout", [], None, 8000)),
        ("200 result=1 (hangup) endpos=640", SpeechResult("hangup", [], None, 640)),
        ("200 result=0 endpos=0", SpeechResult("none", [], None, 0)),
        ("200 result=0", SpeechResult("none", [], None, 0)),
    ],
)
def test_speech_recognize_outcomes(line: str, expected: SpeechResult) -> None:
    assert speech_result(parse_reply(line)) == expected


def test_speech_results_missing_a_hypothesis_is_a_protocol_error() -> None:
    with pytest.raises(AGIProtocolError, match="incomplete speech results"):
        speech_result(parse_reply('200 result=1 (speech) endpos=0 results=2 score0=1 text0="a" grammar0=g'))


def test_5xx_replies() -> None:
    unknown = parse_reply("510 Invalid or unknown command")
    assert (unknown.code, unknown.message, unknown.usage) == (510, "Invalid or unknown command", "")
    dead = parse_reply("511 Command Not Permitted on a dead channel or intercept routine")
    assert dead.code == 511
    assert dead.message == "Command Not Permitted on a dead channel or intercept routine"
    no_usage = parse_reply("520 Invalid command syntax.  Proper usage not available.")
    assert (no_usage.code, no_usage.usage) == (520, "")


def test_multi_line_usage_reply() -> None:
    text = (
        "520-Invalid command syntax.  Proper usage follows:\n"
        "Returns <literal>0</literal> if <replaceable>variablename</replaceable> is not set.\n"
        "Example return code: 200 result=1 (testvariable)\n"
        "520 End of proper usage.\n"
    )
    reply = parse_reply(text)
    assert reply.code == 520
    assert reply.usage == (
        "Returns <literal>0</literal> if <replaceable>variablename</replaceable> is not set.\n"
        "Example return code: 200 result=1 (testvariable)"
    )
    assert reply.message == "Invalid command syntax.  Proper usage follows:"


def test_assembler_reads_a_usage_block_line_by_line() -> None:
    assembler = ReplyAssembler()
    assert assembler.feed("520-Invalid command syntax.  Proper usage follows:") is None
    assert assembler.in_progress
    assert assembler.feed("    <value>SUCCESS</value>") is None
    reply = assembler.feed("520 End of proper usage.")
    assert reply is not None
    assert reply.usage == "    <value>SUCCESS</value>"
    assert not assembler.in_progress


def test_assembler_bounds_the_usage_block() -> None:
    assembler = ReplyAssembler(max_usage_lines=1)
    assembler.feed("520-Invalid command syntax.  Proper usage follows:")
    assembler.feed("one")
    with pytest.raises(AGIProtocolError, match="longer than 1 lines"):
        assembler.feed("two")


def test_trying_line_before_the_real_reply_is_skipped() -> None:
    assert parse_reply("100 result=0 Trying...\n200 result=0\n").result == "0"
    assert ReplyAssembler().feed("100 result=0 Trying...") is None


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "HELLO",
        "200",
        "200 ok",
        "200 result=1 x",
        "200 result=1 (a",
        "200 result=1 (dtmf",
        "200 result=1 (dtmf)endpos=3",
        "200 result=0 endpos=abc",
        "200 result=0 Trying...",
        "200 result=0 endpos=1endpos=2",
        "201 result=0",
        "404 Not Found",
        "200-result=0",
        "20 result=0",
        "200 result=1\n200 result=1",
        "520-Invalid command syntax.  Proper usage follows:\nno end",
    ],
)
def test_garbage_is_rejected(garbage: str) -> None:
    with pytest.raises(AGIProtocolError):
        parse_reply(garbage)


def test_result_int() -> None:
    assert parse_reply("200 result=-2").result_int == -2
    with pytest.raises(AGIProtocolError, match="not a number"):
        _ = parse_reply("200 result= (timeout)").result_int


def test_typed_results_from_replies() -> None:
    assert playback_result(AGIReply(code=200, result="35", endpos=10720)).digit == "#"
    assert digits_result(parse_reply("200 result=-1")).failed
    assert record_result(parse_reply("200 result=0 (timeout) endpos=24000")).ended_by == "timeout"
    assert record_result(parse_reply("200 result=-1 (randomerror) endpos=0")).ended_by == "error"
    with pytest.raises(AGIProtocolError):
        record_result(parse_reply("200 result=0 (surprise) endpos=1"))
    with pytest.raises(AGIProtocolError):
        playback_result(parse_reply("200 result=9999 endpos=0"))
