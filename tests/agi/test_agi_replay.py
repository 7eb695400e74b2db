"""Each recorded Asterisk 20.20.1 session, replayed byte for byte against the typed Channel API."""

from __future__ import annotations

import pytest

from ivr.agi import (
    AGICommandError,
    AGIDeadChannel,
    AGIHangup,
    Channel,
    DigitsResult,
    PlaybackResult,
    RecordResult,
    SayResult,
    SpeechResult,
)

from .replay import TRANSCRIPTS, load_transcript, replay

SPOOL = "/var/spool/asterisk/recording"


def test_every_agi_transcript_is_replayed_here() -> None:
    recorded = sorted(path.name[:6].replace("-", "_") for path in TRANSCRIPTS.glob("agi-*.txt"))
    replayed = sorted(name.removeprefix("test_")[:6] for name in globals() if name.startswith("test_agi_"))
    assert recorded, "no transcripts found"
    assert recorded == replayed


def test_transcript_reader_keeps_raw_bytes_and_the_env_block() -> None:
    lines = load_transcript("agi-07-invalid-and-usage.txt")
    sent = [line.data for line in lines if not line.from_asterisk]
    assert b"ANSWER\r\n" in sent
    assert b"\n" in sent  # the empty command
    utf8 = load_transcript("agi-11-sv-utf8-callerid.txt")
    assert b"agi_calleridname: \xc3\x85sa \xc3\x96berg\n" in [line.data for line in utf8]


async def test_agi_01_stream_file() -> None:
    async def app(channel: Channel) -> None:
        await channel.answer()
        assert await channel.stream_file("hello-world") == PlaybackResult(
            digit=None, endpos=11234, failed=False
        )
        assert await channel.stream_file("vm-intro", "#5") == PlaybackResult(
            digit="5", endpos=21280, failed=False
        )
        assert await channel.stream_file("beep", "", offset=1000) == PlaybackResult(None, 3404, False)
        assert await channel.stream_file("vm-intro", "0123456789*#") == PlaybackResult("#", 10720, False)
        assert not channel.hung_up

    await replay("agi-01-stream-file.txt", app)


async def test_agi_02_missing_sound_file_is_a_failure_not_a_hangup() -> None:
    async def app(channel: Channel) -> None:
        await channel.answer()
        assert await channel.stream_file("nosuchfile-xyz") == PlaybackResult(
            digit=None, endpos=0, failed=True
        )
        assert (await channel.stream_file("custom/nosuchfile", "#")).failed
        control = await channel.send('CONTROL STREAM FILE nosuchfile-xyz ""')
        assert (control.result, control.endpos) == ("-1", -1)
        assert await channel.get_option("nosuchfile-xyz", "#", 1000) == PlaybackResult(None, 0, True)
        assert await channel.get_data("nosuchfile-xyz", 1000, 2) == DigitsResult(
            "", timed_out=False, failed=True
        )
        assert await channel.exec("Playback", "nosuchfile-xyz") == 0
        assert await channel.get_variable("PLAYBACKSTATUS") == "FAILED"
        assert not channel.hung_up

    await replay("agi-02-stream-missing-file.txt", app)


async def test_agi_03_get_data() -> None:
    async def app(channel: Channel) -> None:
        await channel.answer()
        assert await channel.get_data("beep", 5000, 10) == DigitsResult("123", timed_out=False, failed=False)
        assert await channel.get_data("beep", 5000, 3) == DigitsResult("456", timed_out=False, failed=False)
        assert await channel.get_data("beep", 3000, 5) == DigitsResult("", timed_out=True, failed=False)
        assert await channel.get_data("beep", 3000, 5) == DigitsResult("78", timed_out=True, failed=False)

    await replay("agi-03-get-data.txt", app)


async def test_agi_04_get_option_wait_for_digit_then_hangup_and_511() -> None:
    async def app(channel: Channel) -> None:
        await channel.answer()
        assert await channel.get_option("vm-intro", "123", 3000) == PlaybackResult("2", 13760, False)
        assert await channel.get_option("beep", "123", 2000) == PlaybackResult(None, 3404, False)
        assert await channel.get_option("beep", "123", 3000) == PlaybackResult(None, 3404, False)
        assert await channel.wait_for_digit(2000) is None
        assert await channel.wait_for_digit(3000) == "*"
        with pytest.raises(AGIHangup) as hangup:
            await channel.wait_for_digit(-1)
        assert not isinstance(hangup.value, AGIDeadChannel)
        assert channel.hung_up
        with pytest.raises(AGIDeadChannel):
            await channel.wait_for_digit(1000)

    await replay("agi-04-get-option-wait-for-digit.txt", app)


