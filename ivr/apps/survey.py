"""`/survey`: the post-call survey over FastAGI. Picks the tenant's dialog, runs it, stores every answer at once."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from ivr.agi.channel import Channel
from ivr.agi.errors import AGIError
from ivr.apps.agi_io import AgiCallIO, SharedDir
from ivr.dialog.engine import DialogEngine
from ivr.dialog.io import Answer, Recording
from ivr.dialog.model import Dialog, Question
from ivr.dialog.registry import DialogRegistry
from ivr.speech.prompts import PromptCache
from ivr.store.writer import SurveyStore

log = logging.getLogger("ivr.apps.survey")

SLUG = re.compile(r"^[a-z0-9_-]{1,64}$")
LABEL = re.compile(r"^[\w .@-]{1,64}$")  # queue and agent names from the dialplan: letters, digits, a few signs


@dataclass(frozen=True)
class SurveyRooms:
    """What the survey app needs from the rest of the house."""

    dialogs: DialogRegistry
    store: SurveyStore
    prompts: PromptCache
    prompts_dir: SharedDir
    recordings: SharedDir


class SurveyApp:
    """One instance serves every `/survey` call; each call runs in its own task."""

    def __init__(self, rooms: SurveyRooms) -> None:
        self._rooms = rooms

    async def __call__(self, channel: Channel) -> None:
        request = channel.request
        tenant = request.query.get("tenant", "default")
        if not SLUG.match(tenant):
            log.warning("call %s: refusing tenant %r (not a slug); using the default dialog", request.uniqueid, tenant)
            tenant = "default"
        dialog = self._rooms.dialogs.get("survey", tenant)
        call = _CallRecord.start(channel, tenant, dialog)
        store = self._rooms.store
        store.call_started(
            call_id=call.call_id,
            uniqueid=request.uniqueid,
            tenant=tenant,
            script=request.script,
            channel=request.channel,
            caller_number=request.callerid,
            language=request.language,
            started_at=call.started_at,
        )
        store.response_started(
            response_id=call.response_id,
            call_id=call.call_id,
            tenant=tenant,
            dialog_id=dialog.id,
            dialog_version=dialog.version,
            purpose=request.query.get("purpose", "post_call") if SLUG.match(request.query.get("purpose", "x")) else "post_call",
            queue=_label(request.query.get("queue")),
            agent=_label(request.query.get("agent")),
            direction="inbound",
            started_at=call.started_at,
        )
        status = "error"
        try:
            await channel.answer()
            io = AgiCallIO(
                channel,
                self._rooms.prompts,
                self._rooms.prompts_dir,
                self._rooms.recordings,
                recording_stem=_recording_stem(tenant, request.uniqueid, call.started_at),
            )
            result = await DialogEngine(dialog, io, _StoringObserver(store, call.response_id)).run()
            status = result.status
            if not channel.hung_up:
                await channel.set_variable("SURVEY_STATUS", status)
                await io.hangup()
        except AGIError as exc:
            status = "partial" if channel.hung_up else "error"
            log.info("call %s ended: %s", request.uniqueid, exc)
        finally:
            ended_at = datetime.now(UTC)
            store.response_ended(response_id=call.response_id, status=_response_status(status), ended_at=ended_at)
            store.call_ended(call_id=call.call_id, outcome=status, ended_at=ended_at)
            await store.flush()


@dataclass(frozen=True)
class _CallRecord:
    call_id: uuid.UUID
    response_id: uuid.UUID
    started_at: datetime

    @classmethod
    def start(cls, channel: Channel, tenant: str, dialog: Dialog) -> _CallRecord:
        log.info("call %s: survey %s for tenant %s", channel.request.uniqueid, dialog.id, tenant)
        return cls(uuid.uuid4(), uuid.uuid4(), datetime.now(UTC))


class _StoringObserver:
    """Hands each answer and comment to the store the moment the engine has it."""

    def __init__(self, store: SurveyStore, response_id: uuid.UUID) -> None:
        self._store = store
        self._response_id = response_id

    async def answered(self, question: Question, position: int, answer: Answer) -> None:
        self._store.answer_given(
            response_id=self._response_id,
            question_id=question.id,
            question_type=question.type,
            position=position,
            answer=answer,
            answered_at=datetime.now(UTC),
        )

    async def commented(self, question: Question, position: int, recording: Recording) -> None:
        self._store.comment_recorded(
            response_id=self._response_id,
            question_id=question.id,
            recording=recording,
            recorded_at=datetime.now(UTC),
        )

    async def finished(self, status: str) -> None:
        return None


def _label(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    return value if LABEL.match(value) else None


def _response_status(status: str) -> str:
    return status if status in ("completed", "partial", "ended") else "partial"


def _recording_stem(tenant: str, uniqueid: str, started_at: datetime) -> str:
    safe_id = re.sub(r"[^0-9A-Za-z.]", "_", uniqueid)[:64] or uuid.uuid4().hex
    return f"{tenant}/{started_at:%Y-%m-%d}/{safe_id}"
