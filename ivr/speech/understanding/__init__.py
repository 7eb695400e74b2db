"""Swedish answer understanding: what a spoken answer means for a survey question (see `interpreter`)."""

from ivr.speech.understanding.interpreter import (
    REJECT_BELOW,
    SwedishAnswerInterpreter,
    Understanding,
)

__all__ = ["REJECT_BELOW", "SwedishAnswerInterpreter", "Understanding"]
