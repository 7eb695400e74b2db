"""Which engine classifies: `embedded` (in-process, the default) or `rasa` (a running Rasa server)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from ivr.nlu.labels import Classification
from ivr.settings import Settings

EngineName = Literal["embedded", "rasa"]
ENGINES: tuple[EngineName, ...] = ("embedded", "rasa")


class Classifier(Protocol):
    def classify(self, text: str) -> Classification: ...

    def classify_many(self, texts: Sequence[str]) -> list[Classification]: ...


def classifier_for(settings: Settings, engine: str | None = None) -> Classifier:
    """The engine named (default: IVR_NLU_ENGINE). Both mask personal data before anything else."""
    name = engine or settings.nlu_engine
    if name == "embedded":
        from ivr.nlu.embedded import EmbeddedClassifier

        return EmbeddedClassifier.from_data(settings.nlu_dir / "data")
    if name == "rasa":
        from ivr.nlu.rasa_client import RasaClassifier

        return RasaClassifier(
            settings.rasa_url, timeout_s=settings.rasa_timeout_s, attempts=settings.rasa_attempts
        )
    raise ValueError(f"unknown NLU engine {name!r}; choose one of {', '.join(ENGINES)}")
