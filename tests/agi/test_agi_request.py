"""The agi_* environment block: parsing, routing fields and its bounds."""

from __future__ import annotations

import asyncio

import pytest

from ivr.agi import AGIProtocolError, AGIRequest, AGITimeout
from ivr.agi.request import parse_env_line, read_request

ENV = (
    b"agi_network: yes\n"
    b"agi_network_script: /survey?tenant=norrtalje&lang=sv&lang=en&empty=\n"
    b"agi_request: agi://127.0.0.1:4573/survey?tenant=norrtalje&lang=sv\n"
    b"agi_channel: Local/s@caller-sim-s11-0000000a;1\n"
    b"agi_language: sv\n"
    b"agi_uniqueid: 1795350059.20\n"
    b"agi_callerid: 0701234567\n"
    b"agi_calleridname: \xc3\x85sa \xc3\x96berg\n"
    b"agi_context: agi-sc\n"
    b"agi_extension: s11\n"
    b"agi_accountcode: \n"
    b"agi_arg_1: arg1\n"
    b"agi_arg_2: two words\n"
    b"agi_arg_4: skipped, there is no agi_arg_3\n"
    b"\n"
)


def reader_with(data: bytes, *, eof: bool = True, limit: int = 2**16) -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=limit)
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


async def test_request_fields() -> None:
    request = await read_request(reader_with(ENV), timeout_s=1)
    assert request.script == "survey"
    assert request.query == {"tenant": "norrtalje", "lang": "en", "empty": ""}
    assert request.args == ["arg1", "two words"]
    assert request.calleridname == "Åsa Öberg"
    assert (request.uniqueid, request.callerid, request.language) == ("1795350059.20", "0701234567", "sv")
    assert (request.channel, request.context, request.extension) == (
        "Local/s@caller-sim-s11-0000000a;1",
        "agi-sc",
        "s11",
    )
    assert request.env["agi_accountcode"] == ""
    assert request.env["agi_network_script"] == "/survey?tenant=norrtalje&lang=sv&lang=en&empty="


def test_script_falls_back_to_the_request_url() -> None:
    request = AGIRequest.from_env({"agi_request": "agi://10.0.0.1/inbound?tenant=solna"})
    assert (request.script, request.query) == ("inbound", {"tenant": "solna"})
    assert AGIRequest.from_env({}).script == ""


def test_env_lines() -> None:
    assert parse_env_line("agi_accountcode: ") == ("agi_accountcode", "")
    assert parse_env_line("agi_x: a: b ") == ("agi_x", "a: b ")
    for bad in ("HELLO", "agi_network", "x_agi: 1", "agi name: x", "GET / HTTP/1.1"):
        with pytest.raises(AGIProtocolError):
            parse_env_line(bad)


async def test_a_missing_blank_line_times_out() -> None:
    with pytest.raises(AGITimeout):
        await read_request(reader_with(b"agi_network: yes\n", eof=False), timeout_s=0.05)


async def test_end_of_stream_before_the_blank_line() -> None:
    with pytest.raises(AGIProtocolError, match="closed before the end"):
        await read_request(reader_with(b"agi_network: yes\n"), timeout_s=1)


async def test_bounds() -> None:
    with pytest.raises(AGIProtocolError, match="longer than 3 lines"):
        await read_request(reader_with(b"agi_a: 1\n" * 4 + b"\n"), timeout_s=1, max_lines=3)
    assert (await read_request(reader_with(b"agi_a: 1\n" * 3 + b"\n"), timeout_s=1, max_lines=3)).env
    with pytest.raises(AGIProtocolError, match="longer than 64 bytes"):
        await read_request(
            reader_with(b"agi_a: " + b"x" * 100 + b"\n\n", limit=64), timeout_s=1, max_line_bytes=64
        )
    with pytest.raises(AGIProtocolError, match="larger than 100 bytes"):
        await read_request(reader_with(b"agi_a: 0123456789\n" * 10 + b"\n"), timeout_s=1, max_bytes=100)
    with pytest.raises(AGIProtocolError, match="not an AGI environment line"):
        await read_request(reader_with(b"GET / HTTP/1.1\r\n\r\n"), timeout_s=1)
