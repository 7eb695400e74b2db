"""`ivr callbacks run`: the callback service. It dials waiting citizens back, in queue order, until stopped.

Built from settings: the AMI client (IVR_AMI_*), Redis (IVR_REDIS_URL; callback requests under
`<IVR_REDIS_PREFIX>:callbacks`, handling statistics under `<IVR_REDIS_PREFIX>:queue:...`), the SQL record of
the requests (IVR_DATABASE_URL, migrated first), and the queues with their opening hours from the operators'
inbound settings (`dialogs/<tenant>/inbound.yaml`). One `CallbackDialer` per queue, each with its own hours,
all sharing one live view of the queues (`LiveQueues`) and one originator (`AmiOriginator`).

At start, a wrong AMI password, an unreachable Asterisk, Redis or database ends the service with a message
that says what to check. Once running, the AMI client reconnects by itself (meanwhile the queues are unknown
and nothing is dialled) and the dialers retry Redis every round; only SIGTERM/SIGINT end it, or Asterisk
refusing the login again on a reconnect (the password changed), which ends it with that message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ivr.ami import AMIAuthenticationError, AMIClient, AMIError
from ivr.apps.documents import operator_registry
from ivr.queueing.callbacks import CallbackRecorder, CallbackRequest, Clock, RedisCallbackQueue, SystemClock
from ivr.queueing.config import InboundConfig
from ivr.queueing.dialer import CallbackDialer, DialerConfig
from ivr.queueing.handling import RedisHandlingStore
from ivr.queueing.hours import OpeningHours
from ivr.queueing.live import LiveQueues
from ivr.queueing.originator import AmiOriginator
from ivr.settings import Settings
from ivr.store.callbacks import CallbackRecords
from ivr.store.migrations import upgrade

log = logging.getLogger("ivr.callbacks")

# What the dialer needs of Asterisk's events, whatever IVR_AMI_EVENTS says: OriginateResponse (call) and the
# queue events (agent).
DIALER_EVENTS = "call,agent"


class CallbacksError(Exception):
    """The service cannot start or go on; the message says what to check."""


@dataclass(frozen=True)
class QueuePlan:
    """One queue to dial for, with the opening hours its tenants' inbound settings give it."""

    queue: str
    hours: OpeningHours
    tenants: tuple[str, ...]


def callback_queue_prefix(settings: Settings) -> str:
    """The Redis prefix of callback requests: the inbound app adds under it, the dialer claims under it."""
    return f"{settings.redis_prefix}:callbacks"


def read_inbound_configs(dialogs_dir: Path) -> dict[str, InboundConfig]:
    """Every tenant's inbound settings (`<tenant>/inbound.yaml`); broken files are logged and left out."""
    registry = operator_registry(dialogs_dir)
    for problem in registry.load():
        if problem.path.stem == "inbound" or problem.path == dialogs_dir:
            (log.error if problem.severity == "error" else log.warning)("%s", problem)
    return registry.documents("inbound", InboundConfig)


def queue_plans(configs: Mapping[str, InboundConfig]) -> list[QueuePlan]:
    """One plan per queue any tenant names. A queue that two tenants give different hours is an error."""
    found: dict[str, tuple[OpeningHours, list[str]]] = {}
    for tenant, config in sorted(configs.items()):
        for queue, settings in config.queues.items():
            hours = settings.hours()
            if queue not in found:
                found[queue] = (hours, [tenant])
            elif found[queue][0] != hours:
                raise CallbacksError(
                    f"queue {queue!r} has different opening hours in {found[queue][1][0]}/inbound.yaml and "
                    f"{tenant}/inbound.yaml: give it the same hours in both (one queue, one set of hours)"
                )
            else:
                found[queue][1].append(tenant)
    return [QueuePlan(queue, hours, tuple(tenants)) for queue, (hours, tenants) in sorted(found.items())]


