"""Where comment transcripts come from: the recognition service on the comment engine's model (Whisper by
default), or, for the demo, the simulated callers' known words."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from ivr.comments.pipeline import Transcriber
from ivr.settings import Settings
from ivr.speech.recognition.base import RecognitionError, Transcript, clean_words
from ivr.speech.recognition.service import EngineSpec, RecognitionService, engine_spec

log = logging.getLogger(__name__)

SIMULATOR_ENGINE = "simulator"


class ConfiguredSpeech:
    """The comment engine's model as the settings name it, else the answer engine's (as the bot does);
    without either, the reason (with the `ivr models fetch` to run). The model directories are checked again
    each time, so a model fetched while the worker runs is picked up; the worker processes start once."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._service: RecognitionService | None = None

    def transcriber(self) -> Transcriber | str:
        if self._service is not None:
            return self._service
        chosen = self._usable_spec()
        if isinstance(chosen, str):
            return chosen
        timeout_s = max(30.0, self._settings.comment_job_timeout_s / 2)
        self._service = RecognitionService(
            chosen, chosen, workers=self._settings.speech_workers, timeout_s=timeout_s
        )
        log.info("comments are transcribed with %s (%s)", chosen.engine, chosen.model_dir)
        return self._service

    def close(self) -> None:
        if self._service is not None:
            self._service.close()
            self._service = None

    def _usable_spec(self) -> EngineSpec | str:
        settings = self._settings
        first_error = ""
        for engine in dict.fromkeys((settings.comment_engine, settings.answer_engine)):
            spec = engine_spec(settings, engine)
            try:
                spec.check()
            except RecognitionError as error:
                first_error = first_error or str(error)
                continue
            return spec
        return first_error


def comment_model_present(settings: Settings) -> bool:
    """True when the comment engine's own model (not a fallback) is installed."""
    try:
        engine_spec(settings, settings.comment_engine).check()
    except RecognitionError:
        return False
    return True


class KnownWords:
    """A transcriber for simulated calls: the words each recording is known to hold (the text the simulated
    caller's audio was rendered from), labelled "simulator" so nobody takes it for recognition. Paths are
    matched as given (the recording paths the store holds are absolute)."""

    def __init__(self, texts: Mapping[Path, str]) -> None:
        self._texts = {path: clean_words(text) for path, text in texts.items()}

    def transcriber(self) -> Transcriber | str:
        return self

    async def transcribe(self, wav: Path) -> Transcript:
        text = self._texts.get(wav)
        if text is None:
            raise RecognitionError(f"the simulator does not know what was said in {wav}")
        return Transcript(text=text, confidence=1.0, engine=SIMULATOR_ENGINE)
