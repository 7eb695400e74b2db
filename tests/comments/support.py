"""Helpers of the comment pipeline tests (no tests here): stored comments, fake transcribers at the
`transcribe(wav)` seam, a small HTTP server answering /model/parse like Rasa, waiting for a condition."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
import uuid
import wave
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from click.testing import CliRunner
from sqlmodel import Session

from ivr.comments.pipeline import Transcriber
from ivr.dialog.io import Recording
from ivr.nlu.embedded import EmbeddedClassifier
from ivr.speech.audio import save_for_asterisk
from ivr.speech.recognition.base import Transcript
from ivr.speech.tts import engine_for
from ivr.store.database import Database
from ivr.store.tables import Comment
from ivr.store.writer import SurveyStore

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("IVR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
MIXED = "hon var trevlig men jag fick vänta alldeles för länge"
PERSONNUMMER = "19811218-9876"  # a valid date and Luhn check digit
PHONE = "070-123 45 67"


def write_wav(path: Path, seconds: float = 1.0) -> Path:
    """A quiet 8 kHz mono WAV (the pipeline only needs a readable recording; fakes hear the words)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * int(8000 * seconds))
    return path


def spoken_wav(path: Path, text: str) -> Path:
    """espeak-ng saying `text`, written as Asterisk records it (8 kHz WAV) at `path` (which ends in .wav)."""
    return save_for_asterisk(engine_for("espeak-ng").render(text), path.with_suffix(""))


def cli_runner() -> CliRunner:
    """A runner that keeps standard error apart (click 8.2 always does; 8.1 needs to be asked)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg,unused-ignore]
    except TypeError:
        return CliRunner()


async def store_comment(
    database_url: str, spool_dir: Path, recording: Path, tenant: str = "norrtalje"
) -> uuid.UUID:
    """A call, its response and a recorded comment, committed through the real store; the comment's id."""
    store = SurveyStore(database_url, spool_dir)
    await store.start()
    call_id = store.call_started(
        uniqueid=uuid.uuid4().hex,
        tenant=tenant,
        script="survey",
        channel="SIP/1",
        caller_number=None,
        language="sv",
    )
    response_id = store.response_started(
        call_id=call_id,
        tenant=tenant,
        dialog_id="survey",
        dialog_version="1",
        purpose="post_call",
        direction="inbound",
    )
    comment_id = store.comment_recorded(
        response_id=response_id, question_id="comment", recording=Recording(recording, 1.0, "dtmf")
    )
    assert await store.flush(10)
    await store.close()
    return comment_id


def comment_row(database: Database, comment_id: uuid.UUID) -> Comment:
    with Session(database.engine) as session:
        row = session.get(Comment, comment_id)
        assert row is not None
        session.expunge(row)
        return row


class FixedWords:
    """Hears the same words in every recording; counts what it was asked."""

    def __init__(self, text: str = MIXED, engine: str = "fake") -> None:
        self.text = text
        self.engine = engine
        self.heard: list[Path] = []

    def transcriber(self) -> Transcriber | str:
        return self

    async def transcribe(self, wav: Path) -> Transcript:
        self.heard.append(wav)
        return Transcript(text=self.text, confidence=0.9, engine=self.engine)


def embedded() -> EmbeddedClassifier:
    return EmbeddedClassifier.from_data(REPO / "nlu" / "data")


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        await asyncio.sleep(0.1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class FakeRasaHandler(BaseHTTPRequestHandler):
    """Answers POST /model/parse like Rasa: the intent and entities the embedded engine finds, so the labels
    are real; every text received is kept."""

    received: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        text = body["text"]
        FakeRasaHandler.received.append(text)
        result = embedded().classify(text)
        parse: dict[str, Any] = {
            "text": text,
            "intent": {"name": result.sentiment, "confidence": result.confidence},
            "intent_ranking": [{"name": s.name, "confidence": s.confidence} for s in result.ranking],
            "entities": [
                {"entity": area, "role": feeling, "value": text} for area, feeling in result.by_area.items()
            ],
        }
        payload = json.dumps(parse).encode()
        self.send_response(200 if self.path == "/model/parse" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def fake_rasa(port: int) -> Iterator[list[str]]:
    """A fake Rasa on `port` while the block runs; yields the texts it receives."""
    FakeRasaHandler.received = []
    server = ThreadingHTTPServer(("127.0.0.1", port), FakeRasaHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FakeRasaHandler.received
    finally:
        server.shutdown()
        server.server_close()
