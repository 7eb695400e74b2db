"""The callback dialer: calls waiting citizens back, in queue order, through AMI Originate.

A request is dialled only when
(a) the centre is open, and not about to close (`closing_margin_s`),
(b) an agent of its queue is free: the requests being dialled in a queue, by every dialer together, never
    outnumber the free agents (the claim counts them atomically); or, in a busy queue where later callers
    would take every freed agent, the request is at the head of the line (one dialled at a time), and
(c) no caller who joined the queue before the request's virtual place is still waiting: it keeps its place,
    never ahead of earlier callers. Once answered it enters the queue with `QUEUE_PRIO`, ahead of the callers
    who came after it.

Originate goes to `channel_template` with the validated number's digits (e.g. `Local/{digits}@callback-out/n`,
a context that dials the trunk); the answered call continues at `context`/`exten`/`priority`, which greets
the citizen and runs Queue(). Channel variables: CALLBACK_ID, CALLBACK_TENANT, CALLBACK_QUEUE, QUEUE_PRIO.

Outcomes (Reason of `OriginateResponse`): answered -> done; busy (5), no answer (3), congestion (8), failure
(0), hang-up (1) -> retried after `retry_initial_s` x `retry_factor`^(n-1) (at most `retry_max_s`, moved to
the next time the centre is open), failed after `max_attempts`. An Originate that errs or times out reached
no citizen: retried the same way without counting an attempt. A request expires `expire_after_h` hours after
the first opening at or after it was made (a request made on Friday evening lives from Monday's opening).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol

from ivr.queueing.callbacks import (
    CallbackRequest,
    Claim,
    Clock,
    LeaseLost,
    RedisCallbackQueue,
    WrongStatus,
    check_name,
)
from ivr.queueing.hours import OpeningHours
from ivr.queueing.numbers import InvalidNumber, validate_callback_number

log = logging.getLogger(__name__)

ANSWERED = 4
REASON_NAMES: dict[int, str] = {
    0: "failure",
    1: "hangup",
    3: "no_answer",
    4: "answered",
    5: "busy",
    8: "congestion",
}
ORIGINATE_ERROR = "originate_error"
EXPIRY_CHECK_INTERVAL = timedelta(seconds=30)
_MAX_OPENINGS_SEARCHED = 1000


@dataclass(frozen=True)
class OriginateOutcome:
    answered: bool
    reason: int  # Asterisk's Reason: 0 failure, 1 hangup, 3 no answer, 4 answered, 5 busy, 8 congestion
    channel: str | None = None
    uniqueid: str | None = None


class Originator(Protocol):
    """An asynchronous AMI Originate that returns when its `OriginateResponse` arrives."""

    async def originate(
        self,
        *,
        channel: str,
        context: str,
        exten: str,
        priority: int,
        caller_id: str,
        variables: Mapping[str, str],
        timeout_s: float,
    ) -> OriginateOutcome: ...


class QueueView(Protocol):
    """The live state of the Asterisk queues."""

    async def waiting_since(self, queue: str) -> list[datetime]:
        """When each caller now waiting in `queue` joined it."""
        ...

    async def free_agents(self, queue: str) -> int:
        """Members logged in, not paused and not on a call."""
        ...


@dataclass(frozen=True)
class DialerConfig:
    queues: tuple[str, ...]
    channel_template: str = "Local/{digits}@callback-out/n"  # /n: the survey can follow the answered call
    context: str = "callback-answered"
    exten: str = "s"
    priority: int = 1
    caller_id: str = ""
    caller_ids: Mapping[str, str] = field(
        default_factory=dict
    )  # per tenant, e.g. '"Norrtälje kommun" <0176...>'
    queue_priority: int = 10  # QUEUE_PRIO of the answered citizen
    allowed_regions: tuple[str, ...] = ("SE",)
    originate_timeout_s: float = 30.0  # how long the citizen's phone rings
    originate_grace_s: float = (
        15.0  # beyond the ring time, before an Originate without response counts as lost
    )
    lease_s: float = 90.0  # must outlast ring time and grace: a dialer that stops renewing still holds it
    max_attempts: int = 3
    retry_initial_s: float = 300.0
    retry_factor: float = 2.0
    retry_max_s: float = 3600.0
    expire_after_h: float = 24.0
    closing_margin_s: float = 300.0  # no new calls this close to closing time
    poll_interval_s: float = 1.0

    def __post_init__(self) -> None:
        if not self.queues:
            raise ValueError("the dialer needs at least one queue")
        for queue in self.queues:
            check_name("queue", queue)
        _check_template(self.channel_template)
        if self.lease_s <= self.originate_timeout_s + self.originate_grace_s:
            raise ValueError(
                f"lease_s ({self.lease_s}) must exceed originate_timeout_s + originate_grace_s "
                f"({self.originate_timeout_s + self.originate_grace_s}): a lease outlasts a call being set up"
            )
        if (
            self.max_attempts < 1
            or self.retry_initial_s <= 0
            or self.retry_factor < 1
            or self.retry_max_s <= 0
        ):
            raise ValueError(
                "max_attempts must be at least 1, retry delays positive, retry_factor at least 1"
            )

    def caller_id_for(self, tenant: str) -> str:
        return self.caller_ids.get(tenant, self.caller_id)

    def retry_delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th attempt."""
        seconds = self.retry_initial_s * self.retry_factor ** max(0, attempts - 1)
        return timedelta(seconds=min(seconds, self.retry_max_s))


