"""Parsing of the replies Asterisk's res_agi writes, exactly as it writes them.

Forms (one line each unless noted):
  `200 result=0 endpos=11234`, `200 result=53 endpos=21280`, `200 result= (timeout)` (empty result),
  `200 result=1 (a b c)`, `200 result=1 ()`, `200 result=35 (dtmf) endpos=22378`,
  `200 result=1 (speech) endpos=0 results=1 score0=900 text0="två ord" grammar0=g`,
  `510 Invalid or unknown command`, `511 Command Not Permitted on a dead channel or intercept routine`,
  `520 Invalid command syntax.  Proper usage not available.`, and the multi-line
  `520-Invalid command syntax.  Proper usage follows:` / usage lines / `520 End of proper usage.`.
  `100 result=0 Trying...` (older Asterisk, before the real reply) is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ivr.agi.errors import AGIProtocolError

SUCCESS = 200
TRYING = 100
UNKNOWN_COMMAND = 510
DEAD_CHANNEL = 511
USAGE = 520
_FINAL_CODES = frozenset({SUCCESS, UNKNOWN_COMMAND, DEAD_CHANNEL, USAGE})
MAX_USAGE_LINES = 200

_STATUS_LINE = re.compile(r"(?P<code>\d{3})(?P<sep>[ -])(?P<rest>.*)", re.DOTALL)
_RESULT = re.compile(r"result=(?P<result>\S*)(?P<tail>.*)", re.DOTALL)
_WORD = re.compile(r"[a-z]+")
_PAIR = re.compile(r'\s*(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?:"(?P<quoted>[^"]*)"(?=\s|$)|(?P<plain>[^\s"]*))')


@dataclass(frozen=True)
class AGIReply:
    """One reply. `data` is the text in parentheses ("" for `()`), `extras` the key=value pairs but endpos."""

    code: int
    result: str = ""
    data: str | None = None
    endpos: int | None = None
    extras: dict[str, str] = field(default_factory=dict)
    usage: str = ""
    raw: str = ""

    @property
    def result_int(self) -> int:
        try:
            return int(self.result)
        except ValueError:
            raise AGIProtocolError(f"result is not a number in reply {self.raw!r}") from None

    @property
    def message(self) -> str:
        """The text after the code of a 5xx reply's first line."""
        return self.raw.split("\n", 1)[0][4:]


class ReplyAssembler:
    """Turns reply lines into `AGIReply`s, one line at a time (a 520 reply spans several lines)."""

    def __init__(self, max_usage_lines: int = MAX_USAGE_LINES) -> None:
        self._max_usage_lines = max_usage_lines
        self._usage_block: list[str] | None = None

    @property
    def in_progress(self) -> bool:
        """True while inside a multi-line 520 reply."""
        return self._usage_block is not None

    def feed(self, line: str) -> AGIReply | None:
        """Return the reply this line completes, or None if more lines are needed (or it was a `100`)."""
        if self._usage_block is not None:
            return self._feed_usage(line)
        match = _STATUS_LINE.fullmatch(line)
        if match is None:
            raise AGIProtocolError(f"not an AGI reply: {line!r}")
        code = int(match["code"])
        if match["sep"] == "-":
            if code != USAGE:
                raise AGIProtocolError(f"only 520 replies span several lines: {line!r}")
            self._usage_block = [line]
            return None
        if code == TRYING:
            return None
        return _parse_final_line(code, match["rest"], line)

    def _feed_usage(self, line: str) -> AGIReply | None:
        assert self._usage_block is not None
        self._usage_block.append(line)
        if line.startswith(f"{USAGE} "):
            lines, self._usage_block = self._usage_block, None
            return AGIReply(code=USAGE, usage="\n".join(lines[1:-1]), raw="\n".join(lines))
        if len(self._usage_block) - 1 > self._max_usage_lines:
            raise AGIProtocolError(f"520 usage text longer than {self._max_usage_lines} lines")
        return None


def parse_reply(text: str) -> AGIReply:
    """Parse one complete reply (several lines for 520, optionally preceded by `100 ...` lines)."""
    lines = text.split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    assembler = ReplyAssembler()
    for index, line in enumerate(lines):
        reply = assembler.feed(line)
        if reply is not None:
            if index != len(lines) - 1:
                raise AGIProtocolError(f"text after the end of the reply: {text!r}")
            return reply
    raise AGIProtocolError(f"incomplete reply: {text!r}")


def _parse_final_line(code: int, rest: str, line: str) -> AGIReply:
    if code not in _FINAL_CODES:
        raise AGIProtocolError(f"unknown reply code {code}: {line!r}")
    if code != SUCCESS:
        return AGIReply(code=code, raw=line)
    match = _RESULT.fullmatch(rest)
    if match is None:
        raise AGIProtocolError(f"200 reply without result=: {line!r}")
    tail = match["tail"]
    if tail and not tail.startswith(" "):
        raise AGIProtocolError(f"garbage after the result: {line!r}")
    data, pairs_text = _split_data(tail[1:], line)
    pairs = _parse_pairs(pairs_text, line)
    endpos_text = pairs.pop("endpos", None)
    return AGIReply(
        code=code,
        result=match["result"],
        data=data,
        endpos=_endpos(endpos_text, line),
        extras=pairs,
        raw=line,
    )


def _split_data(text: str, line: str) -> tuple[str | None, str]:
    """Split `(data) k=v ...` into the data and the pairs.

    The data of a status reply is one word (`(timeout)`, `(speech)`), and pairs may follow; their last value
    may itself end in ')' (`grammar0=(null)` from a speech engine that names no grammar). Any other reply
    ending in ')' is a value reply (`200 result=1 (%s)` of GET VARIABLE and friends), whose value may hold
    spaces and parentheses: the data runs to the last ')'.
    """
    if not text.startswith("("):
        return None, text
    close = text.find(")")
    word, rest = text[1:close], text[close + 1 :]
    if close > 0 and _WORD.fullmatch(word) and rest.startswith(" ") and _are_pairs(rest):
        return word, rest
    if text.endswith(")"):
        return text[1:-1], ""
    if close < 0 or not rest.startswith(" "):
        raise AGIProtocolError(f"cannot read the text in parentheses: {line!r}")
    return word, rest


def _are_pairs(text: str) -> bool:
    try:
        _parse_pairs(text, text)
    except AGIProtocolError:
        return False
    return True


def _parse_pairs(text: str, line: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    position = 0
    while text[position:].strip():
        match = _PAIR.match(text, position)
        if match is None or (position > 0 and not text[position].isspace()):  # pairs need a space between
            raise AGIProtocolError(f"cannot read key=value pairs in {line!r}")
        quoted = match["quoted"]
        pairs[match["key"]] = quoted if quoted is not None else match["plain"]
        position = match.end()
    return pairs


def _endpos(text: str | None, line: str) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise AGIProtocolError(f"endpos is not a number in {line!r}") from None
