"""`/survey`: the post-call survey over FastAGI: the tenant's dialog, each answer stored at once."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from ivr.agi.channel import Channel
from ivr.agi.errors import AGIError
from ivr.apps.agi_io import AgiCallIO, is_slug
from ivr.apps.shared_dir import SharedDir
from ivr.apps.speech_input import SpeechInput
from ivr.dialog.engine import AnswerInterpreter, DialogEngine, DialogStatus
from ivr.dialog.io import Answer, Recording
from ivr.dialog.model import Dialog, Question
from ivr.dialog.registry import DialogRegistry
from ivr.speech.prompts import PromptCache
from ivr.store.operations import EndStatus
from ivr.store.writer import SurveyStore

log = logging.getLogger("ivr.apps.survey")

LABEL = re.compile(
    r"^[\w .@-]{1,64}$"
)  # queue and agent names from the dialplan: letters, digits, a few signs
FLUSH_TIMEOUT_S = 5.0  # at call end; a dead database must not hold call tasks (the writer keeps retrying)


SpeechInputFactory = Callable[[Channel, str], SpeechInput]
"""Makes one call's speech input from its channel and its recording stem."""


@dataclass(frozen=True)
class SpokenAnswers:
    """Answers by voice: how the call hears them, and how their words are understood."""

    hear: SpeechInputFactory
    interpreter: AnswerInterpreter


@dataclass(frozen=True)
class SurveyRooms:
    """What the survey app needs from the rest of the house."""

    dialogs: DialogRegistry
    store: SurveyStore
    prompts: PromptCache
    prompts_dir: SharedDir
    recordings: SharedDir
    speech: SpokenAnswers | None = None  # None: keys only
    comment_stored: Callable[[uuid.UUID], None] | None = None  # hands a recorded comment on; must not block
    survey_ended: Callable[[str, str], None] | None = None  # (tenant, status), for metrics; must not block


class SurveyApp:
    """One instance serves every `/survey` call; each call runs in its own task."""

    def __init__(self, rooms: SurveyRooms) -> None:
        self._rooms = rooms

    async def __call__(self, channel: Channel) -> None:
        request = channel.request
        tenant = _slug(request.query.get("tenant"), "default", request.uniqueid)
        dialog = self._rooms.dialogs.get("survey", tenant)
        outbound = request.query.get("direction") == "outbound"  # the bot called: greeting and consent first
        store = self._rooms.store
        started_at = datetime.now(UTC)
        log.info("call %s: survey %s for tenant %s", request.uniqueid, dialog.id, tenant)
        call_id = store.call_started(
            uniqueid=request.uniqueid,
            tenant=tenant,
            script=request.script,
            channel=request.channel,
            caller_number=request.callerid,
            language=request.language,
            started_at=started_at,
        )
        response_id = store.response_started(
            call_id=call_id,
            tenant=tenant,
            dialog_id=dialog.id,
            dialog_version=dialog.version,
            purpose=_slug(request.query.get("purpose"), "post_call", request.uniqueid),
            direction="outbound" if outbound else "inbound",
            queue=_label(request.query.get("queue")),
            agent=_label(request.query.get("agent")),
            started_at=started_at,
        )
        status: EndStatus = "partial"
        outcome = "error"
        try:
            status = await self._run(channel, dialog, tenant, response_id, started_at, outbound=outbound)
            outcome = status
        except AGIError as exc:
            log.info("call %s ended early: %s", request.uniqueid, exc)
        finally:
            store.response_ended(response_id=response_id, status=status)
            store.call_ended(call_id=call_id, outcome=outcome)
            if self._rooms.survey_ended is not None:
                self._rooms.survey_ended(tenant, status)
            if not await store.flush(timeout_s=FLUSH_TIMEOUT_S):
                log.warning(
                    "call %s: answers not in the database yet (retrying; nothing is dropped)",
                    request.uniqueid,
                )

    async def _run(
        self,
        channel: Channel,
        dialog: Dialog,
        tenant: str,
        response_id: uuid.UUID,
        started_at: datetime,
        *,
        outbound: bool,
    ) -> EndStatus:
        await channel.answer()
        stem = _recording_stem(tenant, channel.request.uniqueid, started_at)
        speech = self._rooms.speech
        io = AgiCallIO(
            channel,
            self._rooms.prompts,
            self._rooms.prompts_dir,
            self._rooms.recordings,
            recording_stem=stem,
            speech=speech.hear(channel, stem) if speech else None,
        )
        observer = _StoringObserver(self._rooms.store, response_id, self._rooms.comment_stored)
        engine = DialogEngine(dialog, io, observer, speech.interpreter if speech else None, outbound=outbound)
        result = await engine.run()
        if not channel.hung_up:
            await channel.set_variable("SURVEY_STATUS", result.status)
            await io.hangup()
        return result.status


class _StoringObserver:
    """Hands each answer and comment to the store the moment the engine has it."""

    def __init__(
        self,
        store: SurveyStore,
        response_id: uuid.UUID,
        comment_stored: Callable[[uuid.UUID], None] | None = None,
    ) -> None:
        self._store = store
        self._response_id = response_id
        self._comment_stored = comment_stored

    async def answered(self, question: Question, position: int, answer: Answer) -> None:
        self._store.answer_given(
            response_id=self._response_id,
            question_id=question.id,
            question_type=question.type,
            position=position,
            answer=answer,
        )

    async def commented(self, question: Question, position: int, recording: Recording) -> None:
        comment_id = self._store.comment_recorded(
            response_id=self._response_id, question_id=question.id, recording=recording
        )
        if self._comment_stored is not None:
            self._comment_stored(comment_id)

    async def finished(self, status: DialogStatus) -> None:
        return None


def _slug(value: str | None, default: str, uniqueid: str) -> str:
    if value is None or value == "":
        return default
    if is_slug(value):
        return value
    log.warning("call %s: ignoring %r from the dialplan (not a slug); using %r", uniqueid, value, default)
    return default


def _label(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    return value if LABEL.match(value) else None


def _recording_stem(tenant: str, uniqueid: str, started_at: datetime) -> str:
    safe_id = re.sub(r"[^0-9A-Za-z.]", "_", uniqueid)[:64] or uuid.uuid4().hex
    return f"{tenant}/{started_at:%Y-%m-%d}/{safe_id}"
