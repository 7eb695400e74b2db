"""Recorded comments after the call: a job per comment on Redis (arq) transcribes it, masks personal data,
classifies it and stores the transcript and labels; the same processing serves `ivr comments process` and the
demo. See `pipeline.py` for the outcomes and `queue.py` for why arq."""

from ivr.comments.pipeline import (
    CommentDelayed,
    CommentFailed,
    CommentProcessor,
    ProcessResult,
    SpeechSource,
    Transcriber,
)
from ivr.comments.speech import ConfiguredSpeech, KnownWords

__all__ = [
    "CommentDelayed",
    "CommentFailed",
    "CommentProcessor",
    "ConfiguredSpeech",
    "KnownWords",
    "ProcessResult",
    "SpeechSource",
    "Transcriber",
]
