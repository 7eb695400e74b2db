"""Scheduling outbound survey calls over Redis, by the tenant's rules (`OutboundSurveyConfig`).

A finished contact (`contact_ended`) is checked in this order: the tenant surveys by phone at all, the number
can be called back, it is not on the do-not-call list, the contact is in the sample of its queue, the number
was not surveyed in the last N days, and no survey call to it is already waiting or under way. Then the call
is due `delay_minutes` later, moved to the next opening when that falls outside the opening hours.

A dialer takes due calls with `claim_due` (atomic: two dialers never get the same call) and reports each
outcome with `finished`: answered (surveyed or declined) marks the number as surveyed for N days; no answer
or busy is tried again after `retry_after_minutes`, up to `max_attempts` and within `expire_after_hours`.

Redis keys (prefix `<IVR_REDIS_PREFIX>:outbound`), per number by its salted pseudonym, never the number:
  :lock:<pseudonym>    one survey call waiting or under way for this number (the call's id)
  :recent:<pseudonym>  surveyed lately; expires after not_surveyed_within_days
  :call:<id>           the call (its number, until it ends), a hash
  :due                 call ids by due time (ms), a sorted set
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from redis.asyncio import Redis

from ivr.outbound.config import OutboundSurveyConfig
from ivr.queueing.numbers import InvalidNumber, validate_callback_number
from ivr.store.pseudonym import caller_pseudonym

Decision = Literal[
    "scheduled",
    "not_configured",
    "invalid_number",
    "do_not_call",
    "not_sampled",
    "recently_surveyed",
    "already_scheduled",
    "no_opening",
]
Outcome = Literal["answered", "surveyed", "declined", "no_answer", "busy", "failed"]
ANSWERED: frozenset[Outcome] = frozenset({"answered", "surveyed", "declined"})  # the citizen was reached

_SCHEDULE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 'recently_surveyed' end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', ARGV[3]) then return 'already_scheduled' end
redis.call('HSET', KEYS[3], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
return 'scheduled'
"""
# Takes up to ARGV[2] ids due by ARGV[1] off the sorted set in one step: a call goes to one dialer only.
_CLAIM = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do redis.call('ZREM', KEYS[1], id) end
return ids
"""


@dataclass(frozen=True)
class Contact:
    """A contact that just ended: whom to survey about which queue."""

    tenant: str
    queue: str
    number: str  # the caller's number as Asterisk gives it (CALLERID(num))
    uniqueid: str
    ended_at: datetime


@dataclass(frozen=True)
class ScheduleResult:
    decision: Decision
    call_id: str | None = None
    due_at: datetime | None = None


@dataclass(frozen=True)
class SurveyCall:
    id: str
    tenant: str
    queue: str
    e164: str
    digits: str  # what goes into the dial string: digits only
    uniqueid: str  # the contact surveyed about
    due_at: datetime
    attempts: int
    expires_at: datetime


class OutboundSurveys:
    def __init__(
        self,
        redis: Redis,
        prefix: str,
        configs: Mapping[str, OutboundSurveyConfig],
        *,
        salt: str,
    ) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:outbound"
        self._configs = dict(configs)
        self._salt = salt
        self._schedule = redis.register_script(_SCHEDULE)
        self._claim = redis.register_script(_CLAIM)

    async def contact_ended(self, contact: Contact) -> ScheduleResult:
        config = self._configs.get(contact.tenant)
        if config is None:
            return ScheduleResult("not_configured")
        try:
            number = validate_callback_number(contact.number)
        except InvalidNumber:
            return ScheduleResult("invalid_number")
        if number.e164 in config.blocked_numbers():
            return ScheduleResult("do_not_call")
        if not self.sampled(contact.uniqueid, config.sample_rate(contact.queue)):
            return ScheduleResult("not_sampled")
        expires_at = contact.ended_at + timedelta(hours=config.expire_after_hours)
        due_at = self._next_slot(
            config, contact.ended_at + timedelta(minutes=config.delay_minutes), expires_at
        )
        if due_at is None:
            return ScheduleResult("no_opening")
        call = SurveyCall(
            id=str(uuid.uuid4()),
            tenant=contact.tenant,
            queue=contact.queue,
            e164=number.e164,
            digits=number.digits_for_dialling,
            uniqueid=contact.uniqueid,
            due_at=due_at,
            attempts=0,
            expires_at=expires_at,
        )
        pseudonym = self._pseudonym(number.e164)
        lock_ttl_s = max(1, int((expires_at - contact.ended_at).total_seconds()) + 3600)
        decision = await self._schedule(
            keys=[self._key("recent", pseudonym), self._key("lock", pseudonym), self._call_key(call.id),
                  self._key("due")],
            args=[call.id, _ms(due_at), lock_ttl_s, *_flatten(_fields(call))],
        )  # fmt: skip
        outcome = cast(Decision, _text(decision))
        return ScheduleResult(outcome, call.id, due_at) if outcome == "scheduled" else ScheduleResult(outcome)

    async def claim_due(self, now: datetime, limit: int = 10) -> list[SurveyCall]:
        """Up to `limit` calls due by `now`, taken off the schedule; report each with `finished`."""
        ids = await self._claim(keys=[self._key("due")], args=[_ms(now), limit])
        calls = []
        for each in ids:
            raw = await cast(Any, self._redis.hgetall(self._call_key(_text(each))))
            if raw:
                calls.append(_call_from({_text(key): _text(value) for key, value in raw.items()}))
        return calls

    async def finished(self, call: SurveyCall, outcome: Outcome, now: datetime) -> ScheduleResult | None:
        """The outcome of a claimed call. Returns the retry when one is scheduled, else None."""
        config = self._configs.get(call.tenant)
        pseudonym = self._pseudonym(call.e164)
        attempts = call.attempts + 1
        if outcome not in ANSWERED and config is not None and attempts < config.max_attempts:
            retry_at = self._next_slot(
                config, now + timedelta(minutes=config.retry_after_minutes), call.expires_at
            )
            if retry_at is not None:
                await cast(Any, self._redis.hset(self._call_key(call.id), mapping={
                    "attempts": str(attempts), "due_at": str(_ms(retry_at))}))  # fmt: skip
                await self._redis.zadd(self._key("due"), {call.id: _ms(retry_at)})
                return ScheduleResult("scheduled", call.id, retry_at)
        async with self._redis.pipeline(transaction=True) as pipe:
            if outcome in ANSWERED and config is not None and config.not_surveyed_within_days > 0:
                pipe.set(self._key("recent", pseudonym), "1", ex=config.not_surveyed_within_days * 86400)
            pipe.delete(self._key("lock", pseudonym), self._call_key(call.id))
            await pipe.execute()
        return None

    async def postpone(self, call: SurveyCall, until: datetime) -> None:
        """Back on the schedule at `until` without counting an attempt (e.g. claimed after closing time)."""
        await cast(Any, self._redis.hset(self._call_key(call.id), "due_at", str(_ms(until))))
        await self._redis.zadd(self._key("due"), {call.id: _ms(until)})

    def config(self, tenant: str) -> OutboundSurveyConfig | None:
        return self._configs.get(tenant)

    @staticmethod
    def sampled(uniqueid: str, rate: float) -> bool:
        """Whether a contact is in the sample: decided by its uniqueid, so the same contact always gets the
        same answer (a replayed event schedules nothing new), and spread evenly across contacts."""
        if rate <= 0.0:
            return False
        draw = int.from_bytes(hashlib.sha256(f"outbound-sample\x00{uniqueid}".encode()).digest()[:8], "big")
        return draw / 2**64 < rate

    def _next_slot(
        self, config: OutboundSurveyConfig, earliest: datetime, expires_at: datetime
    ) -> datetime | None:
        slot = config.hours().next_opening(earliest)
        return slot if slot is not None and slot < expires_at else None

    def _pseudonym(self, e164: str) -> str:
        pseudonym = caller_pseudonym(e164, self._salt)
        assert pseudonym is not None  # a validated number
        return pseudonym

    def _key(self, *parts: str) -> str:
        return ":".join((self._prefix, *parts))

    def _call_key(self, call_id: str) -> str:
        return self._key("call", call_id)


def _fields(call: SurveyCall) -> dict[str, str]:
    return {
        "id": call.id,
        "tenant": call.tenant,
        "queue": call.queue,
        "e164": call.e164,
        "digits": call.digits,
        "uniqueid": call.uniqueid,
        "due_at": str(_ms(call.due_at)),
        "attempts": str(call.attempts),
        "expires_at": str(_ms(call.expires_at)),
    }


def _call_from(fields: Mapping[str, str]) -> SurveyCall:
    return SurveyCall(
        id=fields["id"],
        tenant=fields["tenant"],
        queue=fields["queue"],
        e164=fields["e164"],
        digits=fields["digits"],
        uniqueid=fields["uniqueid"],
        due_at=_from_ms(fields["due_at"]),
        attempts=int(fields["attempts"]),
        expires_at=_from_ms(fields["expires_at"]),
    )


def _flatten(fields: Mapping[str, str]) -> list[str]:
    return [item for pair in fields.items() for item in pair]


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _from_ms(text: str) -> datetime:
    return datetime.fromtimestamp(int(text) / 1000, UTC)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
