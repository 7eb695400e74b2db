"""Command replies beyond the recorded transcripts, worked out from res_agi.c."""

from __future__ import annotations

import pytest

from ivr.sim.caller import Caller, Press, Silence

from .scripted_bot import ScriptedBot, call, replies


async def test_get_data_hash_alone_and_max_digits_zero() -> None:
    received = await replies(
        ["GET DATA beep 2000 5", "GET DATA beep 2000 0", 'GET DATA "" 1000 3'],
        Caller([Press("#"), Press("42")]),
    )

    assert received == ["200 result=", "200 result=-1", "200 result=42 (timeout)"]


async def test_get_data_barge_in_key_is_the_first_digit() -> None:
    received = await replies(["GET DATA hello-world 2000 5"], Caller([Press("12", barge_in=True, after=0.1)]))

    assert received == ["200 result=12 (timeout)"]


async def test_get_data_default_timeouts_are_6_s_then_2_s() -> None:
    _, trace = await call(
        ScriptedBot(["GET DATA beep", "GET DATA beep"]), Caller([Silence(), Press("7", after=5.5)])
    )

    assert trace.replies == ["200 result= (timeout)", "200 result=7 (timeout)"]
    beep = 3404 / 8000
    assert trace.lines[-1].call_time == pytest.approx(2 * beep + 6.0 + 5.5 + 0.1 + 2.0, abs=0.02)


async def test_keys_left_over_reach_the_next_command() -> None:
    received = await replies(["GET DATA beep 3000 1", "GET DATA beep 3000 2"], Caller([Press("123")]))

    assert received == ["200 result=1", "200 result=23"]


async def test_stream_file_offset_missing_file_and_playback_status() -> None:
    received = await replies(
        [
            'STREAM FILE beep "" 1000',
            'STREAM FILE nosuch "" 500',
            'STREAM FILE hello-world "#"',
            "GET VARIABLE PLAYBACKSTATUS",
            'STREAM FILE beep "" abc',
        ],
        Caller([Press("#", barge_in=True, after=0.4)]),
    )

    assert received[:4] == [
        "200 result=0 endpos=3404",
        "200 result=-1 endpos=500",
        "200 result=35 endpos=4000",
        "200 result=1 (FAILED)",
    ]
    assert received[4].startswith("520-")


async def test_control_stream_file_stop_forward_and_end() -> None:
    commands = [
        'CONTROL STREAM FILE hello-world "5" 500',
        "GET VARIABLE CPLAYBACKSTATUS",
        "GET VARIABLE CPLAYBACKSTOPKEY",
        'CONTROL STREAM FILE hello-world ""',
        "GET VARIABLE CPLAYBACKOFFSET",
    ]
    # '#' (forward 500 ms) at 0.5 s, '5' (stop) at 0.85 s: 4000 + 4000 + 18 frames = 10880 samples = 1360 ms
    received = await replies(commands, Caller([Press("#5", barge_in=True, after=0.4)]))

    assert received == [
        "200 result=53 endpos=1360",
        "200 result=1 (USERSTOPPED)",
        "200 result=1 (5)",
        "200 result=0 endpos=-1",
        "200 result=1 (-1)",
    ]


async def test_control_stream_file_pause_and_resume() -> None:
    received = await replies(
        ['CONTROL STREAM FILE hello-world "5" 3000 "#" "*" "0"'],
        Caller([Press("005", barge_in=True, after=0.4, interval=0.6)]),
    )

    # paused at 0.5 s (4000 samples), resumed at 1.1 s, stopped at 1.7 s: 0.5 s + 0.6 s played = 1100 ms
    assert received == ["200 result=53 endpos=1100"]


async def test_say_commands_stop_on_escape_digits_only() -> None:
    received = await replies(
        ['SAY NUMBER 1234 "#"', 'SAY DIGITS 12 "#"', 'SAY ALPHA ab ""', 'SAY ALPHA ab "" x', "SAY NUMBER 12"],
        Caller([Press("1", barge_in=True, after=0.2), Press("#", barge_in=True, after=0.2)]),
    )

    assert received[:3] == ["200 result=0", "200 result=35", "200 result=0"]
    assert received[3].startswith("520-")
    assert received[-1] == "520 End of proper usage."


