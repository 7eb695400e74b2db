"""The gTTS engine: Google Translate's speech, clearer than espeak-ng but online only (package `gtts`)."""

from __future__ import annotations

import io

from ivr.speech.audio import Audio, AudioFormatError, decode_mp3
from ivr.speech.tts.engine import TtsError, TtsUnavailable

DEFAULT_LANGUAGE = "sv"
NEEDS_INTERNET = (
    "the gtts engine needs internet access to Google's translate service (translate.google.com); "
    "without it, use --engine espeak-ng (offline, robotic) or --engine piper (offline, with a voice file)"
)


class GttsEngine:
    """Asks Google's translate service for `text` spoken in `language` (an MP3) and decodes it.

    The voice is the language tag: Google has one voice per language. Each request waits at most
    `timeout_s` for the server; a long text is sent in several requests.
    """

    def __init__(self, language: str = DEFAULT_LANGUAGE, *, timeout_s: float = 15.0) -> None:
        if not language.strip():
            raise ValueError("gTTS language must not be empty")
        self._language = language
        self._timeout_s = timeout_s

    @property
    def name(self) -> str:
        return "gtts"

    @property
    def voice(self) -> str:
        return self._language

    def render(self, text: str) -> Audio:
        if not text.strip():
            raise TtsError("gtts: nothing to say (empty text)")
        try:
            import gtts
            import gtts.lang
        except ImportError as error:
            raise TtsUnavailable(
                "the gtts engine needs the gtts package; install it with `pip install 'ivr[voices]'`"
            ) from error
        if self._language not in gtts.lang.tts_langs():
            raise TtsUnavailable(f"gtts has no language {self._language!r}; Swedish is 'sv'")
        speech = gtts.gTTS(text, lang=self._language, lang_check=False, timeout=self._timeout_s)
        mp3 = io.BytesIO()
        try:
            speech.write_to_fp(mp3)
        # gTTSError for refusals and failed connections; requests' errors (OSError) when a reply breaks off
        except (gtts.gTTSError, OSError) as error:
            if _timed_out(error):
                reason = f"no answer within {self._timeout_s:g} s"
            else:
                reason = str(error) or type(error).__name__
            raise TtsUnavailable(f"gtts got no speech ({reason}): {NEEDS_INTERNET}") from error
        if not mp3.getvalue():
            raise TtsError(f"gtts: Google's translate service sent no audio for {text[:40]!r}")
        try:
            return decode_mp3(mp3.getvalue(), source="gtts reply")
        except AudioFormatError as error:
            raise TtsError(f"gtts sent audio that cannot be decoded: {error}") from error


def _timed_out(error: BaseException) -> bool:
    """Whether a socket timeout lies under `error` (gTTS reports a timeout as a failed connection)."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, TimeoutError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False
