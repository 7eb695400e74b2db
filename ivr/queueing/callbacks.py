"""Callback requests: the live queue in Redis (the truth), each change also recorded in SQL.

A request keeps its *virtual place*: the moment its caller joined the queue. Requests are listed and claimed
in that order. A dialer *claims* the next due request with a lease; while the lease holds (it ends by Redis
server time, so dialers on several hosts agree) no other dialer can claim it. A dialer that dies leaves its
lease to run out, and the next claim in that queue returns the request to waiting. Every change that needs
the lease checks its token, so a dialer whose lease was taken over cannot change the request any more.

Redis keys (prefix `P`, one Redis, not a cluster: the scripts build keys from the request's queue):

| key | type | holds |
|---|---|---|
| `P:request:<id>` | hash | the request; an ended one expires after `keep_ended_s` |
| `P:order:<queue>` | sorted set | active requests (waiting, dialling) by virtual place, in ms |
| `P:leases:<queue>` | sorted set | requests being dialled, by lease end (Redis time, ms) |
| `P:requested` | sorted set | active requests by the time they were made, for expiry |
| `P:caller:<queue>:<e164>` | string | the active request of that number in that queue (adds are idempotent) |
| `P:unrecorded` | set | requests whose SQL record is behind (database down); `sync_records` catches up |
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, Protocol, cast

from redis.asyncio import Redis

from ivr.queueing.numbers import CallbackNumber
from ivr.store.callbacks import ACTIVE_STATUSES, CALLBACK_STATUSES, CallbackState, CallbackStatus
from ivr.store.redis_reply import reply

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "ivr:callbacks"
DEFAULT_KEEP_ENDED_S = 24 * 3600
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
_NAME = re.compile(r"[\w.@+-]{1,80}")  # tenants and queues: they go into Redis keys and channel variables


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class CallbackRecorder(Protocol):
    """Where each change is recorded (`ivr.store.callbacks.CallbackRecords`); called from a worker thread."""

    def save(self, state: CallbackState) -> bool: ...


class CallbackError(Exception):
    """A change to a callback request that cannot be made."""


class UnknownRequest(CallbackError):
    def __init__(self, request_id: str) -> None:
        super().__init__(f"no callback request {request_id}")
        self.request_id = request_id


class WrongStatus(CallbackError):
    def __init__(self, request_id: str, status: str, change: str) -> None:
        super().__init__(f"callback request {request_id} is {status}: cannot {change} it")
        self.request_id = request_id
        self.status = status


class LeaseLost(CallbackError):
    def __init__(self, request_id: str, status: str) -> None:
        super().__init__(
            f"the lease on callback request {request_id} ran out and it was taken over (now {status})"
        )
        self.request_id = request_id
        self.status = status


@dataclass(frozen=True)
class CallbackRequest:
    id: str  # a UUID
    tenant: str
    queue: str
    number: CallbackNumber
    requested_at: datetime
    virtual_place: datetime  # when the caller joined the queue: the place the callback keeps
    attempts: int  # dial attempts that reached an outcome
    next_attempt_at: datetime
    status: CallbackStatus
    last_reason: str | None
    version: int  # bumped by every change; orders the SQL record's writes
    updated_at: datetime

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def to_state(self) -> CallbackState:
        """The request in the form the SQL record takes."""
        return CallbackState(
            id=uuid.UUID(self.id),
            tenant=self.tenant,
            queue=self.queue,
            number=self.number.e164,
            status=self.status,
            attempts=self.attempts,
            last_reason=self.last_reason,
            requested_at=self.requested_at,
            virtual_place=self.virtual_place,
            next_attempt_at=self.next_attempt_at,
            updated_at=self.updated_at,
            version=self.version,
        )


@dataclass(frozen=True)
class Claim:
    """A request claimed for dialling; `token` proves the lease."""

    request: CallbackRequest
    token: str
    lease_until: datetime  # by Redis server time


class AddResult(NamedTuple):
    request: CallbackRequest
    created: bool  # False: the number already had an active request in this queue, returned as it is


# KEYS: caller key, request key, order, requested. ARGV: id, virtual place ms, requested ms, the fields.
_ADD = """
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('HSET', KEYS[2], unpack(ARGV, 4))
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
return ARGV[1]
"""

# KEYS: order, leases. ARGV: request key prefix, now ms (the app's clock), lease ms, free agents,
# latest virtual place that may be dialled (ms, or +inf), token.
# Returns {claimed id or '', lease end ms, ids whose lease had run out and that are waiting again}.
_CLAIM = """
local time = redis.call('TIME')
local server_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local released = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', server_ms)) do
  redis.call('ZREM', KEYS[2], id)
  local key = ARGV[1] .. id
  if redis.call('HGET', key, 'status') == 'dialling' then
    redis.call('HSET', key, 'status', 'waiting', 'lease_token', '', 'last_reason', 'lease_expired',
               'updated_at', ARGV[2])
    redis.call('HINCRBY', key, 'version', 1)
    table.insert(released, id)
  end
