"""The transcript reader other tests use."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.sim.replay import TranscriptError, parse_transcript

from .replay_server import TRANSCRIPTS


def test_environment_turns_raw_bytes_and_notes() -> None:
    recorded = parse_transcript(TRANSCRIPTS / "agi-07-invalid-and-usage.txt")

    assert recorded.headers["asterisk"].startswith("20.20.1")
    assert recorded.environment[0] == ("agi_network", "yes")
    assert ("agi_accountcode", "") in recorded.environment
    assert recorded.environment_lines[-1] == b""
    commands = [command.line for command, _ in recorded.turns()]
    assert b"ANSWER\r" in commands
    assert b"" in commands
    stream_file_usage = recorded.turns()[2][1]
    assert stream_file_usage[0].line == b"520-Invalid command syntax.  Proper usage follows:"
    assert stream_file_usage[-1].line == b"520 End of proper usage."
    assert any("server closes the socket" in note.text for note in recorded.notes)


def test_raw_utf8_lines() -> None:
    recorded = parse_transcript(TRANSCRIPTS / "agi-11-sv-utf8-callerid.txt")

    assert dict(recorded.environment)["agi_calleridname"] == "Åsa Öberg"
    assert recorded.lines[9].line == b"agi_calleridname: \xc3\x85sa \xc3\x96berg"


def test_a_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.txt"
    broken.write_text("# scenario: x\n12:00:00.000 << agi_network: yes\nnonsense\n", encoding="utf-8")

    with pytest.raises(TranscriptError, match=r"broken.txt:3"):
        parse_transcript(broken)