def _check_template(template: str) -> None:
    try:
        rendered = template.format(digits="0701234567")
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(
            f"channel_template {template!r}: only {{digits}} may be filled in ({error})"
        ) from None
    if template.count("{digits}") != 1 or "0701234567" not in rendered:
        raise ValueError(
            f"channel_template {template!r} must hold {{digits}} once, e.g. Local/{{digits}}@out"
        )


DialOutcome = Literal["done", "retry", "failed", "lease_lost"]


@dataclass(frozen=True)
class DialResult:
    request_id: str
    outcome: DialOutcome
    reason: str
    request: CallbackRequest | None  # as it stands afterwards; None when the lease was lost


class CallbackDialer:
    def __init__(
        self,
        queue_config: DialerConfig,
        callbacks: RedisCallbackQueue,
        queue_view: QueueView,
        originator: Originator,
        clock: Clock,
        hours: OpeningHours,
    ) -> None:
        self.config = queue_config
        self._callbacks = callbacks
        self._queue_view = queue_view
        self._originator = originator
        self._clock = clock
        self._hours = hours
        self._last_expiry_check: datetime | None = None

    async def step(self) -> list[DialResult]:
        """Claim every request that may be dialled now and dial them (concurrently); their results."""
        claims = await self.claim_due()
        return list(await asyncio.gather(*(self.dial(claim) for claim in claims)))

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and dial until `stop` is set; calls under way are seen to their outcome before returning."""
        in_flight: set[asyncio.Task[DialResult | None]] = set()
        while not stop.is_set():
            try:
                claims = await self.claim_due()
            except Exception:  # Redis or the queue view briefly away: try again next round
                log.exception("callback dialer: could not claim requests")
                claims = []
            for claim in claims:
                task = asyncio.create_task(self._dial_logged(claim))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.config.poll_interval_s)
        if in_flight:
            await asyncio.wait(in_flight)

    async def claim_due(self) -> list[Claim]:
        now = self._clock.now()
        await self._expire_stale(now)
        await self._callbacks.sync_records()
        dialable = self._first_dialable(now) == now
        claims: list[Claim] = []
        for queue in self.config.queues:
            claims.extend(await self._claim_in(queue, dialable))
        return claims

    async def dial(self, claim: Claim) -> DialResult:
        """Originate one claimed request and settle it by the outcome."""
        request = claim.request
        try:
            number = validate_callback_number(
                request.number.e164, allowed_regions=self.config.allowed_regions
            )
        except InvalidNumber as error:
            log.error(
                "callback %s: the stored number fails validation (%s); not dialled", request.id, error.reason
            )
            return await self._settled(claim, "failed", f"invalid_number:{error.reason}")
        renewal = asyncio.create_task(self._keep_lease(claim))
        try:
            outcome = await self._originate(request, number.digits_for_dialling)
        finally:
            renewal.cancel()
            await asyncio.wait([renewal])
        return await self._settle(claim, outcome)

    async def _claim_in(self, queue: str, dialable: bool) -> list[Claim]:
        # Not dialable: claim_next with no free agents still releases leases that ran out.
        free = max(0, await self._queue_view.free_agents(queue)) if dialable else 0
        waiting = await self._queue_view.waiting_since(queue) if dialable else []
        latest_place = min(waiting, default=None)
        # app_queue hands a freed agent to a waiting caller within a second, so in a busy queue no agent
        # is ever seen free. A request ahead of everyone waiting is at the head of the line: dial it (one
        # at a time); the citizen answers into the queue with priority and takes the next agent.
        if dialable and not free and waiting:
            free = 1
        claims = []
        while (
            claim := await self._callbacks.claim_next(
                queue, lease_s=self.config.lease_s, free_agents=free, latest_place=latest_place
            )
        ) is not None:
            claims.append(claim)
        return claims

    async def _originate(self, request: CallbackRequest, digits: str) -> OriginateOutcome | None:
        config = self.config
        variables = {
            "CALLBACK_ID": request.id,
            "CALLBACK_TENANT": request.tenant,
            "CALLBACK_QUEUE": request.queue,
            "QUEUE_PRIO": str(config.queue_priority),
        }
        try:
            async with asyncio.timeout(config.originate_timeout_s + config.originate_grace_s):
                return await self._originator.originate(
                    channel=config.channel_template.format(digits=digits),
                    context=config.context,
                    exten=config.exten,
                    priority=config.priority,
                    caller_id=config.caller_id_for(request.tenant),
                    variables=variables,
                    timeout_s=config.originate_timeout_s,
                )
        except Exception as error:  # AMI refused, lost or silent: no citizen was reached
            log.warning("callback %s: Originate failed (%s: %s)", request.id, type(error).__name__, error)
            return None

    async def _keep_lease(self, claim: Claim) -> None:
        interval = self.config.lease_s / 3
        while True:
            await asyncio.sleep(interval)
            try:
                if await self._callbacks.renew(claim, self.config.lease_s) is None:
                    log.error("callback %s: lease lost while dialling", claim.request.id)
                    return
            except Exception as error:  # the lease still has time left; try again
                log.warning("callback %s: could not renew the lease (%s)", claim.request.id, error)

    async def _settle(self, claim: Claim, outcome: OriginateOutcome | None) -> DialResult:
        if outcome is not None and outcome.answered:
            return await self._settled(claim, "done", REASON_NAMES[ANSWERED])
        counted = outcome is not None
        reason = (
            ORIGINATE_ERROR
            if outcome is None
            else REASON_NAMES.get(outcome.reason, f"reason_{outcome.reason}")
        )
        attempts = claim.request.attempts + int(counted)
        if attempts >= self.config.max_attempts:
            return await self._settled(claim, "failed", reason, counted=counted)
        retry_at = self._first_dialable(self._clock.now() + self.config.retry_delay(max(1, attempts)))
        if retry_at is None:
            return await self._settled(claim, "failed", f"{reason}:never_open", counted=counted)
        return await self._settled(claim, "retry", reason, counted=counted, retry_at=retry_at)

    async def _settled(
        self,
        claim: Claim,
        outcome: DialOutcome,
        reason: str,
        *,
        counted: bool = True,
        retry_at: datetime | None = None,
    ) -> DialResult:
        request_id = claim.request.id
        try:
            if outcome == "done":
                request = await self._callbacks.complete(claim, reason=reason)
            elif outcome == "failed":
                request = await self._callbacks.fail(claim, reason=reason, count_attempt=counted)
            else:
                assert retry_at is not None
                request = await self._callbacks.reschedule(
                    claim, not_before=retry_at, reason=reason, count_attempt=counted
                )
        except LeaseLost as error:
            log.error(
                "callback %s: %s; its outcome %s (%s) is not recorded", request_id, error, outcome, reason
            )
            return DialResult(request_id, "lease_lost", reason, None)
        log.info("callback %s: %s (%s), attempt %d", request_id, outcome, reason, request.attempts)
        return DialResult(request_id, outcome, reason, request)

    async def _dial_logged(self, claim: Claim) -> DialResult | None:
        try:
            return await self.dial(claim)
        except Exception:  # the lease runs out and the request is dialled again later
            log.exception("callback %s: dialling failed", claim.request.id)
            return None

    def _first_dialable(self, moment: datetime) -> datetime | None:
        """The first moment at or after `moment` when open and not within the closing margin."""
        margin = timedelta(seconds=self.config.closing_margin_s)
        candidate: datetime | None = moment
        for _ in range(_MAX_OPENINGS_SEARCHED):
            assert candidate is not None
            opening = self._hours.next_opening(candidate)
            if opening is None:
                return None
            closing = self._hours.closes_at(opening)
            if closing is None or closing - opening > margin:
                return opening
            candidate = closing
        return None

    async def _expire_stale(self, now: datetime) -> None:
        if self._last_expiry_check is not None and now - self._last_expiry_check < EXPIRY_CHECK_INTERVAL:
            return
        self._last_expiry_check = now
        lifetime = timedelta(hours=self.config.expire_after_h)
        for request in await self._callbacks.requested_before(now - lifetime):
            first_opening = self._hours.next_opening(request.requested_at) or request.requested_at
            if request.status != "waiting" or now < first_opening + lifetime:
                continue
            with contextlib.suppress(WrongStatus):  # claimed in the meantime: it expires after the call
                await self._callbacks.expire(request.id)
                log.info("callback %s: expired unanswered", request.id)
