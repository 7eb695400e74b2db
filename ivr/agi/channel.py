"""`Channel`: one call, with a typed method per AGI command.

Every command may raise AGIHangup (`result=-1` followed by HANGUP, or HANGUP already seen),
AGIDeadChannel (511), AGICommandError (510/520), AGITimeout and AGIProtocolError. A `result=-1` that is not a
hang-up is reported in the result where the result type has a `failed` flag (a missing sound file), and raised
as AGIError elsewhere. RECORD FILE and SPEECH RECOGNIZE report a hang-up in their result instead of raising:
the partial recording is kept.
"""

from __future__ import annotations

from ivr.agi.errors import AGIError
from ivr.agi.quoting import quote, quote_digits
from ivr.agi.reply import AGIReply
from ivr.agi.results import (
    DigitsResult,
    PlaybackResult,
    RecordResult,
    SayResult,
    SpeechResult,
    digit_of,
    digits_result,
    playback_result,
    record_result,
    say_result,
    speech_result,
)
from ivr.agi.session import AGISession

_C_INT_MAX = 2**31 - 1


class Channel(AGISession):
    """A live FastAGI call. Commands run one at a time; concurrent callers wait their turn."""

    # --- the call

    async def answer(self) -> None:
        await self._expect_success("ANSWER")

    async def hangup(self) -> None:
        await self._expect_success("HANGUP")
        self._mark_hung_up()

    async def channel_status(self, channel_name: str | None = None) -> int:
        """The channel state (6 = up); -1 when `channel_name` names no channel."""
        command = _join("CHANNEL STATUS", *([quote(channel_name)] if channel_name is not None else []))
        reply = await self._run(command, self._timeout_for(0), hangup_on_failure=False)
        return reply.result_int

    # --- sound and keypad

    async def stream_file(
        self, name: str, escape_digits: str = "", offset: int | None = None
    ) -> PlaybackResult:
        """Play a sound file (no extension); a digit in `escape_digits` stops it."""
        extra = [str(_non_negative("offset", offset))] if offset is not None else []
        command = _join("STREAM FILE", quote(_named("sound file", name)), quote_digits(escape_digits), *extra)
        return playback_result(await self._run(command, self._timeout_for(0)))

    async def get_option(self, name: str, escape_digits: str, timeout_ms: int) -> PlaybackResult:
        """Play, then wait `timeout_ms` for a digit; any digit ends the wait, only escape digits count."""
        command = _join(
            "GET OPTION",
            quote(_named("sound file", name)),
            quote_digits(escape_digits),
            _positive_ms(timeout_ms),
        )
        return playback_result(await self._run(command, self._timeout_for(timeout_ms)))

    async def get_data(self, name: str, timeout_ms: int, max_digits: int) -> DigitsResult:
        """Play, then collect up to `max_digits` digits; '#' ends early; the timeout restarts per digit."""
        if max_digits < 1:
            raise ValueError(f"max_digits must be at least 1, not {max_digits}")
        command = _join(
            "GET DATA", quote(_named("sound file", name)), _positive_ms(timeout_ms), str(max_digits)
        )
        reply = await self._run(command, self._timeout_for(timeout_ms * (max_digits + 1)))
        return digits_result(reply)

    async def wait_for_digit(self, timeout_ms: int) -> str | None:
        """The digit pressed within `timeout_ms` (-1: no limit of its own), or None."""
        if timeout_ms < -1:
            raise ValueError(f"timeout_ms must be -1 or more, not {timeout_ms}")
        wait = None if timeout_ms == -1 else timeout_ms
        reply = await self._expect_success(_join("WAIT FOR DIGIT", str(timeout_ms)), self._timeout_for(wait))
        return digit_of(reply.result_int)

    async def say_digits(self, digits: str | int, escape_digits: str = "") -> SayResult:
        text = str(digits)
        if not text.isascii() or not text.isdigit():
            raise ValueError(f"SAY DIGITS takes digits 0-9, not {text!r}")
        command = _join("SAY DIGITS", text, quote_digits(escape_digits))
        return say_result(await self._run(command, self._timeout_for(0)))

    async def say_number(self, number: int, escape_digits: str = "") -> SayResult:
        """Asterisk's own number reading (its Swedish rules sit under the language code `se`, not `sv`)."""
        if not -_C_INT_MAX <= number <= _C_INT_MAX:
            raise ValueError(f"SAY NUMBER takes a 32-bit integer, not {number}")
        command = _join("SAY NUMBER", str(number), quote_digits(escape_digits))
        return say_result(await self._run(command, self._timeout_for(0)))

    async def record_file(
        self,
        path: str,
        fmt: str,
        escape_digits: str,
        timeout_ms: int,
        *,
        offset: int | None = None,
        beep: bool = False,
        silence_s: int | None = None,
    ) -> RecordResult:
        """Record to `path`.`fmt` (its directory must exist on Asterisk's side) until an escape digit,
        the timeout (-1: none), `silence_s` s of silence, or a hang-up (ended_by="hangup", file kept)."""
        command = _join(
            "RECORD FILE",
            quote(_named("recording path", path)),
            quote(_named("format", fmt)),
            quote_digits(escape_digits),
            str(_at_least_minus_one("timeout_ms", timeout_ms)),
            *_record_options(offset, beep, silence_s),
        )
        wait = None if timeout_ms < 0 else timeout_ms
        reply = await self._run(command, self._timeout_for(wait), hangup_on_failure=False)
        result = record_result(reply)
        if result.ended_by == "hangup":
            self._mark_hung_up()
        return result

    async def set_music(self, on: bool, music_class: str | None = None) -> None:
        """Music on hold on or off (Asterisk answers 0 even for an unknown class)."""
        extra = [quote(music_class)] if on and music_class is not None else []
        await self._expect_success(_join("SET MUSIC", "on" if on else "off", *extra))

    # --- variables and applications

    async def set_variable(self, name: str, value: str) -> None:
        await self._expect_success(_join("SET VARIABLE", quote(_named("variable name", name)), quote(value)))

    async def get_variable(self, name: str) -> str | None:
        """The value, or None if the variable is not set (`200 result=0`). Works after a hang-up too."""
        reply = await self._expect_success(_join("GET VARIABLE", quote(_named("variable name", name))))
        return _value(reply)

    async def get_full_variable(self, expression: str) -> str:
        """`expression` with variables and functions substituted ("" for an unset variable)."""
        reply = await self._expect_success(
            _join("GET FULL VARIABLE", quote(_named("expression", expression)))
        )
        value = _value(reply)
        if value is None:
            raise AGIError(f"GET FULL VARIABLE gave no value: {reply.raw!r}")
        return value

    async def exec(self, app: str, *args: str, timeout_s: float | None = None) -> int:
        """Run a dialplan application; its arguments are joined with ','. Its result (-2: no such app)."""
        if not app or not app.replace("_", "").isalnum():
            raise ValueError(f"not an application name: {app!r}")
        command = _join("EXEC", app, *([quote(",".join(args))] if args else []))
        reply = await self._run(command, self._timeout_for(0) if timeout_s is None else timeout_s)
        return reply.result_int

    async def verbose(self, message: str, level: int = 1) -> None:
        if not 1 <= level <= 4:
            raise ValueError(f"verbose level must be 1-4, not {level}")
        await self._expect_success(_join("VERBOSE", quote(message), str(level)))

    async def noop(self) -> None:
        await self._expect_success("NOOP")

    # --- Asterisk's speech API (res_speech); each command answers result=0 when there is no engine

    async def speech_create(self, engine: str) -> bool:
        return await self._speech_flag(_join("SPEECH CREATE", quote(_named("engine", engine))))

    async def speech_set(self, name: str, value: str) -> bool:
        return await self._speech_flag(_join("SPEECH SET", quote(_named("setting", name)), quote(value)))

    async def speech_load_grammar(self, name: str, path: str) -> bool:
        return await self._speech_flag(
            _join("SPEECH LOAD GRAMMAR", quote(_named("grammar", name)), quote(_named("grammar path", path)))
        )

    async def speech_activate_grammar(self, name: str) -> bool:
        return await self._speech_flag(_join("SPEECH ACTIVATE GRAMMAR", quote(_named("grammar", name))))

    async def speech_deactivate_grammar(self, name: str) -> bool:
        return await self._speech_flag(_join("SPEECH DEACTIVATE GRAMMAR", quote(_named("grammar", name))))

    async def speech_unload_grammar(self, name: str) -> bool:
        return await self._speech_flag(_join("SPEECH UNLOAD GRAMMAR", quote(_named("grammar", name))))

    async def speech_destroy(self) -> bool:
        return await self._speech_flag("SPEECH DESTROY")

    async def speech_recognize(self, prompt: str, timeout_s: int, offset: int | None = None) -> SpeechResult:
        """Play `prompt` and listen. Asterisk counts this timeout in whole SECONDS after the prompt."""
        extra = [str(_non_negative("offset", offset))] if offset is not None else []
        command = _join(
            "SPEECH RECOGNIZE",
            quote(_named("prompt", prompt)),
            str(_non_negative("timeout_s", timeout_s)),
            *extra,
        )
        wait = None if timeout_s == 0 else timeout_s * 1000
        result = speech_result(await self._run(command, self._timeout_for(wait), hangup_on_failure=False))
        if result.status == "hangup":
            self._mark_hung_up()
        return result

    # --- helpers

    async def _expect_success(self, command: str, timeout_s: float | None = None) -> AGIReply:
        """Run a command whose `result=-1` (not a hang-up) means failure: AGIError."""
        reply = await self._run(command, self._timeout_for(0) if timeout_s is None else timeout_s)
        if reply.result_int < 0:
            raise AGIError(f"{command!r} failed: {reply.raw!r}")
        return reply

    async def _speech_flag(self, command: str) -> bool:
        reply = await self._run(command, self._timeout_for(0))
        return reply.result_int == 1


