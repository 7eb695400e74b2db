"""Comment pipeline throughput: comments per second through the queue and `ivr worker`'s job.

N comments are stored (SQLite in a temporary directory, or --database-url), each with a recording; all are
enqueued on the real Redis (a prefix of the run's own, removed afterwards) and one worker process
(`comment_worker`, the embedded classifier) runs them. Transcription is what it costs separately:

- `--speech known` (default): the transcriber returns each comment's known words at once (engine
  "simulator"), so the figure is the pipeline itself: Redis, masking, classification, SQL;
- `--speech whisper-base`: the packaged Whisper base (CTranslate2) in the recognition service, on
  espeak-ng renderings of the held-out comments (needs the dev extra and espeak-ng).

    .venv/bin/python bench/comment_worker.py --comments 2000
    .venv/bin/python bench/comment_worker.py --comments 40 --speech whisper-base

Results: bench/results/comment_worker.json (one entry per speech mode, replaced on each run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from arq.connections import ArqRedis

from ivr.comments.pipeline import SpeechSource
from ivr.comments.queue import CommentQueue
from ivr.comments.speech import ConfiguredSpeech, KnownWords
from ivr.comments.worker import comment_worker
from ivr.dialog.io import Recording
from ivr.nlu.data import load_examples
from ivr.nlu.embedded import EmbeddedClassifier
from ivr.settings import Settings
from ivr.store.comments import status_counts
from ivr.store.database import Database
from ivr.store.migrations import upgrade
from ivr.store.writer import SurveyStore

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "comment_worker.json"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--comments", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=Settings().worker_jobs, help="jobs at once in the worker")
    parser.add_argument("--speech", choices=["known", "whisper-base"], default="known")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default=Settings().redis_url)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        result = asyncio.run(run(args, Path(scratch)))
    print(json.dumps(result, indent=2, ensure_ascii=False))
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous[args.speech] = result
    RESULTS.write_text(json.dumps(previous, indent=2, ensure_ascii=False) + "\n")


async def run(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    prefix = f"bench:comments:{uuid.uuid4().hex[:8]}"
    settings = Settings(
        database_url=args.database_url or f"sqlite:///{scratch / 'ivr.db'}",
        redis_url=args.redis_url,
        redis_prefix=prefix,
        worker_jobs=args.jobs,
        models_dir=REPO / "models",
        comment_sweep_interval_s=3600,
    )
    database = Database(settings.effective_database_url)
    upgrade(database)
    texts = [example.text for example in load_examples([REPO / "nlu" / "tests" / "held_out.yml"])]
    recordings = make_recordings(args, scratch, texts)
    ids, speech = await store(settings, scratch, recordings, args)
    redis = ArqRedis.from_url(settings.redis_url)
    queue = CommentQueue(redis, prefix)
    try:
        started = time.perf_counter()
        for comment_id in ids:
            await queue.enqueue(comment_id)
        enqueued_s = time.perf_counter() - started
        classifier = EmbeddedClassifier.from_data(REPO / "nlu" / "data")
        worker = comment_worker(
            settings, speech=speech, classifier=classifier, burst=True, handle_signals=False
        )
        started = time.perf_counter()
        await worker.async_run()
        worked_s = time.perf_counter() - started
        await worker.close()
    finally:
        keys = [key async for key in redis.scan_iter(match=f"*{prefix}:*", count=1000)]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        if isinstance(speech, ConfiguredSpeech):
            speech.close()
    counts = status_counts(database)
    database.dispose()
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "database": database.dialect,
        "speech": args.speech,
        "comments": len(ids),
        "worker_jobs": args.jobs,
        "enqueue_per_s": round(len(ids) / enqueued_s, 1),
        "worker_s": round(worked_s, 2),
        "comments_per_s": round(len(ids) / worked_s, 1),
        "statuses": counts,
    }


def make_recordings(args: argparse.Namespace, scratch: Path, texts: list[str]) -> dict[Path, str]:
    rng = random.Random(5)
    chosen = [rng.choice(texts) for _ in range(args.comments)]
    if args.speech == "known":
        return {scratch / f"c{index}.wav": text for index, text in enumerate(chosen)}
    from ivr.speech.audio import save_for_asterisk
    from ivr.speech.tts import engine_for

    espeak = engine_for("espeak-ng")
    return {
        save_for_asterisk(espeak.render(text), scratch / f"c{index}"): text
        for index, text in enumerate(chosen)
    }


async def store(
    settings: Settings, scratch: Path, recordings: dict[Path, str], args: argparse.Namespace
) -> tuple[list[uuid.UUID], SpeechSource]:
    for path in recordings:
        if not path.exists():
            path.write_bytes(b"")  # known words: never read, it only has to exist
    writer = SurveyStore(settings.effective_database_url, scratch / "spool")
    await writer.start()
    call_id = writer.call_started(
        uniqueid="bench", tenant="bench", script="survey", channel="SIP/1", caller_number=None, language="sv"
    )
    response_id = writer.response_started(
        call_id=call_id, tenant="bench", dialog_id="survey", dialog_version="1", purpose="post_call",
        direction="inbound",
    )  # fmt: skip
    ids = [
        writer.comment_recorded(
            response_id=response_id, question_id="comment", recording=Recording(path, 5.0, "dtmf")
        )
        for path in recordings
    ]
    await writer.close(60)
    if args.speech == "known":
        return ids, KnownWords(recordings)
    from ivr.speech.recognition.packaged import packaged_whisper_base

    model = packaged_whisper_base(scratch / "whisper")
    return ids, ConfiguredSpeech(
        settings.model_copy(update={"comment_engine": "faster-whisper", "whisper_model": str(model)})
    )


if __name__ == "__main__":
    main()
