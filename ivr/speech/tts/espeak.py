"""The espeak-ng engine: robotic but always available (Debian package `espeak-ng`), Swedish voice `sv`."""

from __future__ import annotations

import shutil
import subprocess

from ivr.speech.audio import Audio, AudioFormatError, decode_wav
from ivr.speech.tts.engine import TtsError, TtsUnavailable

DEFAULT_VOICE = "sv"


class EspeakEngine:
    """Runs `espeak-ng -v <voice> --stdout` with the text on stdin (never through a shell)."""

    def __init__(
        self, voice: str = DEFAULT_VOICE, *, binary: str = "espeak-ng", timeout_s: float = 30.0
    ) -> None:
        if not voice.strip():
            raise ValueError("espeak-ng voice must not be empty")
        self._voice = voice
        self._binary = binary
        self._timeout_s = timeout_s

    @property
    def name(self) -> str:
        return "espeak-ng"

    @property
    def voice(self) -> str:
        return self._voice

    def render(self, text: str) -> Audio:
        if not text.strip():
            raise TtsError("espeak-ng: nothing to say (empty text)")
        output = self._run(text)
        try:
            return decode_wav(output, source="espeak-ng output")
        except AudioFormatError as error:
            raise TtsError(f"espeak-ng gave no usable audio for voice {self._voice!r}: {error}") from error

    def _run(self, text: str) -> bytes:
        executable = shutil.which(self._binary)
        if executable is None:
            raise TtsUnavailable(
                f"espeak-ng not found (looked for {self._binary!r}); "
                "install it with `apt-get install espeak-ng`"
            )
        # Text on stdin, so a text starting with '-' is never read as an option; -b 1 means UTF-8 input.
        command = [executable, "-v", self._voice, "-b", "1", "--stdout"]
        try:
            result = subprocess.run(
                command, input=text.encode("utf-8"), capture_output=True, timeout=self._timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            raise TtsError(f"espeak-ng did not finish within {self._timeout_s:g} s") from None
        except OSError as error:
            raise TtsUnavailable(f"espeak-ng could not be started ({executable}): {error}") from error
        if result.returncode != 0:
            message = result.stderr.decode("utf-8", "replace").strip() or "no message"
            raise TtsError(f"espeak-ng failed (exit {result.returncode}, voice {self._voice!r}): {message}")
        return result.stdout
