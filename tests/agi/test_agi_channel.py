"""Channel behaviour the recordings do not show: idle hang-ups, timeouts, broken peers, command lines."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from ivr.agi import (
    AGIError,
    AGIHangup,
    AGIProtocolError,
    AGITimeout,
    Channel,
    PlaybackResult,
    RecordResult,
    SpeechHypothesis,
    SpeechResult,
)

from .fake_asterisk import connected_channel, until


async def test_hangup_while_idle_makes_a_failed_command_a_hangup() -> None:
    async with connected_channel() as (channel, asterisk):
        await asterisk.say("HANGUP")
        await until(channel, "hung_up")
        command = asyncio.create_task(channel.stream_file("beep"))
        await asterisk.expect('STREAM FILE beep ""')
        await asterisk.say("200 result=-1 endpos=0")
        with pytest.raises(AGIHangup):
            await command


async def test_dead_channel_commands_still_answer_after_a_hangup_line() -> None:
    async with connected_channel() as (channel, asterisk):
        command = asyncio.create_task(channel.get_variable("CALLERID(num)"))
        await asterisk.expect("GET VARIABLE CALLERID(num)")
        await asterisk.say("HANGUP", "200 result=1 (0701234567)")
        assert await command == "0701234567"
        assert channel.hung_up


async def test_a_failed_command_without_a_hangup_line_is_an_error_where_there_is_no_failed_flag() -> None:
    async with connected_channel() as (channel, asterisk):
        command = asyncio.create_task(channel.wait_for_digit(1000))
        await asterisk.expect("WAIT FOR DIGIT 1000")
        await asterisk.say("200 result=-1")
        with pytest.raises(AGIError, match="failed") as error:
            await command
        assert not isinstance(error.value, AGIHangup)
        assert not channel.hung_up


async def test_no_reply_in_time_is_a_timeout_and_the_channel_stays_broken() -> None:
    async with connected_channel(reply_timeout_s=0.05) as (channel, asterisk):
        with pytest.raises(AGITimeout, match="no reply to 'NOOP'"):
            await channel.noop()
        await asterisk.expect("NOOP")
        await asterisk.say("200 result=0")  # too late: it must not be taken as the next command's reply
        with pytest.raises(AGITimeout):
            await channel.answer()


async def test_wait_for_digit_without_limit_is_bounded_by_the_idle_timeout() -> None:
    async with connected_channel(reply_timeout_s=5.0, idle_timeout_s=0.05) as (channel, asterisk):
        with pytest.raises(AGITimeout):
            await channel.wait_for_digit(-1)
        await asterisk.expect("WAIT FOR DIGIT -1")


async def test_garbage_reply_is_a_protocol_error() -> None:
    async with connected_channel() as (channel, asterisk):
        command = asyncio.create_task(channel.answer())
        await asterisk.expect("ANSWER")
        await asterisk.say("HTTP/1.1 400 Bad Request")
        with pytest.raises(AGIProtocolError, match="not an AGI reply"):
            await command
        with pytest.raises(AGIProtocolError):
            await channel.noop()


async def test_oversized_reply_line_is_a_protocol_error() -> None:
    async with connected_channel(max_line_bytes=64) as (channel, asterisk):
        command = asyncio.create_task(channel.get_variable("X"))
        await asterisk.expect("GET VARIABLE X")
        await asterisk.say("200 result=1 (" + "x" * 100 + ")")
        with pytest.raises(AGIProtocolError, match="longer than 64 bytes"):
            await command


async def test_a_reply_nobody_asked_for_breaks_the_channel() -> None:
    async with connected_channel() as (channel, asterisk):
        await asterisk.say("200 result=0")
        await asyncio.sleep(0.02)
        with pytest.raises(AGIProtocolError, match="no command was waiting"):
            await channel.noop()


async def test_asterisk_closing_the_socket_is_a_hangup() -> None:
    async with connected_channel() as (channel, asterisk):
        asterisk.writer.close()
        await until(channel, "hung_up")
        with pytest.raises(AGIHangup, match="closed"):
            await channel.noop()


async def test_close_closes_the_socket() -> None:
    async with connected_channel() as (channel, asterisk):
        await channel.close()
        assert await asterisk.at_eof()
        with pytest.raises(AGIError, match="closed"):
            await channel.noop()


async def test_commands_from_two_tasks_take_turns() -> None:
    async with connected_channel() as (channel, asterisk):
        first = asyncio.create_task(channel.get_variable("A"))
        second = asyncio.create_task(channel.get_variable("B"))
        await asterisk.expect("GET VARIABLE A")
        await asterisk.say("200 result=1 (a)")
        await asterisk.expect("GET VARIABLE B")
        await asterisk.say("200 result=0")
        assert (await first, await second) == ("a", None)


async def test_speech_recognition_results_and_hangup() -> None:
    async with connected_channel() as (channel, asterisk):
        command = asyncio.create_task(channel.speech_recognize("sv/fraga-1", 5, offset=160))
        await asterisk.expect("SPEECH RECOGNIZE sv/fraga-1 5 160")
        await asterisk.say(
            '200 result=1 (speech) endpos=160 results=1 score0=870 text0="ring upp mig" grammar0=cb'
        )
        assert await command == SpeechResult(
            "speech", [SpeechHypothesis("ring upp mig", 870, "cb")], None, 160
        )
        command = asyncio.create_task(channel.speech_recognize("beep", 3))
        await asterisk.expect("SPEECH RECOGNIZE beep 3")
        await asterisk.say("200 result=1 (hangup) endpos=0", "HANGUP")
        assert (await command).status == "hangup"
        assert channel.hung_up


async def test_speech_create_with_an_engine() -> None:
    async with connected_channel() as (channel, asterisk):
        command = asyncio.create_task(channel.speech_create("vosk"))
        await asterisk.expect("SPEECH CREATE vosk")
        await asterisk.say("200 result=1")
        assert await command is True


async def test_record_file_options_and_playback_offset() -> None:
    async with connected_channel() as (channel, asterisk):
        record = asyncio.create_task(
            channel.record_file("/rec/kommentar 1", "wav", "#*", -1, offset=800, beep=True, silence_s=3)
        )
        await asterisk.expect('RECORD FILE "/rec/kommentar 1" wav "#*" -1 800 BEEP s=3')
        await asterisk.say("200 result=42 (dtmf) endpos=16000")
        assert await record == RecordResult("dtmf", "*", 16000, 0)
        play = asyncio.create_task(channel.stream_file("sv/tack", "1", offset=0))
        await asterisk.expect('STREAM FILE sv/tack "1" 0')
        await asterisk.say("200 result=0 endpos=8000")
        assert await play == PlaybackResult(None, 8000, False)


async def test_simple_commands_send_what_asterisk_expects() -> None:
    async with connected_channel() as (channel, asterisk):
        hangup = asyncio.create_task(channel.hangup())
        await asterisk.expect("HANGUP")
        await asterisk.say("200 result=1")
        await hangup
        assert channel.hung_up
        exec_ = asyncio.create_task(channel.exec("Answer"))
        await asterisk.expect("EXEC Answer")
        await asterisk.say("200 result=0")
        assert await exec_ == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda ch: ch.set_variable("GREETING", "hej\nHANGUP"), "CR or LF"),
        (lambda ch: ch.stream_file("beep\r"), "CR or LF"),
        (lambda ch: ch.stream_file("beep", "12x"), "not DTMF"),
        (lambda ch: ch.stream_file(""), "must not be empty"),
        (lambda ch: ch.get_data("beep", 0, 4), "timeout_ms must be positive"),
        (lambda ch: ch.get_data("beep", 1000, 0), "max_digits"),
        (lambda ch: ch.wait_for_digit(-2), "-1 or more"),
        (lambda ch: ch.say_digits("12a"), "digits 0-9"),
        (lambda ch: ch.say_number(2**40), "32-bit"),
        (lambda ch: ch.record_file("/rec/x", "wav", "#", 1000, silence_s=0), "silence_s"),
        (lambda ch: ch.exec("Dial; HANGUP"), "not an application name"),
        (lambda ch: ch.verbose("hej", 9), "level"),
        (lambda ch: ch.send("NOOP\nHANGUP"), "LF"),
        (lambda ch: ch.speech_recognize("beep", -1), "timeout_s"),
    ],
)
async def test_bad_arguments_are_refused_before_anything_is_sent(
    call: Callable[[Channel], Awaitable[object]], message: str
) -> None:
    async with connected_channel() as (channel, asterisk):
        with pytest.raises(ValueError, match=message):
            await call(channel)
        await channel.close()
        assert await asterisk.at_eof()  # nothing was written