def dialer_config(settings: Settings, queue: str, *, poll_interval_s: float = 1.0) -> DialerConfig:
    return DialerConfig(
        queues=(queue,),
        channel_template=settings.callback_channel,
        context=settings.callback_context,
        caller_id=settings.callback_caller_id,
        max_attempts=settings.callback_max_attempts,
        retry_initial_s=settings.callback_retry_initial_s,
        expire_after_h=settings.callback_expire_after_h,
        poll_interval_s=poll_interval_s,
    )


class QueueCallbacks(RedisCallbackQueue):
    """The callback queue as one queue's dialer sees it. The dialer expires the requests `requested_before`
    lists by its own opening hours, so a dialer must only see its own queue's requests."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        queue: str,
        *,
        records: CallbackRecorder | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(redis, prefix, records=records, clock=clock)
        self.queue = queue

    async def requested_before(self, moment: datetime) -> list[CallbackRequest]:
        return [request for request in await super().requested_before(moment) if request.queue == self.queue]


class CallbackService:
    """AMI, Redis, the SQL record, the live queues and one dialer per queue: `start`, `run(stop)`, `close`."""

    def __init__(
        self,
        settings: Settings,
        *,
        configs: Mapping[str, InboundConfig] | None = None,
        clock: Clock | None = None,
        poll_interval_s: float = 1.0,
        learn: bool = False,
    ) -> None:
        self.settings = settings
        self._configs = configs
        self._clock = clock or SystemClock()
        self._poll_interval_s = poll_interval_s
        self._learn = learn
        self.plans: list[QueuePlan] = []
        self.dialers: list[CallbackDialer] = []
        self.redis: Redis | None = None
        self.records: CallbackRecords | None = None
        self.ami: AMIClient | None = None
        self.live: LiveQueues | None = None

    async def start(self) -> None:
        """Connect everything and build the dialers; CallbacksError says what to check."""
        try:
            await self._start()
        except BaseException:
            await self.close()
            raise

    async def _start(self) -> None:
        settings = self.settings
        configs = self._configs if self._configs is not None else read_inbound_configs(settings.dialogs_dir)
        self.plans = queue_plans(configs)
        if not self.plans:
            raise CallbacksError(
                f"no queue to dial for: no <tenant>/inbound.yaml under {settings.dialogs_dir} names one "
                "(check IVR_DIALOGS_DIR and the inbound settings' queues)"
            )
        self.redis = await connect_redis(settings.redis_url)
        self.records = await open_records(settings)
        self.ami = await connect_ami(settings)
        queues = [plan.queue for plan in self.plans]
        handling = RedisHandlingStore(self.redis, settings.redis_prefix)
        self.live = LiveQueues(self.ami, handling, queues, learn=self._learn)
        await self.live.start()
        originator = AmiOriginator(self.ami)
        self.dialers = [self._dialer(plan, originator) for plan in self.plans]

    def _dialer(self, plan: QueuePlan, originator: AmiOriginator) -> CallbackDialer:
        assert self.redis is not None
        assert self.live is not None
        callbacks = QueueCallbacks(
            self.redis,
            callback_queue_prefix(self.settings),
            plan.queue,
            records=self.records,
            clock=self._clock,
        )
        config = dialer_config(self.settings, plan.queue, poll_interval_s=self._poll_interval_s)
        return CallbackDialer(config, callbacks, self.live, originator, self._clock, plan.hours)

    async def run(self, stop: asyncio.Event) -> None:
        """Dial until `stop` is set; calls under way are seen to their outcome. Raises CallbacksError when
        Asterisk refuses the login on a reconnect (after the calls under way)."""
        if not self.dialers or self.live is None:
            raise RuntimeError("start the callback service first")
        refused: list[str] = []
        watcher = asyncio.create_task(self._stop_if_ami_gives_up(self.live, stop, refused))
        try:
            await asyncio.gather(*(dialer.run(stop) for dialer in self.dialers))
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        if refused:
            raise CallbacksError(refused[0])

    async def _stop_if_ami_gives_up(self, live: LiveQueues, stop: asyncio.Event, refused: list[str]) -> None:
        reason = await live.wait_gave_up()
        refused.append(
            f"the AMI connection to {self.settings.ami_host}:{self.settings.ami_port} ended for good "
            f"({reason}); check IVR_AMI_USER and IVR_AMI_SECRET against manager.conf"
        )
        stop.set()

    async def close(self) -> None:
        if self.live is not None:
            await self.live.stop()
        if self.ami is not None:
            await self.ami.close()
        if self.redis is not None:
            await self.redis.aclose()
        if self.records is not None:
            self.records.close()
        self.live = self.ami = self.redis = self.records = None


async def run_callbacks(settings: Settings, *, learn: bool = False) -> None:
    """`ivr callbacks run`: start, dial until SIGTERM/SIGINT, stop after the calls under way."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    service = CallbackService(settings, learn=learn)
    await service.start()
    sampler = asyncio.create_task(_sample_metrics(service, stop))
    try:
        log.info("callback dialers ready for %s", ", ".join(plan.queue for plan in service.plans))
        await service.run(stop)
        log.info("callback dialers stopped")
    finally:
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
        await service.close()