async def test_agi_05_record_file() -> None:
    async def app(channel: Channel) -> None:
        await channel.answer()
        missing_dir = "/var/spool/asterisk/no-such-dir/sub/r5e"
        assert await channel.record_file(missing_dir, "wav", "#", 3000) == RecordResult("error", None, 0, 0)
        assert await channel.record_file(f"{SPOOL}/r5a", "wav", "#", 10000) == RecordResult(
            "dtmf", "#", 22378, 0
        )
        silence = await channel.record_file(f"{SPOOL}/r5b", "wav", "#", 15000, silence_s=2)
        assert silence == RecordResult(ended_by="silence", digit=None, endpos=32138, ms_left=9155)
        assert await channel.record_file(f"{SPOOL}/r5c", "wav", "#", 3000) == RecordResult(
            "timeout", None, 24000, 0
        )
        beep = await channel.record_file(f"{SPOOL}/r5d", "wav", "#", 10000, beep=True)
        assert beep == RecordResult("dtmf", "#", 53716, 0)
        hangup = await channel.record_file(f"{SPOOL}/r5f", "wav", "#", 20000)
        assert hangup == RecordResult(ended_by="hangup", digit=None, endpos=23978, ms_left=0)
        assert channel.hung_up
        await channel.noop()

    await replay("agi-05-record-file.txt", app)


async def test_agi_06_say_exec_music_status_variables() -> None:
    async def app(channel: Channel) -> None:
        await channel.answer()
        assert await channel.say_digits("12345", "#") == SayResult(digit="#", failed=False)
        assert await channel.say_digits(678) == SayResult(digit=None, failed=False)
        assert await channel.say_number(1234, "*") == SayResult(digit="*", failed=False)
        assert await channel.say_number(42) == SayResult(digit=None, failed=False)
        assert await channel.exec("Playback", "beep") == 0
        assert await channel.exec("NoSuchApplication", "foo") == -2
        assert await channel.exec("Verbose", "1", "hello from EXEC") == 0
        await channel.verbose("hello from agi", 1)
        await channel.set_music(True, "default")
        await channel.set_music(False)
        await channel.set_music(True, "nosuchclass")
        await channel.set_music(False)
        assert await channel.channel_status() == 6
        assert await channel.channel_status("Local/nonexistent@nowhere-00000099;1") == -1
        assert await channel.get_full_variable("${CALLERID(num)}") == "0701234567"
        both = await channel.get_full_variable("${CALLERID(name)} <${CALLERID(num)}>")
        assert both == "Test Caller <0701234567>"
        assert await channel.get_full_variable("${NOSUCHVAR}") == ""
        assert await channel.get_variable("NOSUCHVAR") is None
        await channel.set_variable("MYVAR", "a b c")
        assert await channel.get_variable("MYVAR") == "a b c"
        assert await channel.get_variable("CHANNEL(language)") == "en"
        await channel.noop()
        assert (await channel.send('SAY ALPHA abc ""')).result == "0"
        assert not channel.hung_up

    await replay("agi-06-say-exec-misc.txt", app)


async def test_agi_07_unknown_commands_usage_and_quirks() -> None:
    async def app(channel: Channel) -> None:
        await channel.answer()
        await _expect_command_error(channel, "FOO BAR", 510)
        usage = await _expect_command_error(channel, "STREAM FILE", 520)
        assert usage.startswith("Send the given file, allowing playback to be interrupted")
        assert usage.endswith("    <value>SUCCESS</value>\n    <value>FAILED</value>")
        assert len(usage.splitlines()) == 5
        await _expect_command_error(channel, "STREAM FILE beep", 520)
        assert await _expect_command_error(channel, "GET DATA", 520) == (
            "Stream the given <replaceable>file</replaceable>, and receive DTMF data.\n"
            "Returns the digits received from the channel at the other end."
        )
        for command in ("WAIT FOR DIGIT", "RECORD FILE /tmp/x wav", 'SAY NUMBER abc ""'):
            await _expect_command_error(channel, command, 520)
        get_usage = await _expect_command_error(channel, "GET VARIABLE", 520)
        assert get_usage.endswith("Example return code: 200 result=1 (testvariable)")
        await _expect_command_error(channel, "SET VARIABLE ONLYNAME", 520)
        assert "AGIEXECFULL" in await _expect_command_error(channel, "EXEC", 520)
        assert (await channel.send("answer")).result == "0"
        assert (await channel.send("  ANSWER")).result == "0"
        await _expect_command_error(channel, "ANSWER\r", 510)
        assert (await channel.send("GET VARIABLE CHANNEL(language)\r")).result == "0"
        await _expect_command_error(channel, "", 510)
        await channel.noop()

    await replay("agi-07-invalid-and-usage.txt", app)


