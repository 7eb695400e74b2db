"""Arguments are written so that res_agi's parse_args reads back exactly what was meant."""

from __future__ import annotations

import pytest

from ivr.agi.quoting import MAX_COMMAND_BYTES, check_command_line, quote, quote_digits


def parse_args(line: str) -> list[str]:
    """A Python transcription of res_agi.c's parse_args, to check our quoting against."""
    args: list[str] = []
    current: list[str] | None = None
    quoted = escaped = False
    for char in line:
        if char == '"' and not escaped:
            quoted = not quoted
            if quoted and current is None:
                current = []
                args.append("")
            continue
        if char in " \t" and not quoted and not escaped:
            if current is not None:
                args[-1] = "".join(current)
            current = None
            continue
        if char == "\\" and not escaped:
            escaped = True
            continue
        if current is None:
            current = []
            args.append("")
        current.append(char)
        escaped = False
    if current is not None:
        args[-1] = "".join(current)
    return args


@pytest.mark.parametrize(
    "argument",
    [
        "beep",
        "",
        "a b c",
        'say "hej"',
        "back\\slash",
        "tab\there",
        "${CALLERID(name)} <${CALLERID(num)}>",
        "Åsa",
    ],
)
def test_quoted_arguments_round_trip(argument: str) -> None:
    assert parse_args(f"SET VARIABLE X {quote(argument)}") == ["SET", "VARIABLE", "X", argument]


def test_bare_when_safe() -> None:
    assert quote("beep") == "beep"
    assert quote("${CALLERID(num)}") == "${CALLERID(num)}"
    assert quote("Local/nonexistent@nowhere-00000099;1") == "Local/nonexistent@nowhere-00000099;1"
    assert quote("") == '""'
    assert quote("a b c") == '"a b c"'
    assert quote('x"y') == '"x\\"y"'


@pytest.mark.parametrize("argument", ["a\nNOOP", "a\r", "\n"])
def test_cr_and_lf_cannot_inject_commands(argument: str) -> None:
    with pytest.raises(ValueError, match="CR or LF"):
        quote(argument)


def test_escape_digits() -> None:
    assert quote_digits("") == '""'
    assert quote_digits("0123456789*#") == '"0123456789*#"'
    with pytest.raises(ValueError, match="not DTMF"):
        quote_digits('1"')


def test_command_lines() -> None:
    check_command_line(
        "ANSWER\r"
    )  # a CR stays part of the command (Asterisk answers 510); it cannot split it
    with pytest.raises(ValueError, match="LF"):
        check_command_line("NOOP\nHANGUP")
    check_command_line("x" * MAX_COMMAND_BYTES)
    with pytest.raises(ValueError, match="longer than"):
        check_command_line("å" * MAX_COMMAND_BYTES)
