"""Spoken answers over FastAGI, in the same question as keys, two ways that give the same `RawInput`.

`record` (RecordedAnswers): the prompt plays with every key as an escape digit; a key wins at once.
Otherwise RECORD FILE listens with every key as an escape digit and silence detection, and the bot
recognises the take it reads from the recordings directory it shares with Asterisk (FastAGI carries no
audio). RECORD FILE's silence counts from the start of the take and only in whole seconds, so a caller
who has not started speaking when a take ends in silence is listened to again with a new take, until the
question's timeout: the caller may take their time, and the end of an answer is still heard within one
second. Takes are deleted once recognised.

`asterisk-speech` (AsteriskSpeechAnswers): Asterisk's speech API with a speech module on its side (Vosk's
res_speech_vosk). SPEECH RECOGNIZE plays the prompt and returns speech or a key in one command. When
SPEECH CREATE fails, the call goes on with keys alone.

A key pressed for a question that takes several digits (a number) is followed by GET DATA for the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

from ivr.agi.channel import Channel
from ivr.agi.errors import AGIHangup
from ivr.agi.results import RecordResult
from ivr.apps.shared_dir import SharedDir
from ivr.dialog.io import CallerHungUp, InputSpec, RawInput
from ivr.speech.audio import TELEPHONE_RATE, AudioFormatError, read_wav
from ivr.speech.recognition.base import AnswerRecognizer, RecognitionError

log = logging.getLogger("ivr.apps.speech")

ANY_KEY = "0123456789*#"
MORE_DIGITS_SOUND = "silence/1"  # GET DATA needs a sound; keys pressed during it count
LONGEST_ANSWER_S = 10.0  # a take ends here even if the caller never pauses
SILENCE_LEVEL = 256  # Asterisk's default silence threshold (dsp.conf), on 16-bit samples
_FRAME = 160  # 20 ms at 8 kHz

T = TypeVar("T")


class SpeechInput(Protocol):
    """One call's way of hearing spoken answers."""

    async def ask(self, sound: str, spec: InputSpec) -> RawInput:
        """Play `sound` and return the caller's keys or words."""
        ...

    async def close(self) -> None:
        """Release what the call holds (on Asterisk's side); the channel may be hung up."""
        ...


async def ask_keys(channel: Channel, sound: str, spec: InputSpec) -> RawInput:
    """The keypad alone: GET DATA (a key pressed during the prompt interrupts it and counts)."""
    result = await _hangup_aware(
        channel.get_data(sound, timeout_ms=round(spec.timeout_s * 1000), max_digits=spec.max_digits)
    )
    if result.failed:
        log.warning("GET DATA failed for %s on %s", sound, channel.request.uniqueid)
    return RawInput(mode="dtmf", utterance=result.digits)


async def keys_after(channel: Channel, first: str, spec: InputSpec) -> RawInput:
    """The whole keyed answer that began with `first` ('#' alone is an empty entry)."""
    if first == "#":
        return RawInput(mode="dtmf", utterance="")
    if spec.max_digits <= 1:
        return RawInput(mode="dtmf", utterance=first)
    rest = await _hangup_aware(
        channel.get_data(
            MORE_DIGITS_SOUND, timeout_ms=round(spec.timeout_s * 1000), max_digits=spec.max_digits - 1
        )
    )
    return RawInput(mode="dtmf", utterance=first + rest.digits)


