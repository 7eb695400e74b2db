"""A real comment worker process (`comment_worker(...).run()`, what `ivr worker` runs) whose transcriber is
slow on the first comment it ever hears and writes down each start and end, for the kill and SIGTERM tests.

    python -m tests.comments.slow_worker LOG SECONDS     (settings from IVR_* as for `ivr worker`)
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

from ivr.comments.pipeline import Transcriber
from ivr.comments.worker import comment_worker
from ivr.settings import Settings
from ivr.speech.recognition.base import Transcript

from .support import MIXED


class SlowWords:
    def __init__(self, log: Path, seconds: float) -> None:
        self.log = log
        self.seconds = seconds

    def transcriber(self) -> Transcriber | str:
        return self

    async def transcribe(self, wav: Path) -> Transcript:
        first = not self.log.exists()
        self._note("start")
        await asyncio.sleep(self.seconds if first else 0.1)
        self._note("end")
        return Transcript(text=MIXED, confidence=0.9, engine="fake")

    def _note(self, what: str) -> None:
        with self.log.open("a", encoding="utf-8") as out:
            out.write(f"{what} {os.getpid()}\n")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    log, seconds = Path(sys.argv[1]), float(sys.argv[2])
    comment_worker(Settings(), speech=SlowWords(log, seconds)).run()