async def test_exec_applications() -> None:
    received = await replies(
        [
            "EXEC Wait 2",
            'EXEC Playback "beep&nosuch"',
            "GET VARIABLE PLAYBACKSTATUS",
            "EXEC Set GREETING=hej",
            "GET VARIABLE GREETING",
            "SET VARIABLE AGIEXECFULL yes",
            "EXEC Set ${CALLERID(num)}=x",
            "GET VARIABLE 0701234567",
            "EXEC playback beep",
            "EXEC",
        ]
    )

    assert received[:9] == [
        "200 result=0",
        "200 result=0",
        "200 result=1 (FAILED)",
        "200 result=0",
        "200 result=1 (hej)",
        "200 result=1",
        "200 result=0",
        "200 result=1 (x)",
        "200 result=0",
    ]
    assert received[9].startswith("520-")


async def test_variables_functions_and_substitution() -> None:
    received = await replies(
        [
            "GET FULL VARIABLE ${CALLERID(num):0:3}-${CALLERID(num):-2}",
            "SET VARIABLE CHANNEL(language) sv",
            "GET VARIABLE CHANNEL(language)",
            "GET FULL VARIABLE ${LEN(${CALLERID(name)})}",
            "GET VARIABLE NOSUCHFUNC(x)",
            'GET FULL VARIABLE "${EXTEN} ${CONTEXT}"',
            "GET FULL VARIABLE ${EXTEN} ${CONTEXT}",
            "GET FULL VARIABLE x Other/channel-1",
            "CHANNEL STATUS a b",
        ]
    )

    assert received[:8] == [
        "200 result=1 (070-67)",
        "200 result=1",
        "200 result=1 (sv)",
        "200 result=1 (11)",
        "200 result=0",
        "200 result=1 (s ivr)",
        "200 result=0",
        "200 result=0",
    ]
    assert received[8].startswith("520-")


async def test_database_commands() -> None:
    received = await replies(
        [
            "DATABASE PUT cb 0701 queued",
            "DATABASE GET cb 0701",
            "DATABASE DEL cb 0701",
            "DATABASE DEL cb 0701",
            "DATABASE PUT cb a 1",
            "DATABASE DELTREE cb",
            "DATABASE GET cb a",
        ]
    )

    assert received == [
        "200 result=1",
        "200 result=1 (queued)",
        "200 result=1",
        "200 result=0",
        "200 result=1",
        "200 result=1",
        "200 result=0",
    ]


async def test_a_line_longer_than_2047_bytes_is_read_as_two_commands() -> None:
    received = await replies(["NOOP " + "x" * 3000])

    assert received == ["200 result=0", "510 Invalid or unknown command"]


async def test_housekeeping_commands() -> None:
    received = await replies(
        [
            "ASYNCAGI BREAK",
            "SET CONTEXT other",
            "SET EXTENSION 100",
            "SET PRIORITY 3",
            "GET FULL VARIABLE ${CONTEXT}/${EXTEN}/${PRIORITY}",
            'SET CALLERID "\\"Kalle Anka\\" <0702223344>"',
            "GET FULL VARIABLE ${CALLERID(all)}",
            "TDD MODE on",
            "SEND TEXT hello",
            "SEND IMAGE logo",
            "RECEIVE TEXT 100",
            "RECEIVE CHAR 100",
            "SET PRIORITY label",
        ]
    )

    assert received[:12] == [
        "200 result=0",
        "200 result=0",
        "200 result=0",
        "200 result=0",
        "200 result=1 (other/100/3)",
        "200 result=1",
        '200 result=1 ("Kalle Anka" <0702223344>)',
        "200 result=0",
        "200 result=0",
        "200 result=0",
        "200 result=-1",
        "200 result=-1 (hangup)",
    ]
    assert received[12].startswith("520-")


async def test_a_channel_not_yet_answered() -> None:
    bot = ScriptedBot(["CHANNEL STATUS", "ANSWER", "CHANNEL STATUS"])
    server_run, _ = await call(bot, answered=False)

    assert server_run.received == ["200 result=4", "200 result=0", "200 result=6"]