async def _sample_metrics(service: CallbackService, stop: asyncio.Event) -> None:
    """The /metrics endpoint (IVR_CALLBACKS_METRICS_PORT) with the callback queues' depth and oldest age."""
    from ivr.ops import metrics

    assert service.redis is not None
    settings = service.settings
    metrics.start_metrics_server(settings.metrics_host, settings.callbacks_metrics_port)
    callbacks = RedisCallbackQueue(service.redis, callback_queue_prefix(settings))
    await metrics.sample_callback_queues_until(callbacks, [plan.queue for plan in service.plans], stop)


async def connect_redis(url: str) -> Redis:
    try:
        redis: Redis = Redis.from_url(url)
    except ValueError as error:
        raise CallbacksError(f"IVR_REDIS_URL {_safe_url(url)!r} is not a Redis URL: {error}") from None
    try:
        await redis.ping()
    except (RedisError, OSError) as error:
        await redis.aclose()
        raise CallbacksError(
            f"cannot reach Redis at {_safe_url(url)} ({error}): check IVR_REDIS_URL (host, port, password) "
            "and that redis-server is running"
        ) from None
    return redis


async def open_records(settings: Settings) -> CallbackRecords:
    """The SQL record of callback requests, its database migrated first (as `ivr serve` does)."""
    url = settings.effective_database_url
    try:
        await asyncio.to_thread(upgrade, url)
        return CallbackRecords(url, caller_salt=settings.caller_salt)
    except (SQLAlchemyError, OSError, ValueError) as error:
        raise CallbacksError(
            f"cannot prepare the database at {_safe_database_url(url)} ({_first_line(error)}): check "
            "IVR_DATABASE_URL and that the database server is running"
        ) from None


async def connect_ami(settings: Settings) -> AMIClient:
    where = f"{settings.ami_host}:{settings.ami_port}"
    try:
        ami = AMIClient(
            settings.ami_host,
            settings.ami_port,
            settings.ami_user,
            settings.ami_secret,
            events=DIALER_EVENTS,
            action_timeout_s=settings.ami_action_timeout_s,
            ping_interval_s=settings.ami_ping_interval_s,
        )
    except ValueError as error:
        raise CallbacksError(f"AMI settings: {error} (check IVR_AMI_PORT and IVR_AMI_*)") from None
    try:
        await ami.connect()
    except AMIAuthenticationError as error:
        await ami.close()
        raise CallbacksError(
            f"Asterisk at {where} refused the AMI login: {error}. Check IVR_AMI_USER and IVR_AMI_SECRET"
        ) from None
    except AMIError as error:
        await ami.close()
        raise CallbacksError(
            f"cannot reach Asterisk's AMI at {where} ({error}): check IVR_AMI_HOST and IVR_AMI_PORT, that "
            "Asterisk runs, and manager.conf ([general] enabled = yes, bindaddr, port)"
        ) from None
    return ami


def _safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    with contextlib.suppress(ValueError):
        parts = urlsplit(url)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            return urlunsplit(parts._replace(netloc=netloc))
    return url


def _safe_database_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unreadable URL)"


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__
