"""The outbound survey's two moving parts over AMI: contacts in (AgentComplete), survey calls out (Originate).

`ContactWatcher` turns each finished agent call (AgentComplete) into a `Contact` for the schedule; the queue
names the tenant (the queue's tenant in the inbound settings). Calls whose caller is a Local channel are
callbacks or survey calls themselves (their caller ID is the municipality's): they are not surveyed again.

`SurveyDialer.step()` dials the due survey calls: Originate of `Local/<digits>@callback-out/n` (the same
digit-only outgoing leg as callbacks) into the survey context, with SURVEY_CALL_ID, SURVEY_TENANT and
SURVEY_QUEUE set; the outcome goes back to the schedule (answered: the number rests N days; no answer or busy:
a retry). A call claimed outside the opening hours is put back to the next opening.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from ivr.ami import AMIClient, AMIError, AMIEvent, Subscription
from ivr.ami.events import StreamItem
from ivr.ami.originate import OriginateReason
from ivr.ops import metrics
from ivr.ops.logs import log_context
from ivr.outbound.schedule import Contact, OutboundSurveys, Outcome, ScheduleResult, SurveyCall
from ivr.queueing.dialer import Originator

log = logging.getLogger("ivr.outbound")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class ContactWatcher:
    def __init__(
        self,
        ami: AMIClient,
        surveys: OutboundSurveys,
        tenant_of_queue: Mapping[str, str],
        clock: Clock = system_clock,
    ) -> None:
        self._ami = ami
        self._surveys = surveys
        self._tenant_of_queue = dict(tenant_of_queue)
        self._clock = clock
        self._subscription: Subscription | None = None
        self.results: list[ScheduleResult] = []  # the latest decisions, for logs and tests (bounded)

    def start(self) -> None:
        self._subscription = self._ami.subscribe(self._on_item, ["AgentComplete"])

    def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.cancel()
            self._subscription = None

    async def _on_item(self, item: StreamItem) -> None:
        if isinstance(item, AMIEvent):
            result = await self.contact_ended(item)
            if result is not None:
                self.results = [*self.results[-99:], result]

    async def contact_ended(self, event: AMIEvent) -> ScheduleResult | None:
        queue = event.get("Queue") or ""
        tenant = self._tenant_of_queue.get(queue)
        channel = event.get("Channel") or ""
        if tenant is None or channel.startswith("Local/"):
            return None
        contact = Contact(
            tenant=tenant,
            queue=queue,
            number=event.get("CallerIDNum") or "",
            uniqueid=event.get("Uniqueid") or "",
            ended_at=self._event_time(event),
        )
        with log_context(uniqueid=contact.uniqueid, tenant=tenant):
            return await self._schedule(contact)

    async def _schedule(self, contact: Contact) -> ScheduleResult | None:
        try:
            result = await self._surveys.contact_ended(contact)
        except Exception:  # Redis down: this contact is not surveyed; the watcher goes on
            log.exception("outbound survey: contact %s not scheduled", contact.uniqueid)
            return None
        log.info("outbound survey: contact %s in %s: %s", contact.uniqueid, contact.queue, result.decision)
        metrics.outbound_decided(contact.tenant, result.decision)
        return result

    def _event_time(self, event: AMIEvent) -> datetime:
        """When the contact ended: the event's Timestamp (manager.conf timestampevents = yes), else now."""
        try:
            return datetime.fromtimestamp(float(event.get("Timestamp") or ""), UTC)
        except ValueError:
            return self._clock()


@dataclass(frozen=True)
class SurveyDialConfig:
    channel_template: str = "Local/{digits}@callback-out/n"
    context: str = "survey-outbound"
    caller_id: str = ""
    ring_s: float = 30.0
    calls_per_step: int = 5


class SurveyDialer:
    def __init__(
        self,
        surveys: OutboundSurveys,
        originator: Originator,
        config: SurveyDialConfig,
        clock: Clock = system_clock,
    ) -> None:
        self._surveys = surveys
        self._originator = originator
        self._config = config
        self._clock = clock

    async def step(self) -> list[tuple[SurveyCall, Outcome | None]]:
        """Dial every call due now (at most calls_per_step), in parallel; each with its outcome (None:
        postponed to the next opening)."""
        calls = await self._surveys.claim_due(self._clock(), self._config.calls_per_step)
        outcomes = await asyncio.gather(*(self._dial(call) for call in calls))
        return list(zip(calls, outcomes, strict=True))

    async def run(self, stop: asyncio.Event, interval_s: float = 5.0) -> None:
        while not stop.is_set():
            try:
                await self.step()
            except Exception:
                log.exception("outbound survey dialer: step failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)

    async def _dial(self, call: SurveyCall) -> Outcome | None:
        with log_context(survey_call=call.id, uniqueid=call.uniqueid, tenant=call.tenant):
            return await self._dial_in_context(call)

    async def _dial_in_context(self, call: SurveyCall) -> Outcome | None:
        config = self._surveys.config(call.tenant)
        now = self._clock()
        if config is not None and not config.hours().is_open(now):
            opening = config.hours().next_opening(now)
            if opening is not None and opening < call.expires_at:
                await self._surveys.postpone(call, opening)
                return None
        outcome = await self._originate(call)
        await self._surveys.finished(call, outcome, self._clock())
        log.info("outbound survey call %s (%s): %s", call.id, call.queue, outcome)
        metrics.outbound_called(call.tenant, outcome)
        return outcome

    async def _originate(self, call: SurveyCall) -> Outcome:
        try:
            result = await self._originator.originate(
                channel=self._config.channel_template.format(digits=call.digits),
                context=self._config.context,
                exten="s",
                priority=1,
                caller_id=self._config.caller_id,
                variables={
                    "SURVEY_CALL_ID": call.id,
                    "SURVEY_TENANT": call.tenant,
                    "SURVEY_QUEUE": call.queue,
                },
                timeout_s=self._config.ring_s,
            )
        except AMIError as error:
            log.error("outbound survey call %s not placed: %s", call.id, error)
            return "failed"
        if result.answered:
            return "answered"
        if result.reason == OriginateReason.BUSY:
            return "busy"
        if result.reason in (OriginateReason.RINGING, OriginateReason.RING, OriginateReason.HANGUP):
            return "no_answer"
        return "failed"
