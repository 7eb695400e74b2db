"""Text-to-speech engines behind one interface, created by name (`engine_for("espeak-ng", "sv")`)."""

from ivr.speech.tts.engine import (
    EngineFactory,
    TtsEngine,
    TtsError,
    engine_for,
    engine_names,
    register_engine,
)
from ivr.speech.tts.espeak import DEFAULT_VOICE as ESPEAK_DEFAULT_VOICE
from ivr.speech.tts.espeak import EspeakEngine

register_engine("espeak-ng", lambda voice: EspeakEngine(voice or ESPEAK_DEFAULT_VOICE))

__all__ = [
    "EngineFactory",
    "EspeakEngine",
    "TtsEngine",
    "TtsError",
    "engine_for",
    "engine_names",
    "register_engine",
]
