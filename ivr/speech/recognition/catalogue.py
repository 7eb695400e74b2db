"""The speech models `ivr models fetch` knows: where each comes from, its licence, size and checksums.

A checksum is given only where its publisher (or the file host, for the exact file) shows it; `None`
means none was found, and `ivr models fetch` then asks the user to confirm the checksum it computed.
models/README.md repeats this table for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Engine = Literal["vosk", "faster-whisper"]


@dataclass(frozen=True)
class Artifact:
    """One file to download: a zip to unpack (Vosk) or one file of a model directory (CTranslate2)."""

    url: str
    filename: str
    sha256: str | None = None  # lower-case hex, as published; None when no checksum is published


@dataclass(frozen=True)
class ModelEntry:
    name: str  # also the directory under models_dir
    engine: Engine
    description: str
    licence: str
    size: str  # download size, for people
    source: str  # the page that describes the model
    packaging: Literal["zip", "files"]
    artifacts: tuple[Artifact, ...]
    checksum_source: str  # where the published checksums come from, or why there are none

    @property
    def verified(self) -> bool:
        """Every file has a published checksum."""
        return all(artifact.sha256 for artifact in self.artifacts)

    @property
    def partly_verified(self) -> bool:
        return any(artifact.sha256 for artifact in self.artifacts) and not self.verified


def _hugging_face_files(
    repository: str, revision: str, names: tuple[str, ...], checksums: dict[str, str] | None = None
) -> tuple[Artifact, ...]:
    known = checksums or {}
    return tuple(
        Artifact(f"https://huggingface.co/{repository}/resolve/{revision}/{name}", name, known.get(name))
        for name in names
    )


_CT2_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")
_KB_CT2_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.json", "preprocessor_config.json")

CATALOGUE: tuple[ModelEntry, ...] = (
    ModelEntry(
        name="vosk-model-small-sv-rhasspy-0.15",
        engine="vosk",
        description="Swedish Kaldi model from Rhasspy, packaged by Alpha Cephei; small, with a runtime graph "
        "(grammars work)",
        licence="MIT (as Alpha Cephei's model list gives it)",
        size="289 MB",
        source="https://alphacephei.com/vosk/models",
        packaging="zip",
        artifacts=(
            Artifact(
                "https://alphacephei.com/vosk/models/vosk-model-small-sv-rhasspy-0.15.zip",
                "vosk-model-small-sv-rhasspy-0.15.zip",
            ),
        ),
        checksum_source="Alpha Cephei's model list publishes no checksums",
    ),
    ModelEntry(
        name="faster-whisper-small",
        engine="faster-whisper",
        description="OpenAI Whisper small (multilingual) in CTranslate2 form, converted by Systran",
        licence="MIT",
        size="486 MB",
        source="https://huggingface.co/Systran/faster-whisper-small",
        packaging="files",
        artifacts=_hugging_face_files(
            "Systran/faster-whisper-small",
            "536b0662742c02347bc0e980a01041f333bce120",
            _CT2_FILES,
            {"model.bin": "3e305921506d8872816023e4c273e75d2419fb89b24da97b4fe7bce14170d671"},
        ),
        checksum_source="model.bin: the SHA-256 Hugging Face shows for the LFS object (the small text files "
        "have no published SHA-256)",
    ),
    ModelEntry(
        name="faster-whisper-base",
        engine="faster-whisper",
        description="OpenAI Whisper base (multilingual) in CTranslate2 form, converted by Systran",
        licence="MIT",
        size="148 MB",
        source="https://huggingface.co/Systran/faster-whisper-base",
        packaging="files",
        artifacts=_hugging_face_files("Systran/faster-whisper-base", "main", _CT2_FILES),
        checksum_source="no published SHA-256 was found for these files",
    ),
    ModelEntry(
        name="kb-whisper-small",
        engine="faster-whisper",
        description="KBLab's Swedish Whisper small (National Library of Sweden, trained on 50,000 h of "
        "Swedish); the repository carries a CTranslate2 model.bin",
        licence="Apache-2.0",
        size="487 MB",
        source="https://huggingface.co/KBLab/kb-whisper-small",
        packaging="files",
        artifacts=_hugging_face_files("KBLab/kb-whisper-small", "main", _KB_CT2_FILES),
        checksum_source="no published SHA-256 was found for these files",
    ),
)


class UnknownModel(KeyError):
    def __str__(self) -> str:
        names = ", ".join(entry.name for entry in CATALOGUE)
        return f"no model named {self.args[0]!r} in the catalogue; known models: {names}"


def catalogue_entry(name: str) -> ModelEntry:
    for entry in CATALOGUE:
        if entry.name == name:
            return entry
    raise UnknownModel(name)


def is_catalogued(name: str) -> bool:
    return any(entry.name == name for entry in CATALOGUE)
