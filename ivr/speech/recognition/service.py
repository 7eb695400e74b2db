"""Recognition off the event loop: a pool of worker processes, each loading its models once.

The call path awaits `RecognitionService.recognize(wav, grammar)` for a spoken answer and `transcribe(wav)`
for a comment. Decoding is CPU-bound and the engines hold the GIL or their own threads, so it runs in
`speech_workers` processes (spawned, not forked: the bot's process has threads). Each worker keeps its loaded
recognisers in a per-process cache, so a model is loaded once per process whatever the number of requests.

Failures never hang a call: an error inside a worker comes back as RecognitionError; a worker that dies
(BrokenProcessPool) is replaced by a new pool and the request is tried once more; a request that runs past
the timeout gets RecognitionError and its stuck worker is killed and replaced.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ivr.speech.audio import AudioFormatError, read_wav
from ivr.speech.recognition.base import (
    EngineUnavailable,
    RecognitionError,
    Recognizer,
    Transcript,
)
from ivr.speech.recognition.catalogue import Engine
from ivr.speech.recognition.modeldirs import require_model, resolve_model_dir

if TYPE_CHECKING:
    from ivr.settings import Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")

_PACKAGES: dict[Engine, str] = {"vosk": "vosk", "faster-whisper": "faster_whisper"}


@dataclass(frozen=True)
class EngineSpec:
    """Which engine with which model directory; what a worker needs to load a recogniser."""

    engine: Engine
    model_dir: Path
    model_name: str
    cpu_threads: int = 0  # faster-whisper's threads per worker; 0 lets CTranslate2 choose

    def check(self) -> None:
        """Cheap checks in the calling process: the package is installed and the model directory complete."""
        if importlib.util.find_spec(_PACKAGES[self.engine]) is None:
            raise EngineUnavailable(
                f"The {self.engine} package is not installed; install the bot with its dependencies "
                "(pip install -e .)."
            )
        require_model(self.model_dir, self.engine, self.model_name)

    def load(self) -> Recognizer:
        if self.engine == "vosk":
            from ivr.speech.recognition.vosk import VoskRecognizer

            return VoskRecognizer(self.model_dir, model_name=self.model_name)
        from ivr.speech.recognition.whisper import WhisperRecognizer

        return WhisperRecognizer(self.model_dir, model_name=self.model_name, cpu_threads=self.cpu_threads)


def engine_spec(settings: Settings, engine: Engine, *, workers: int | None = None) -> EngineSpec:
    """The spec for `engine` as the settings configure it (its model name, models_dir, thread share)."""
    name = settings.vosk_model if engine == "vosk" else settings.whisper_model
    share = max(1, (os.cpu_count() or 1) // (workers or settings.speech_workers))
    return EngineSpec(
        engine=engine,
        model_dir=resolve_model_dir(settings.models_dir, name).absolute(),
        model_name=name,
        cpu_threads=share if engine == "faster-whisper" else 0,
    )


@dataclass(frozen=True)
class WorkerProbe:
    """What one worker process reports about itself."""

    pid: int
    loads: dict[str, int] = field(default_factory=dict)  # "engine:model_dir" -> times loaded in this process
    rss_bytes: int = 0


# ---- inside a worker process ------------------------------------------------------------------------------

_worker_recognizers: dict[EngineSpec, Recognizer] = {}
_worker_loads: dict[str, int] = {}


def _worker_start(specs: tuple[EngineSpec, ...]) -> None:
    """Pool initializer: load the models now, so the first call does not wait for them."""
    for spec in specs:
        try:
            _worker_recognizer(spec)
        except Exception as error:  # reported to the caller on first use instead
            logger.warning("Recognition worker %d could not load %s: %s", os.getpid(), spec.engine, error)


def _worker_recognizer(spec: EngineSpec) -> Recognizer:
    recognizer = _worker_recognizers.get(spec)
    if recognizer is None:
        recognizer = spec.load()
        _worker_recognizers[spec] = recognizer
        key = f"{spec.engine}:{spec.model_dir}"
        _worker_loads[key] = _worker_loads.get(key, 0) + 1
    return recognizer


def _worker_recognize(spec: EngineSpec, wav: str, grammar: tuple[str, ...] | None) -> Transcript:
    try:
        audio = read_wav(Path(wav))
    except AudioFormatError as error:
        raise RecognitionError(str(error)) from None
    return _worker_recognizer(spec).transcribe(audio, grammar)


def _worker_probe() -> WorkerProbe:
    return WorkerProbe(pid=os.getpid(), loads=dict(_worker_loads), rss_bytes=_rss_bytes())


def _rss_bytes() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# ---- in the bot's process ---------------------------------------------------------------------------------


class RecognitionService:
    """The AnswerRecognizer the call path uses, plus comment transcription; owns the worker processes."""

    def __init__(
        self,
        answer: EngineSpec,
        comment: EngineSpec | None = None,
        *,
        workers: int = 1,
        timeout_s: float = 120.0,
        preload: bool = True,
    ) -> None:
        self.answer = answer
        self.comment = comment or answer
        self.workers = workers
        self.timeout_s = timeout_s
        self._preload = tuple(dict.fromkeys((self.answer, self.comment))) if preload else ()
        self._lock = threading.Lock()
        self._generation = 0
        self._closed = False
        self._executor = self._new_executor()

    async def recognize(self, wav: Path, grammar: Sequence[str] | None = None) -> Transcript:
        """A recorded answer, constrained by `grammar` when given (answer engine)."""
        return await self._run(
            f"recognising {wav}",
            _worker_recognize,
            self.answer,
            str(wav),
            tuple(grammar) if grammar else None,
        )

    async def transcribe(self, wav: Path) -> Transcript:
        """A recorded comment, free recognition (comment engine)."""
        return await self._run(f"transcribing {wav}", _worker_recognize, self.comment, str(wav), None)

    async def probe(self) -> WorkerProbe:
        """One worker's pid, model loads and memory (a health check; with one worker, always the same one)."""
        return await self._run("probing a recognition worker", _worker_probe)

    def close(self) -> None:
        """Stop the workers (requests in progress finish; queued ones are cancelled)."""
        self._closed = True
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _new_executor(self) -> ProcessPoolExecutor:
        executor = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_start,
            initargs=(self._preload,),
        )
        if self._preload:
            # The pool starts its processes on demand: start them now, so that their initializer loads the
            # models before the first caller speaks rather than while the caller waits.
            for _ in range(self.workers):
                executor.submit(_worker_probe)
        return executor

    async def _run(self, what: str, function: Callable[..., T], *args: object) -> T:
        for attempt in (1, 2):
            if self._closed:
                raise RecognitionError(f"{what}: the recognition service is closed")
            executor, generation = self._executor, self._generation
            try:
                future: Future[T] = executor.submit(function, *args)
                return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout_s)
            except RecognitionError:
                raise
            except BrokenProcessPool:
                self._replace(generation, "a recognition worker process died")
                if attempt == 2:
                    raise RecognitionError(
                        f"{what}: the recognition worker died twice; see the log for the cause"
                    ) from None
            except TimeoutError:
                self._replace(generation, f"a recognition took longer than {self.timeout_s:g} s", kill=True)
                raise RecognitionError(
                    f"{what}: no result within {self.timeout_s:g} s; the worker was restarted"
                ) from None
            except Exception as error:
                raise RecognitionError(f"{what} failed: {type(error).__name__}: {error}") from error
        raise AssertionError("unreachable")

    def _replace(self, generation: int, reason: str, *, kill: bool = False) -> None:
        """Swap in a new pool, once per broken pool however many requests noticed it."""
        with self._lock:
            if generation != self._generation or self._closed:
                return
            broken = self._executor
            self._executor = self._new_executor()
            self._generation += 1
        logger.warning("%s; started a new recognition worker pool", reason)
        if kill:
            # ProcessPoolExecutor has no public way to stop a running task; its processes are in _processes.
            for process in list(getattr(broken, "_processes", {}).values()):
                process.kill()
        broken.shutdown(wait=False, cancel_futures=True)


def open_recognition(settings: Settings, *, timeout_s: float = 120.0) -> RecognitionService | None:
    """The recognition service as configured, or None (logged once) when the answer engine cannot run:
    the survey then runs on the keypad alone."""
    answer = engine_spec(settings, settings.answer_engine)
    try:
        answer.check()
    except RecognitionError as error:
        logger.warning("Speech answers are off; the survey runs on the keypad alone. %s", error)
        return None
    comment = engine_spec(settings, settings.comment_engine)
    if comment.engine != answer.engine:
        try:
            comment.check()
        except RecognitionError as error:
            logger.warning(
                "Comments are transcribed with the answer engine (%s) instead of %s. %s",
                answer.engine,
                comment.engine,
                error,
            )
            comment = answer
    return RecognitionService(answer, comment, workers=settings.speech_workers, timeout_s=timeout_s)
