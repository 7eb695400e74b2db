"""The running bot: the rooms built from settings, the FastAGI server with its routes, reload and shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from ivr.agi.server import AGIApp, FastAGIServer
from ivr.agi.session import TurnObserver
from ivr.apps.documents import operator_registry
from ivr.apps.greeting import CallbackGreetingApp
from ivr.apps.inbound import InboundApp, InboundRooms, QueueInsight
from ivr.apps.shared_dir import SharedDir
from ivr.apps.speech_input import AsteriskSpeechAnswers, RecordedAnswers
from ivr.apps.survey import SpokenAnswers, SurveyApp, SurveyRooms
from ivr.comments.notify import CommentNotifier
from ivr.ops import metrics
from ivr.queueing.callbacks import RedisCallbackQueue
from ivr.queueing.live import QueueWait, WaitObserver
from ivr.settings import Settings
from ivr.speech.prompts import PromptCache
from ivr.speech.recognition.base import AnswerRecognizer, RecognitionError
from ivr.speech.recognition.service import RecognitionService, open_recognition
from ivr.speech.understanding.interpreter import SwedishAnswerInterpreter
from ivr.store.migrations import upgrade
from ivr.store.writer import StoreClosedError, SurveyStore

log = logging.getLogger("ivr.runtime")


@runtime_checkable
class WaitSource(Protocol):
    """A live queue view that can say how each caller left the queue (`LiveQueues`)."""

    def observe_waits(self, observer: WaitObserver | None) -> None: ...


@dataclass(frozen=True)
class QueueRooms:
    insight: QueueInsight
    callbacks: RedisCallbackQueue
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


class BotRuntime:
    """Owns the store, the dialogs and the FastAGI server for one `ivr serve` (or the demo's embedded bot)."""

    def __init__(
        self,
        settings: Settings,
        *,
        on_turn: TurnObserver | None = None,
        queues: QueueRooms | None = None,
        recognizer: AnswerRecognizer | None = None,
        enqueue_comments: bool = True,
    ) -> None:
        """`queues`: the live queue and the callback queue; with them the bot also serves `/inbound`.
        `recognizer`: hears recorded answers (the `record` strategy); by default opened from the settings.
        `enqueue_comments`: hand recorded comments to the job queue (False: the caller processes them)."""
        self.settings = settings
        self.dialogs = operator_registry(settings.dialogs_dir)
        self.store = SurveyStore(
            settings.effective_database_url,
            spool_dir=settings.data_dir / "spool",
            caller_salt=settings.caller_salt,
        )
        self.prompts = PromptCache.from_settings(settings)
        # Recorded comments go to the job queue (`ivr worker`); the demo processes its own instead.
        self.comments = CommentNotifier(settings, self.store) if enqueue_comments else None
        self._recognition: RecognitionService | None = None
        if recognizer is None and settings.speech_strategy == "record":
            recognizer = self._recognition = open_recognition(settings)
        prompts_dir = SharedDir(settings.effective_prompts_dir, settings.asterisk_prompts_dir)
        recordings = SharedDir(settings.effective_recordings_dir, settings.asterisk_recordings_dir)
        rooms = SurveyRooms(
            dialogs=self.dialogs,
            store=self.store,
            prompts=self.prompts,
            prompts_dir=prompts_dir,
            recordings=recordings,
            speech=spoken_answers(settings, recordings, recognizer),
            comment_stored=self.comments.comment_recorded if self.comments else None,
            survey_ended=metrics.survey_ended,
        )
        routes: dict[str, AGIApp] = {"survey": SurveyApp(rooms)}
        # The live queue view, when it can tell each caller's actual wait: recorded beside /inbound's row.
        self._waits = queues.insight if queues and isinstance(queues.insight, WaitSource) else None
        if queues is not None:
            inbound = InboundRooms(
                self.dialogs,
                queues.insight,
                queues.callbacks,
                self.prompts,
                prompts_dir,
                queues.clock,
                store=self.store,
            )
            routes["inbound"] = InboundApp(inbound)
            routes["callback"] = CallbackGreetingApp(self.dialogs, self.prompts, prompts_dir)
        self.server = FastAGIServer(
            routes,
            allow=settings.allowed_networks,
            env_timeout_s=settings.agi_env_timeout_s,
            idle_timeout_s=settings.agi_idle_timeout_s,
            on_turn=metrics.turn_observer(on_turn),
            on_call_end=metrics.call_ended,
        )
        self._stop_watching = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        return self.server.port

    async def start(self, host: str, port: int) -> None:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings.effective_recordings_dir.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(upgrade, self.settings.effective_database_url)
        await self.store.start()
        if self._waits is not None:
            self._waits.observe_waits(self._queue_wait)
        await self._speech_ready()
        for problem in self.dialogs.load():
            log.log(logging.WARNING if problem.severity == "warning" else logging.ERROR, "%s", problem)
        self._report_missing_prompts()
        await self.server.start(host, port)
        self._watcher = asyncio.create_task(self.dialogs.watch(self._stop_watching))

    async def _speech_ready(self) -> None:
        """Wait until a recognition worker has loaded its models, so that no early caller waits for it."""
        if self._recognition is None:
            return
        started = time.perf_counter()
        try:
            probe = await self._recognition.probe()
        except RecognitionError as error:
            log.error("speech recognition does not start (spoken answers will fall back to keys): %s", error)
            return
        log.info(
            "speech recognition ready in %.1f s (worker %d, %d MB)",
            time.perf_counter() - started,
            probe.pid,
            probe.rss_bytes // 2**20,
        )

    def _queue_wait(self, wait: QueueWait) -> None:
        try:
            self.store.queue_wait_measured(
                uniqueid=wait.uniqueid,
                queue=wait.queue,
                outcome=wait.outcome,
                actual_wait_s=wait.wait_s,
                ended_at=datetime.fromtimestamp(wait.at, UTC),
            )
        except (StoreClosedError, ValueError) as error:
            log.warning("the queue wait of %s is not recorded: %s", wait.uniqueid, error)

    def reload_dialogs(self) -> None:
        problems = self.dialogs.reload()
        for problem in problems:
            log.error("%s", problem)
        log.info("dialogs reloaded (%d problems)", len(problems))
        self._report_missing_prompts()

    async def stop(self, grace_s: float = 10.0) -> None:
        await self.server.close(grace_s)
        self._stop_watching.set()
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self.comments is not None:
            await self.comments.close()
        if self._waits is not None:
            self._waits.observe_waits(None)
        await self.store.close()
        if self._recognition is not None:
            await asyncio.to_thread(self._recognition.close)

    async def serve_until_signalled(self) -> None:
        """Run until SIGINT/SIGTERM; SIGHUP reloads the dialogs."""
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        loop.add_signal_handler(signal.SIGHUP, self.reload_dialogs)
        loop.add_signal_handler(signal.SIGTERM, stopping.set)
        loop.add_signal_handler(signal.SIGINT, stopping.set)
        await stopping.wait()
        log.info("shutting down: waiting for %d calls", self.server.active_calls)
        await self.stop()

    def _report_missing_prompts(self) -> None:
        missing = self.prompts.missing(self.dialogs.prompts())
        if missing:
            log.warning(
                "%d prompts have no audio yet; run `ivr prompts build` (first: %s)",
                len(missing),
                missing[0].name,
            )


def spoken_answers(
    settings: Settings, recordings: SharedDir, recognizer: AnswerRecognizer | None
) -> SpokenAnswers | None:
    """How survey calls hear spoken answers, by `speech_strategy`; None (keys only) when they cannot."""
    strategy = settings.speech_strategy
    if strategy == "off":
        return None
    interpreter = SwedishAnswerInterpreter()
    if strategy == "asterisk-speech":
        engine = settings.asterisk_speech_engine
        return SpokenAnswers(lambda channel, _stem: AsteriskSpeechAnswers(channel, engine), interpreter)
    if recognizer is None:
        return None  # open_recognition has said why (no model)
    found = recognizer  # bound for the lambda
    return SpokenAnswers(lambda channel, stem: RecordedAnswers(channel, recordings, stem, found), interpreter)