def _join(*parts: str) -> str:
    return " ".join(parts)


def _value(reply: AGIReply) -> str | None:
    """The value of a `200 result=1 (value)` reply, or None for `200 result=0`."""
    if reply.result_int == 0:
        return None
    return reply.data if reply.data is not None else ""


def _named(what: str, text: str) -> str:
    if not text:
        raise ValueError(f"the {what} must not be empty")
    return text


def _non_negative(what: str, number: int) -> int:
    if number < 0:
        raise ValueError(f"{what} must not be negative, not {number}")
    return number


def _at_least_minus_one(what: str, number: int) -> int:
    if number < -1:
        raise ValueError(f"{what} must be -1 or more, not {number}")
    return number


def _positive_ms(timeout_ms: int) -> str:
    if timeout_ms <= 0:
        raise ValueError(f"timeout_ms must be positive, not {timeout_ms}")
    return str(timeout_ms)


def _record_options(offset: int | None, beep: bool, silence_s: int | None) -> list[str]:
    """The optional RECORD FILE arguments. The offset slot is filled (0) when BEEP or s= follow, as Asterisk
    reads a non-number in that slot as a request for a beep. BEEP is upper case because res_agi looks for the
    silence option with strchr(arg, 's')."""
    if silence_s is not None and silence_s < 1:
        raise ValueError(f"silence_s must be at least 1, not {silence_s}")
    if offset is None and not beep and silence_s is None:
        return []
    options = [str(_non_negative("offset", offset or 0))]
    if beep:
        options.append("BEEP")
    if silence_s is not None:
        options.append(f"s={silence_s}")
    return options
