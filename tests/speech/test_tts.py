from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ivr.settings import Settings
from ivr.speech.tts import (
    EspeakEngine,
    GttsEngine,
    PiperEngine,
    TtsEngine,
    TtsError,
    engine_for,
    engine_from_settings,
    engine_names,
    register_engine,
)
from ivr.speech.tts import engine as engine_module

from .fakes import ToneEngine, rms

SWEDISH_QUESTION = "Hur nöjd är du med bemötandet?"


def test_espeak_ng_is_installed() -> None:
    assert shutil.which("espeak-ng"), "install espeak-ng: apt-get install -y espeak-ng"


def test_espeak_speaks_swedish() -> None:
    audio = EspeakEngine("sv").render(SWEDISH_QUESTION)

    assert audio.duration_s > 0.5
    assert rms(audio) > 300


def test_longer_text_gives_longer_audio() -> None:
    engine = EspeakEngine()

    short = engine.render("Tack.")
    long = engine.render("Tack för att du svarade på våra frågor om kontaktcenter i kommunen.")

    assert long.duration_s > 2 * short.duration_s


def test_text_that_looks_like_an_option_is_spoken() -> None:
    audio = EspeakEngine().render("--help -v en")

    assert audio.duration_s > 0.5


def test_missing_binary_is_a_clear_error() -> None:
    with pytest.raises(TtsError, match=r"espeak-ng not found.*apt-get install espeak-ng"):
        EspeakEngine(binary="/nonexistent/espeak-ng").render("Hej")


def test_unknown_voice_reports_espeak_message() -> None:
    with pytest.raises(TtsError, match=r"exit 1, voice 'xx-nonexistent'.*does not exist"):
        EspeakEngine("xx-nonexistent").render("Hej")


def test_binary_writing_garbage_is_an_error(tmp_path: Path) -> None:
    script = tmp_path / "fake-espeak"
    script.write_text("#!/bin/sh\necho 'not audio'\n")
    script.chmod(0o755)

    with pytest.raises(TtsError, match="no usable audio"):
        EspeakEngine(binary=str(script)).render("Hej")


def test_hanging_binary_times_out(tmp_path: Path) -> None:
    script = tmp_path / "slow-espeak"
    script.write_text("#!/bin/sh\nexec sleep 5\n")
    script.chmod(0o755)

    with pytest.raises(TtsError, match=r"did not finish within 0\.2 s"):
        EspeakEngine(binary=str(script), timeout_s=0.2).render("Hej")


def test_empty_text_is_refused() -> None:
    with pytest.raises(TtsError, match="empty text"):
        EspeakEngine().render("  ")


def test_registry_creates_espeak_with_default_voice() -> None:
    engine = engine_for("espeak-ng")

    assert isinstance(engine, TtsEngine)
    assert (engine.name, engine.voice) == ("espeak-ng", "sv")
    assert engine_for("espeak-ng", "sv-x-whatever").voice == "sv-x-whatever"


def test_registry_rejects_unknown_engine_and_names_the_known() -> None:
    with pytest.raises(
        TtsError, match=r"unknown TTS engine 'festival'; known engines: espeak-ng, gtts, piper"
    ):
        engine_for("festival")


def test_registered_engine_is_available_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "_factories", dict(engine_module._factories))
    register_engine("tone", lambda voice, _models: ToneEngine(voice or "tone-a"))

    assert "tone" in engine_names()
    assert engine_for("tone", "tone-b").voice == "tone-b"
    assert engine_for("tone", "").voice == "tone-a"


@pytest.mark.parametrize(
    ("name", "kind", "voice"),
    [
        ("espeak-ng", EspeakEngine, "sv"),
        ("gtts", GttsEngine, "sv"),
        ("piper", PiperEngine, "sv_SE-nst-medium"),
    ],
)
def test_each_engine_has_a_swedish_default_voice(name: str, kind: type[TtsEngine], voice: str) -> None:
    engine = engine_for(name)

    assert isinstance(engine, kind)
    assert (engine.name, engine.voice) == (name, voice)
    assert engine_for(name, "").voice == voice


def test_settings_voice_belongs_to_the_settings_engine(tmp_path: Path) -> None:
    espeak = Settings(tts_engine="espeak-ng", tts_voice="sv-x-whatever", models_dir=tmp_path)

    assert engine_from_settings(espeak).voice == "sv-x-whatever"
    assert engine_from_settings(espeak, "espeak-ng", "en").voice == "en"
    assert engine_from_settings(espeak, "gtts").voice == "sv"  # espeak's voice is not gTTS's
    piper = engine_from_settings(espeak, "piper")
    assert (piper.name, piper.voice) == ("piper", "sv_SE-nst-medium")
    assert isinstance(piper, PiperEngine)
    assert piper.model_path() == tmp_path / "sv_SE-nst-medium.onnx"


def test_empty_settings_voice_means_the_engines_default() -> None:
    assert Settings(tts_engine="espeak-ng", tts_voice="").tts_voice == ""
    assert engine_from_settings(Settings(tts_engine="espeak-ng", tts_voice="")).voice == "sv"
    assert engine_from_settings(Settings(tts_engine="gtts", tts_voice="")).voice == "sv"
    assert engine_from_settings(Settings(tts_engine="gtts", tts_voice="en")).voice == "en"


def test_settings_with_an_unknown_engine_is_a_clear_error() -> None:
    with pytest.raises(TtsError, match="unknown TTS engine 'google'; known engines: espeak-ng, gtts, piper"):
        engine_from_settings(Settings(tts_engine="google"))
