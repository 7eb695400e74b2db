"""The demo's comments, processed like any others (`CommentProcessor`, the embedded classifier) right after
its calls: heard by the real recognition service when the comment engine's Swedish model is installed,
otherwise taken from the simulated callers' known words (engine "simulator"), and labelled so."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ivr.comments.pipeline import CommentDelayed, CommentFailed, CommentProcessor, SpeechSource
from ivr.comments.speech import SIMULATOR_ENGINE, ConfiguredSpeech, KnownWords, comment_model_present
from ivr.demo.personas import Mood
from ivr.nlu import classifier_for
from ivr.settings import Settings
from ivr.sim.caller import Caller, Speak
from ivr.sim.commands.base import RecordedFile
from ivr.store.comments import select_comments
from ivr.store.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoComments:
    engine: str  # "simulator" or the recogniser's engine
    done: int
    not_done: int


def known_words(
    calls: Iterable[tuple[Sequence[RecordedFile], Caller]],
    audio_dir: Path,
    texts: Mapping[Mood, Sequence[str]],
) -> dict[Path, str]:
    """Each recording a simulated caller spoke into, with the text its audio was rendered from: the demo
    renders `texts[mood][n]` to `audio_dir/<mood>-<n>.wav`."""
    by_audio = {
        audio_dir / f"{mood}-{number}.wav": text
        for mood, spoken in texts.items()
        for number, text in enumerate(spoken)
    }
    found: dict[Path, str] = {}
    for recordings, caller in calls:
        said = [
            by_audio.get(Path(a.wav)) for a in caller.actions if isinstance(a, Speak) and a.wav is not None
        ]
        for recording, text in zip(recordings, said, strict=False):
            if text is not None:
                found[recording.path] = text
    return found


async def process_demo_comments(
    settings: Settings, words: Mapping[Path, str], since: datetime
) -> DemoComments:
    """Process the comments recorded since `since` with the same function as the worker."""
    speech: SpeechSource
    engine: str
    if comment_model_present(settings):
        configured = ConfiguredSpeech(settings)
        speech, engine = configured, settings.comment_engine
    else:
        configured, speech, engine = None, KnownWords(words), SIMULATOR_ENGINE
    database = Database(settings.effective_database_url)
    done = not_done = 0
    try:
        classifier = await asyncio.to_thread(classifier_for, settings, "embedded")
        processor = CommentProcessor(database, classifier, speech)
        for comment_id in await asyncio.to_thread(select_comments, database, "pending", since=since):
            try:
                result = await processor.process(comment_id)
            except (CommentDelayed, CommentFailed) as error:
                log.warning("demo comment %s not processed: %s", comment_id, error)
                not_done += 1
                continue
            done += result.outcome == "done"
            not_done += result.outcome != "done"
    finally:
        if configured is not None:
            await asyncio.to_thread(configured.close)
        database.dispose()
    return DemoComments(engine, done, not_done)