end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return {'', 0, released} end
local now = tonumber(ARGV[2])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[5])) do
  local key = ARGV[1] .. id
  local fields = redis.call('HMGET', key, 'status', 'next_attempt_at')
  if not fields[1] then
    redis.call('ZREM', KEYS[1], id)
  elseif fields[1] == 'waiting' and tonumber(fields[2]) <= now then
    local lease_until = string.format('%d', server_ms + tonumber(ARGV[3]))
    redis.call('HSET', key, 'status', 'dialling', 'lease_token', ARGV[6], 'updated_at', ARGV[2])
    redis.call('HINCRBY', key, 'version', 1)
    redis.call('ZADD', KEYS[2], lease_until, id)
    return {id, lease_until, released}
  end
end
return {'', 0, released}
"""

# KEYS: request key. ARGV: prefix, id, token, lease ms. Returns the new lease end (ms), or 0 when lost.
_RENEW = """
local fields = redis.call('HMGET', KEYS[1], 'status', 'lease_token', 'queue')
if fields[1] ~= 'dialling' or fields[2] ~= ARGV[3] then return 0 end
local time = redis.call('TIME')
local lease_until = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) + tonumber(ARGV[4])
redis.call('ZADD', ARGV[1] .. ':leases:' .. fields[3], string.format('%d', lease_until), ARGV[2])
return lease_until
"""

# KEYS: request key. ARGV: prefix, id, statuses it may leave (space-separated), token ('' when no lease is
# needed), new status, now ms, next attempt ms or '', reason or '', attempts to add, seconds to keep an
# ended request ('' when it stays active). Returns {'ok', hash} or {'missing'}, {'status', s}, {'lease', s}.
_TRANSITION = """
local fields = redis.call('HMGET', KEYS[1], 'status', 'lease_token', 'queue', 'e164')
local status = fields[1]
if not status then return {'missing'} end
if ARGV[4] ~= '' and fields[2] ~= ARGV[4] then return {'lease', status} end
if not string.find(' ' .. ARGV[3] .. ' ', ' ' .. status .. ' ', 1, true) then return {'status', status} end
redis.call('HSET', KEYS[1], 'status', ARGV[5], 'updated_at', ARGV[6], 'lease_token', '')
if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'next_attempt_at', ARGV[7]) end
if ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'last_reason', ARGV[8]) end
redis.call('HINCRBY', KEYS[1], 'attempts', tonumber(ARGV[9]))
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('ZREM', ARGV[1] .. ':leases:' .. fields[3], ARGV[2])
if ARGV[10] ~= '' then
  redis.call('ZREM', ARGV[1] .. ':order:' .. fields[3], ARGV[2])
  redis.call('ZREM', ARGV[1] .. ':requested', ARGV[2])
  local caller_key = ARGV[1] .. ':caller:' .. fields[3] .. ':' .. fields[4]
  if redis.call('GET', caller_key) == ARGV[2] then redis.call('DEL', caller_key) end
  redis.call('EXPIRE', KEYS[1], ARGV[10])
