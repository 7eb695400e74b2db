"""Text-to-speech engines behind one interface, created by name (`engine_for("espeak-ng", "sv")`).

espeak-ng (the default: offline, robotic), gtts (online, clearer) and piper (offline neural speech from a
voice file the user provides). `engine_from_settings` is the one place that turns settings into an engine, so
the build, `ivr dialogs check` and the bot agree on the cache key of every prompt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivr.speech.tts.engine import (
    DEFAULT_MODELS_DIR,
    EngineFactory,
    TtsEngine,
    TtsError,
    TtsUnavailable,
    engine_for,
    engine_names,
    register_engine,
)
from ivr.speech.tts.espeak import DEFAULT_VOICE as ESPEAK_DEFAULT_VOICE
from ivr.speech.tts.espeak import EspeakEngine
from ivr.speech.tts.gtts_engine import DEFAULT_LANGUAGE as GTTS_DEFAULT_LANGUAGE
from ivr.speech.tts.gtts_engine import GttsEngine
from ivr.speech.tts.piper_engine import DEFAULT_VOICE as PIPER_DEFAULT_VOICE
from ivr.speech.tts.piper_engine import PiperEngine

if TYPE_CHECKING:
    from ivr.settings import Settings

register_engine("espeak-ng", lambda voice, _models: EspeakEngine(voice or ESPEAK_DEFAULT_VOICE))
register_engine("gtts", lambda voice, _models: GttsEngine(voice or GTTS_DEFAULT_LANGUAGE))
register_engine("piper", lambda voice, models: PiperEngine(voice or PIPER_DEFAULT_VOICE, models_dir=models))


def engine_from_settings(settings: Settings, name: str | None = None, voice: str | None = None) -> TtsEngine:
    """The engine `name` (default: settings.tts_engine) with `voice`.

    Without a voice, settings.tts_voice is used only when the engine is the one settings name (a voice belongs
    to its engine: espeak's `sv` is no piper voice); otherwise, and when it is empty, the engine's default.
    """
    chosen = name or settings.tts_engine
    if not voice and chosen == settings.tts_engine:
        voice = settings.tts_voice
    return engine_for(chosen, voice or None, models_dir=settings.models_dir)


__all__ = [
    "DEFAULT_MODELS_DIR",
    "ESPEAK_DEFAULT_VOICE",
    "GTTS_DEFAULT_LANGUAGE",
    "PIPER_DEFAULT_VOICE",
    "EngineFactory",
    "EspeakEngine",
    "GttsEngine",
    "PiperEngine",
    "TtsEngine",
    "TtsError",
    "TtsUnavailable",
    "engine_for",
    "engine_from_settings",
    "engine_names",
    "register_engine",
]
