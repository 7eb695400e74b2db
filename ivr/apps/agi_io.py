"""The dialog engine's call I/O over a FastAGI channel: keys with GET DATA (or keys and speech through a
`SpeechInput`), comments with RECORD FILE."""

from __future__ import annotations

import contextlib
import logging
import re

from ivr.agi.channel import Channel
from ivr.agi.errors import AGIHangup
from ivr.apps.shared_dir import SharedDir
from ivr.apps.speech_input import SpeechInput, ask_keys
from ivr.dialog.io import CallerHungUp, InputSpec, Prompt, RawInput, Recording, RecordingEnd
from ivr.dialog.model import SLUG_PATTERN
from ivr.speech.prompts import PromptCache

log = logging.getLogger("ivr.apps")

# Played instead of a prompt that has no audio (an Asterisk core sound): the call goes on, the log names it.
SILENT_STAND_IN = "silence/1"
SAMPLE_RATE = 8000
MAX_NAME_LENGTH = 64


class AgiCallIO:
    """Adapts a live FastAGI channel to the dialog engine's `CallIO`; `speech` hears spoken answers."""

    def __init__(
        self,
        channel: Channel,
        prompts: PromptCache,
        prompts_dir: SharedDir,
        recordings: SharedDir,
        recording_stem: str,
        speech: SpeechInput | None = None,
    ) -> None:
        self._channel = channel
        self._prompts = prompts
        self._prompts_dir = prompts_dir
        self._recordings = recordings
        self._recording_stem = recording_stem
        self._speech = speech

    async def play(self, prompt: Prompt) -> None:
        try:
            await self._channel.stream_file(self._sound(prompt))
        except AGIHangup as exc:
            raise CallerHungUp from exc

    async def ask(self, prompt: Prompt, spec: InputSpec) -> RawInput:
        if spec.speech and self._speech is not None:
            return await self._speech.ask(self._sound(prompt), spec)
        return await ask_keys(self._channel, self._sound(prompt), spec)

    async def record(
        self,
        prompt: Prompt,
        *,
        name: str,
        max_s: float,
        silence_s: float,
        end_keys: str = "#",
        beep: bool = True,
    ) -> Recording:
        await self.play(prompt)
        local = self._recordings.local / f"{self._recording_stem}-{name}"
        wav = local.parent / f"{local.name}.wav"  # not with_suffix: Asterisk's uniqueids contain a dot
        try:
            local.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.error("cannot make the recordings directory %s: %s", local.parent, exc)
            return Recording(path=wav, duration_s=0.0, ended_by="error")
        try:
            result = await self._channel.record_file(
                self._recordings.for_asterisk(local),
                "wav",
                end_keys,
                round(max_s * 1000),
                beep=beep,
                silence_s=round(silence_s) if silence_s > 0 else None,
            )
        except AGIHangup as exc:
            raise CallerHungUp from exc
        if result.ended_by == "error":
            log.error(
                "RECORD FILE could not write %s (is the recordings directory shared with Asterisk?)", local
            )
        ended_by: RecordingEnd = result.ended_by
        return Recording(path=wav, duration_s=result.endpos / SAMPLE_RATE, ended_by=ended_by)

    async def hangup(self) -> None:
        if self._speech is not None:
            await self._speech.close()
        if not self._channel.hung_up:
            with contextlib.suppress(AGIHangup):
                await self._channel.hangup()

    def _sound(self, prompt: Prompt) -> str:
        return sound_for(prompt, self._prompts, self._prompts_dir)


def sound_for(prompt: Prompt, prompts: PromptCache, prompts_dir: SharedDir) -> str:
    """The name Asterisk plays a prompt by; a prompt without audio is logged and plays as silence."""
    path = prompts.resolve(prompt)
    if path is None:
        log.warning(
            "prompt %s has no audio (run `ivr prompts build`); playing silence", prompt.name or prompt.text
        )
        return SILENT_STAND_IN
    return prompts_dir.for_asterisk(path)


def is_slug(value: str) -> bool:
    """A tenant, queue or purpose name from the dialplan: lowercase a-z, digits, '_' or '-', at most 64."""
    return len(value) <= MAX_NAME_LENGTH and re.fullmatch(SLUG_PATTERN, value) is not None
