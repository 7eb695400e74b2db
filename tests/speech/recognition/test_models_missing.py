"""A missing or incomplete model gives a clear ModelNotFound; without the answer model, keypad only."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from ivr.settings import Settings
from ivr.speech.recognition.base import EngineUnavailable, ModelNotFound
from ivr.speech.recognition.modeldirs import require_model, resolve_model_dir
from ivr.speech.recognition.service import open_recognition
from ivr.speech.recognition.vosk import VoskRecognizer
from ivr.speech.recognition.whisper import WhisperRecognizer


def test_a_bare_name_is_under_models_dir_and_a_path_is_a_path(tmp_path: Path) -> None:
    assert resolve_model_dir(tmp_path, "vosk-model-small-sv-rhasspy-0.15") == (
        tmp_path / "vosk-model-small-sv-rhasspy-0.15"
    )
    assert resolve_model_dir(tmp_path, "/srv/models/x") == Path("/srv/models/x")
    assert resolve_model_dir(tmp_path, "other/x") == Path("other/x")


def test_a_missing_vosk_model_names_the_path_the_files_and_the_fetch_command(tmp_path: Path) -> None:
    missing = tmp_path / "vosk-model-small-sv-rhasspy-0.15"

    with pytest.raises(ModelNotFound) as raised:
        VoskRecognizer(missing)

    message = str(raised.value)
    assert f"{missing} does not exist" in message
    assert "am/final.mdl" in message
    assert "conf/mfcc.conf" in message
    assert "HCLr.fst" in message
    assert "`ivr models fetch vosk-model-small-sv-rhasspy-0.15`" in message


def test_an_incomplete_vosk_model_lists_what_it_lacks(tmp_path: Path) -> None:
    model = tmp_path / "vosk-model-small-sv-rhasspy-0.15"
    (model / "am").mkdir(parents=True)
    (model / "am/final.mdl").write_bytes(b"x")
    (model / "graph").mkdir()
    (model / "graph/HCLr.fst").write_bytes(b"x")

    with pytest.raises(ModelNotFound, match=r"lacks feature configuration .*graph/Gr.fst"):
        require_model(model, "vosk", model.name)


def test_an_incomplete_whisper_model_lists_what_it_lacks(tmp_path: Path) -> None:
    model = tmp_path / "faster-whisper-small"
    model.mkdir()
    (model / "model.bin").write_bytes(b"x")

    with pytest.raises(ModelNotFound) as raised:
        WhisperRecognizer(model)

    message = str(raised.value)
    assert "lacks config.json, tokenizer.json, vocabulary.txt or vocabulary.json" in message
    assert "`ivr models fetch faster-whisper-small`" in message


def test_a_model_outside_the_catalogue_points_to_the_list(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match=r"`ivr models fetch NAME` \(`ivr models list` shows the names\)"):
        require_model(tmp_path / "mine", "vosk", "mine")


def test_open_recognition_is_none_with_one_log_line_without_the_answer_model(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(models_dir=tmp_path, answer_engine="vosk")

    with caplog.at_level(logging.WARNING):
        assert open_recognition(settings) is None

    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 1
    assert "Speech answers are off; the survey runs on the keypad alone." in lines[0]
    assert "ivr models fetch vosk-model-small-sv-rhasspy-0.15" in lines[0]


def test_without_the_comment_model_comments_use_the_answer_engine(
    tmp_path: Path, korean_model_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        models_dir=tmp_path,
        answer_engine="vosk",
        vosk_model=str(korean_model_dir),
        comment_engine="faster-whisper",
    )

    with caplog.at_level(logging.WARNING):
        service = open_recognition(settings)
    try:
        assert service is not None
        assert service.comment == service.answer
        assert service.answer.model_dir == korean_model_dir
    finally:
        if service is not None:
            service.close()
    assert any(
        "Comments are transcribed with the answer engine (vosk)" in r.getMessage() for r in caplog.records
    )


def test_a_missing_engine_package_is_engine_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, korean_model_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "vosk", None)  # as if the package were not installed
    monkeypatch.setitem(sys.modules, "faster_whisper", None)

    with pytest.raises(EngineUnavailable, match=r"The vosk package is not installed.*pip install"):
        VoskRecognizer(korean_model_dir)
    with pytest.raises(EngineUnavailable, match="The faster-whisper package is not installed"):
        WhisperRecognizer(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert open_recognition(Settings(models_dir=tmp_path, vosk_model=str(korean_model_dir))) is None
    assert "Speech answers are off" in caplog.text
    assert "The vosk package is not installed" in caplog.text