end
return {'ok', redis.call('HGETALL', KEYS[1])}
"""

# KEYS: unrecorded set, request key. ARGV: id, the version just recorded.
_MARK_RECORDED = """
local version = redis.call('HGET', KEYS[2], 'version')
if (not version) or tonumber(version) <= tonumber(ARGV[2]) then redis.call('SREM', KEYS[1], ARGV[1]) end
return 1
"""


@dataclass(frozen=True)
class _Change:
    """One transition: from which statuses, to which, and what else it sets."""

    name: str
    leaving: tuple[str, ...]
    status: CallbackStatus
    needs_lease: bool
    ends: bool


_COMPLETE = _Change("complete", ("dialling",), "done", needs_lease=True, ends=True)
_FAIL = _Change("fail", ("dialling",), "failed", needs_lease=True, ends=True)
_RESCHEDULE = _Change("reschedule", ("dialling",), "waiting", needs_lease=True, ends=False)
_CANCEL = _Change("cancel", ("waiting",), "cancelled", needs_lease=False, ends=True)
_EXPIRE = _Change("expire", ("waiting",), "expired", needs_lease=False, ends=True)


class RedisCallbackQueue:
    """The live callback queue. Any number of processes may share one Redis and prefix."""

    def __init__(
        self,
        redis: Redis,
        prefix: str = DEFAULT_PREFIX,
        *,
        records: CallbackRecorder | None = None,
        clock: Clock | None = None,
        keep_ended_s: float = DEFAULT_KEEP_ENDED_S,
    ) -> None:
        if not prefix or any(char.isspace() for char in prefix):
            raise ValueError(f"Redis key prefix {prefix!r}: expected a non-empty name without spaces")
        self._redis = redis
        self.prefix = prefix
        self._records = records
        self._clock = clock or SystemClock()
        self._keep_ended_s = max(1, round(keep_ended_s))
        self._add_script = redis.register_script(_ADD)
        self._claim_script = redis.register_script(_CLAIM)
        self._renew_script = redis.register_script(_RENEW)
        self._transition_script = redis.register_script(_TRANSITION)
        self._mark_recorded_script = redis.register_script(_MARK_RECORDED)

    async def add(
        self,
        *,
        tenant: str,
        queue: str,
        number: CallbackNumber,
        virtual_place: datetime,
        requested_at: datetime | None = None,
    ) -> AddResult:
        """A new waiting request, due at once; the active one when this number already waits in this queue."""
        check_name("tenant", tenant)
        check_name("queue", queue)
        requested = requested_at or self._clock.now()
        fields = _new_request_fields(
            str(uuid.uuid4()), tenant, queue, number, _ms(virtual_place), _ms(requested)
        )
        request_id = await self._add_script(
            keys=[
                self._caller_key(queue, number.e164),
                self._request_key(fields["id"]),
                self._order_key(queue),
                self._requested_key(),
            ],
            args=[fields["id"], fields["virtual_place"], fields["requested_at"], *_flatten(fields)],
        )
        request = await self.get(_text(request_id))
        if request is None:  # ended and expired in the instant between the script and the read
            raise CallbackError(f"callback request {_text(request_id)} vanished while it was added")
        created = request.id == fields["id"]
        if created:
            await self._record(request)
        return AddResult(request, created)

    async def get(self, request_id: str) -> CallbackRequest | None:
        raw = await reply(self._redis.hgetall(self._request_key(request_id)))
        return _request_from(cast(Mapping[Any, Any], raw)) if raw else None

    async def in_queue_order(self, queue: str) -> list[CallbackRequest]:
        """Active requests (waiting and being dialled) of a queue, by virtual place."""
        ids = await self._redis.zrange(self._order_key(queue), 0, -1)
        return await self._requests([_text(each) for each in ids])

    async def requested_before(self, moment: datetime) -> list[CallbackRequest]:
        """Active requests made before `moment`, oldest first (candidates for expiry)."""
        ids = await self._redis.zrangebyscore(self._requested_key(), "-inf", f"({_ms(moment)}")
        return await self._requests([_text(each) for each in ids])

    async def claim_next(
        self, queue: str, *, lease_s: float, free_agents: int, latest_place: datetime | None = None
    ) -> Claim | None:
        """Claim the first due waiting request whose virtual place is at or before `latest_place`.

        Nothing is claimed while the requests being dialled in this queue (by any dialer) number
        `free_agents` or more. Leases that have run out are released first, whatever `free_agents` is.
        """
        if lease_s <= 0:
            raise ValueError(f"lease_s must be positive, got {lease_s}")
        now = self._clock.now()
        token = uuid.uuid4().hex
        limit = "+inf" if latest_place is None else str(_ms(latest_place))
        claimed, lease_until, released = await self._claim_script(
            keys=[self._order_key(queue), self._leases_key(queue)],
            args=[self._request_key(""), _ms(now), round(lease_s * 1000), free_agents, limit, token],
        )
        for request_id in released:
            log.warning("callback %s: its dialer's lease ran out; waiting again", _text(request_id))
            await self._record_by_id(_text(request_id))
        if not _text(claimed):
            return None
        request = await self.get(_text(claimed))
        if request is None:
            raise CallbackError(f"claimed callback request {_text(claimed)} vanished")
        await self._record(request)
        return Claim(request, token, _from_ms(int(lease_until)))

    async def renew(self, claim: Claim, lease_s: float) -> Claim | None:
        """Extend the lease; None when it is lost (it ran out and another dialer holds the request)."""
        lease_until = await self._renew_script(
            keys=[self._request_key(claim.request.id)],
            args=[self.prefix, claim.request.id, claim.token, round(lease_s * 1000)],
        )
        if not lease_until:
            return None
        return Claim(claim.request, claim.token, _from_ms(int(lease_until)))

    async def complete(self, claim: Claim, *, reason: str = "answered") -> CallbackRequest:
        """Answered and handed to the queue: done. One attempt counted."""
        return await self._change(_COMPLETE, claim.request.id, token=claim.token, reason=reason, attempts=1)

    async def reschedule(
        self, claim: Claim, *, not_before: datetime, reason: str, count_attempt: bool = True
    ) -> CallbackRequest:
        """Waiting again, due at `not_before` (busy, no answer, congestion ...), in the same virtual place."""
        return await self._change(
            _RESCHEDULE,
            claim.request.id,
            token=claim.token,
            reason=reason,
            attempts=int(count_attempt),
            next_attempt_at=not_before,
        )

    async def fail(self, claim: Claim, *, reason: str, count_attempt: bool = True) -> CallbackRequest:
        """Given up (the last attempt failed)."""
        return await self._change(
            _FAIL, claim.request.id, token=claim.token, reason=reason, attempts=int(count_attempt)
        )

    async def cancel(self, request_id: str, *, reason: str = "cancelled") -> CallbackRequest:
        """Withdrawn while waiting (a request being dialled cannot be withdrawn: `WrongStatus`)."""
        return await self._change(_CANCEL, request_id, reason=reason)

    async def expire(self, request_id: str, *, reason: str = "expired") -> CallbackRequest:
        """Too old to be dialled; only a waiting request expires (`WrongStatus` otherwise)."""
        return await self._change(_EXPIRE, request_id, reason=reason)

    async def expire_older_than(self, age: timedelta) -> list[CallbackRequest]:
        """Expire every waiting request made more than `age` ago; those being dialled are left alone."""
        expired = []
        for request in await self.requested_before(self._clock.now() - age):
            if request.status == "waiting":
                try:
                    expired.append(await self.expire(request.id))
                except WrongStatus:
                    continue  # claimed in the meantime
        return expired

    async def sync_records(self) -> int:
        """Record the requests whose SQL record fell behind; returns how many were caught up."""
        if self._records is None:
            return 0
        caught_up = 0
        for member in await reply(self._redis.smembers(self._unrecorded_key())):
            request_id = _text(member)
            request = await self.get(request_id)
            if request is None:
                await reply(self._redis.srem(self._unrecorded_key(), request_id))
                continue
            if await self._save(request):
                await self._mark_recorded_script(
                    keys=[self._unrecorded_key(), self._request_key(request_id)],
                    args=[request_id, request.version],
                )
                caught_up += 1
        return caught_up

    async def _change(
        self,
        change: _Change,
        request_id: str,
        *,
        reason: str,
        token: str = "",
        attempts: int = 0,
        next_attempt_at: datetime | None = None,
    ) -> CallbackRequest:
        result = await self._transition_script(
            keys=[self._request_key(request_id)],
            args=[
                self.prefix,
                request_id,
                " ".join(change.leaving),
                token if change.needs_lease else "",
                change.status,
                _ms(self._clock.now()),
                "" if next_attempt_at is None else _ms(next_attempt_at),
                reason,
                attempts,
                self._keep_ended_s if change.ends else "",
            ],
        )
        outcome = _text(result[0])
        if outcome == "missing":
            raise UnknownRequest(request_id)
        if outcome == "lease":
            raise LeaseLost(request_id, _text(result[1]))
        if outcome == "status":
            raise WrongStatus(request_id, _text(result[1]), change.name)
        request = _request_from(_pairs(result[1]))
        await self._record(request)
        return request

    async def _requests(self, ids: list[str]) -> list[CallbackRequest]:
        if not ids:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for request_id in ids:
                pipe.hgetall(self._request_key(request_id))
            rows = await pipe.execute()
        return [_request_from(row) for row in rows if row]

    async def _record_by_id(self, request_id: str) -> None:
        request = await self.get(request_id)
        if request is not None:
            await self._record(request)

    async def _record(self, request: CallbackRequest) -> None:
        if self._records is not None and not await self._save(request):
            await reply(self._redis.sadd(self._unrecorded_key(), request.id))

    async def _save(self, request: CallbackRequest) -> bool:
        """True when the record holds this version (or a newer one) afterwards."""
        assert self._records is not None
        try:
            await asyncio.to_thread(self._records.save, request.to_state())
        except Exception as error:  # the record lags; Redis, the live truth, has the change
            log.warning("callback %s: the SQL record is behind (%s); will retry", request.id, error)
            return False
        return True

    def _request_key(self, request_id: str) -> str:
        return f"{self.prefix}:request:{request_id}"

    def _order_key(self, queue: str) -> str:
        return f"{self.prefix}:order:{queue}"

    def _leases_key(self, queue: str) -> str:
        return f"{self.prefix}:leases:{queue}"

    def _requested_key(self) -> str:
        return f"{self.prefix}:requested"

    def _caller_key(self, queue: str, e164: str) -> str:
        return f"{self.prefix}:caller:{queue}:{e164}"

    def _unrecorded_key(self) -> str:
        return f"{self.prefix}:unrecorded"


def check_name(kind: str, value: str) -> None:
    if not _NAME.fullmatch(value):
        raise ValueError(f"{kind} {value!r}: expected 1-80 letters, digits or . _ @ + -")


def _new_request_fields(
    request_id: str, tenant: str, queue: str, number: CallbackNumber, place_ms: int, requested_ms: int
) -> dict[str, str]:
    return {
        "id": request_id,
        "tenant": tenant,
        "queue": queue,
        "e164": number.e164,
        "national": number.national,
        "dial": number.digits_for_dialling,
        "requested_at": str(requested_ms),
        "virtual_place": str(place_ms),
        "attempts": "0",
        "next_attempt_at": str(requested_ms),
        "status": "waiting",
        "last_reason": "",
        "lease_token": "",
        "version": "1",
        "updated_at": str(requested_ms),
    }


def _flatten(fields: Mapping[str, str]) -> list[str]:
    return [part for pair in fields.items() for part in pair]


def _pairs(flat: list[Any]) -> dict[str, str]:
    return {_text(flat[index]): _text(flat[index + 1]) for index in range(0, len(flat), 2)}


def _request_from(raw: Mapping[Any, Any]) -> CallbackRequest:
    fields = {_text(key): _text(value) for key, value in raw.items()}
    status = fields["status"]
    if status not in CALLBACK_STATUSES:
        raise CallbackError(f"callback request {fields['id']} has an unknown status {status!r} in Redis")
    return CallbackRequest(
        id=fields["id"],
        tenant=fields["tenant"],
        queue=fields["queue"],
        number=CallbackNumber(fields["e164"], fields["national"], fields["dial"]),
        requested_at=_from_ms(int(fields["requested_at"])),
        virtual_place=_from_ms(int(fields["virtual_place"])),
        attempts=int(fields["attempts"]),
        next_attempt_at=_from_ms(int(fields["next_attempt_at"])),
        status=cast(CallbackStatus, status),
        last_reason=fields.get("last_reason") or None,
        version=int(fields["version"]),
        updated_at=_from_ms(int(fields["updated_at"])),
    )


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _ms(moment: datetime) -> int:
    """Milliseconds since the epoch, exactly (Redis scores and fields)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"callback times must carry a timezone, got {moment.isoformat()}")
    return (moment - _EPOCH) // _MILLISECOND


def _from_ms(milliseconds: int) -> datetime:
    return _EPOCH + milliseconds * _MILLISECOND