@dataclass
class RecordedAnswers:
    """The `record` strategy: keys during the prompt, else record the answer and recognise it here."""

    channel: Channel
    recordings: SharedDir
    stem: str  # a call's recording path without extension, under recordings.local
    recognizer: AnswerRecognizer
    end_silence_s: int = 1
    _takes: int = 0
    _failed: bool = False

    async def ask(self, sound: str, spec: InputSpec) -> RawInput:
        if self._failed:
            return await ask_keys(self.channel, sound, spec)
        played = await _hangup_aware(self.channel.stream_file(sound, ANY_KEY))
        if played.digit is not None:
            return await keys_after(self.channel, played.digit, spec)
        return await self._listen(spec)

    async def close(self) -> None:
        return None

    async def _listen(self, spec: InputSpec) -> RawInput:
        """Takes until the caller says something or presses a key, or the question's timeout has passed."""
        listened_s = 0.0
        heard_noise = False
        while listened_s < spec.timeout_s:
            take, local = await self._record(spec)
            if take.digit is not None or take.ended_by in ("hangup", "error"):
                _remove(local)  # only a take that may hold words is kept, until it is recognised
            if take.digit is not None:
                return await keys_after(self.channel, take.digit, spec)
            if take.ended_by == "hangup":
                raise CallerHungUp
            if take.ended_by == "error":
                return await self._give_up_on_speech(spec, "RECORD FILE could not write the answer")
            listened_s += max(take.endpos / TELEPHONE_RATE, float(self.end_silence_s))
            heard = await self._recognise(local, spec)
            if heard is None:
                return await self._give_up_on_speech(spec, "recognition failed")
            if heard.utterance:
                return heard
            heard_noise = heard_noise or heard.confidence > 0
        return RawInput(mode="speech" if heard_noise else "dtmf", utterance="")

    async def _record(self, spec: InputSpec) -> tuple[RecordResult, Path]:
        self._takes += 1
        local = self.recordings.local / f"{self.stem}-answer{self._takes}"
        local.parent.mkdir(parents=True, exist_ok=True)
        longest_ms = round((spec.timeout_s + LONGEST_ANSWER_S) * 1000)
        take = await _hangup_aware(
            self.channel.record_file(
                self.recordings.for_asterisk(local), "wav", ANY_KEY, longest_ms, silence_s=self.end_silence_s
            )
        )
        return take, local.parent / f"{local.name}.wav"

    async def _recognise(self, wav: Path, spec: InputSpec) -> RawInput | None:
        """The words in a take ("" with confidence 0 for silence, > 0 for unintelligible sound); None on
        failure. The take is deleted either way."""
        try:
            if await asyncio.to_thread(_is_silent, wav):
                return RawInput(mode="speech", utterance="", confidence=0.0)
            transcript = await self.recognizer.recognize(wav, spec.phrases or None)
        except (RecognitionError, AudioFormatError, OSError) as error:
            log.error("call %s: cannot recognise %s: %s", self.channel.request.uniqueid, wav, error)
            return None
        finally:
            _remove(wav)
        log.info(
            "call %s: heard %r (confidence %.2f, %s, %.0f ms)",
            self.channel.request.uniqueid,
            transcript.text,
            transcript.confidence,
            transcript.engine,
            transcript.decode_s * 1000,
        )
        return RawInput(mode="speech", utterance=transcript.text, confidence=max(transcript.confidence, 1e-3))

    async def _give_up_on_speech(self, spec: InputSpec, why: str) -> RawInput:
        log.warning("call %s: %s; keys only for the rest of the call", self.channel.request.uniqueid, why)
        self._failed = True
        return await ask_keys(self.channel, MORE_DIGITS_SOUND, spec)


@dataclass
class AsteriskSpeechAnswers:
    """The `asterisk-speech` strategy: SPEECH RECOGNIZE returns speech or a key in one command."""

    channel: Channel
    engine: str = "vosk"
    _available: bool | None = None  # None: SPEECH CREATE not tried yet

    async def ask(self, sound: str, spec: InputSpec) -> RawInput:
        if not await self._ready():
            return await ask_keys(self.channel, sound, spec)
        result = await self.channel.speech_recognize(sound, timeout_s=max(1, math.ceil(spec.timeout_s)))
        if result.status == "hangup":
            raise CallerHungUp
        if result.status == "dtmf" and result.digit is not None:
            return await keys_after(self.channel, result.digit, spec)
        if result.status == "speech" and result.results:
            best = max(result.results, key=lambda hypothesis: hypothesis.score)
            confidence = min(max(best.score / 100, 0.0), 1.0)
            return RawInput(mode="speech", utterance=normalise(best.text), confidence=confidence)
        if result.status == "none":  # the speech object is gone: go on with keys
            log.warning("call %s: SPEECH RECOGNIZE failed; keys only", self.channel.request.uniqueid)
            self._available = False
            return await ask_keys(self.channel, sound, spec)
        return RawInput(mode="dtmf", utterance="")

    async def close(self) -> None:
        if self._available and not self.channel.hung_up:
            with contextlib.suppress(AGIHangup):
                await self.channel.speech_destroy()

    async def _ready(self) -> bool:
        if self._available is None:
            self._available = await _hangup_aware(self.channel.speech_create(self.engine))
            if not self._available:
                log.warning(
                    "call %s: SPEECH CREATE %s failed (is Asterisk's speech module loaded?); keys only",
                    self.channel.request.uniqueid,
                    self.engine,
                )
        return self._available


def normalise(text: str) -> str:
    """Lower case, letters and digits only, single spaces: what the answer matcher expects."""
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


async def _hangup_aware(command: Awaitable[T]) -> T:
    try:
        return await command
    except AGIHangup as exc:
        raise CallerHungUp from exc


def _is_silent(wav: Path) -> bool:
    """No 20 ms frame of the take is louder than Asterisk's silence threshold."""
    samples = read_wav(wav).samples.astype(np.float64)
    usable = len(samples) - len(samples) % _FRAME
    if usable == 0:
        return True
    frames = samples[:usable].reshape(-1, _FRAME)
    loudest = float(np.sqrt((frames**2).mean(axis=1)).max())
    return loudest < SILENCE_LEVEL


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
