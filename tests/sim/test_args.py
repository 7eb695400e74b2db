"""res_agi's parse_args and the C number parsing the handlers rely on."""

from __future__ import annotations

import pytest

from ivr.sim.args import MAX_ARGS, c_atoi, c_scan_float, c_scan_int, parse_args
from ivr.sim.commands.table import find_command


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('STREAM FILE beep ""', ["STREAM", "FILE", "beep", ""]),
        ("  ANSWER", ["ANSWER"]),
        ("ANSWER\r", ["ANSWER\r"]),
        ("GET VARIABLE X\r", ["GET", "VARIABLE", "X\r"]),
        ('SET VARIABLE MYVAR "a b c"', ["SET", "VARIABLE", "MYVAR", "a b c"]),
        ('VERBOSE "say \\"hi\\"" 1', ["VERBOSE", 'say "hi"', "1"]),
        ("EXEC Set A\\ B=1", ["EXEC", "Set", "A B=1"]),
        ('x ab"c d"e', ["x", "abc de"]),
        ("a\tb  c", ["a", "b", "c"]),
        ("a\\\\b", ["a\\b"]),
        ("", []),
    ],
)
def test_parse_args(line: str, words: list[str]) -> None:
    assert parse_args(line) == words


def test_parse_args_keeps_at_most_127_words() -> None:
    assert len(parse_args(" ".join(["w"] * 200))) == MAX_ARGS - 1


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("answer", "answer"),
        ("Get Full Variable ${X}", "get full variable"),
        ("SPEECH RECOGNIZE beep 3", "speech recognize"),
        ("GET", None),
        ("FOO BAR", None),
        ("ANSWER\r", None),
        ("", None),
    ],
)
def test_find_command_matches_whole_words_case_insensitively(line: str, command: str | None) -> None:
    spec = find_command(parse_args(line))
    assert (spec.name if spec else None) == command


def test_c_number_parsing() -> None:
    assert (c_atoi("3000"), c_atoi(" -5x"), c_atoi("abc"), c_atoi("")) == (3000, -5, 0, 0)
    assert (c_scan_int("12ab"), c_scan_int("abc"), c_scan_int("+7")) == (12, None, 7)
    assert (c_scan_float("1.5s"), c_scan_float("x")) == (1.5, None)