async def test_agi_08_speech_without_an_engine() -> None:
    async def app(channel: Channel) -> None:
        await channel.answer()
        assert await channel.speech_create("vosk") is False
        nothing = SpeechResult(status="none", results=[], digit=None, endpos=0)
        assert await channel.speech_recognize("beep", 3000) == nothing
        assert await channel.speech_set("foo", "bar") is False
        assert await channel.speech_load_grammar("g1", "/tmp/nosuch.gram") is False
        assert await channel.speech_activate_grammar("g1") is False
        assert await channel.speech_deactivate_grammar("g1") is False
        assert await channel.speech_unload_grammar("g1") is False
        assert await channel.speech_destroy() is False
        assert (await channel.send("SPEECH CREATE")).result == "0"

    await replay("agi-08-speech.txt", app)


async def test_agi_09_hangup_during_stream_then_dead_channel() -> None:
    async def app(channel: Channel) -> None:
        await channel.answer()
        with pytest.raises(AGIHangup):
            await channel.stream_file("vm-intro", "#")
        assert channel.hung_up
        with pytest.raises(AGIDeadChannel):
            await channel.get_data("beep", 1000, 2)
        with pytest.raises(AGIDeadChannel):
            await channel.stream_file("beep")
        assert await channel.get_variable("CALLERID(num)") == "0701234567"
        with pytest.raises(AGIDeadChannel):
            await channel.channel_status()

    await replay("agi-09-hangup-during-stream.txt", app)


async def test_agi_10_query_string_and_arguments() -> None:
    async def app(channel: Channel) -> None:
        request = channel.request
        assert request.script == "survey"
        assert request.query == {"tenant": "norrtalje", "lang": "sv"}
        assert request.args == ["arg1", "arg2"]
        assert request.env["agi_request"] == "agi://127.0.0.1:4573/survey?tenant=norrtalje&lang=sv"
        assert request.env["agi_accountcode"] == ""
        assert request.env["agi_priority"] == "2"
        assert (request.uniqueid, request.callerid) == ("1795350056.18", "0701234567")
        assert request.channel == "Local/s@caller-sim-s10-00000009;1"
        assert (request.context, request.extension, request.language) == ("agi-sc", "s10", "en")
        assert await channel.get_variable("AGISTATUS") is None

    await replay("agi-10-request-args.txt", app)


async def test_agi_11_swedish_caller_name_and_utf8_variables() -> None:
    async def app(channel: Channel) -> None:
        assert channel.request.calleridname == "Åsa Öberg"
        assert channel.request.language == "sv"
        assert await channel.get_variable("CALLERID(name)") == "Åsa Öberg"
        assert await channel.get_full_variable("${CALLERID(name)}") == "Åsa Öberg"
        assert await channel.get_variable("CHANNEL(language)") == "sv"
        assert await channel.stream_file("beep") == PlaybackResult(None, 3404, False)
        assert await channel.say_number(21) == SayResult(None, False)
        await channel.set_variable("GREETING", "Hej Åsa, välkommen")
        assert await channel.get_variable("GREETING") == "Hej Åsa, välkommen"

    await replay("agi-11-sv-utf8-callerid.txt", app)


async def test_agi_12_digits_between_commands_are_not_buffered() -> None:
    async def app(channel: Channel) -> None:
        await channel.answer()
        assert await channel.wait_for_digit(2000) is None
        assert await channel.wait_for_digit(3000) == "7"
        assert await channel.exec("Wait", "2") == 0
        assert await channel.wait_for_digit(1500) is None

    await replay("agi-12-dtmf-between-commands.txt", app)


async def _expect_command_error(channel: Channel, command: str, code: int) -> str:
    """Send a raw line that Asterisk rejects; return the usage text."""
    with pytest.raises(AGICommandError) as error:
        await channel.send(command)
    assert error.value.code == code
    assert error.value.command == command
    return error.value.usage
