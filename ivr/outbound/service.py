"""`ivr outbound run`: the outbound post-call survey service (contacts in over AMI, survey calls out).

Built from settings like the callback service (IVR_AMI_*, IVR_REDIS_URL, IVR_DIALOGS_DIR): each tenant with a
`dialogs/<tenant>/outbound.yaml` is surveyed by phone after contacts in the queues its `inbound.yaml` names.
Survey calls go out as `IVR_CALLBACK_CHANNEL` (the digit-only `callback-out` leg) with
`IVR_CALLBACK_CALLER_ID`, into `IVR_OUTBOUND_SURVEY_CONTEXT`.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from redis.asyncio import Redis

from ivr.ami import AMIClient
from ivr.apps.callbacks import CallbacksError, connect_ami, connect_redis, queue_plans, read_inbound_configs
from ivr.ops import metrics
from ivr.outbound.config import OutboundSurveyConfig, read_outbound_configs
from ivr.outbound.dialer import ContactWatcher, SurveyDialConfig, SurveyDialer
from ivr.outbound.schedule import OutboundSurveys
from ivr.queueing.originator import AmiOriginator
from ivr.settings import Settings

log = logging.getLogger("ivr.outbound")


class OutboundError(Exception):
    """The service cannot start; the message says what to check."""


def tenant_of_queue(settings: Settings, configs: dict[str, OutboundSurveyConfig]) -> dict[str, str]:
    """The surveying tenant of each queue. A queue that several tenants share is left out (logged): an
    AgentComplete event does not say which municipality the caller called."""
    mapping = {}
    for plan in queue_plans(read_inbound_configs(settings.dialogs_dir)):
        surveying = [tenant for tenant in plan.tenants if tenant in configs]
        if len(surveying) == 1:
            mapping[plan.queue] = surveying[0]
        elif surveying:
            log.warning("queue %s is shared by %s: its contacts are not surveyed", plan.queue, surveying)
    return mapping


class OutboundService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.redis: Redis | None = None
        self.ami: AMIClient | None = None
        self.watcher: ContactWatcher | None = None
        self.dialer: SurveyDialer | None = None

    async def start(self) -> None:
        settings = self.settings
        configs, problems = read_outbound_configs(settings.dialogs_dir)
        for problem in problems:
            log.error("%s", problem)
        queues = tenant_of_queue(settings, configs)
        if not queues:
            raise OutboundError(
                f"nothing to survey by phone: no tenant under {settings.dialogs_dir} has both an "
                "outbound.yaml and an inbound.yaml naming its queues (check IVR_DIALOGS_DIR; the format "
                "is in ivr/outbound/config.py)"
            )
        try:
            self.redis = await connect_redis(settings.redis_url)
            self.ami = await connect_ami(settings)
        except CallbacksError as error:
            await self.close()
            raise OutboundError(str(error)) from None
        surveys = OutboundSurveys(self.redis, settings.redis_prefix, configs, salt=settings.caller_salt)
        self.watcher = ContactWatcher(self.ami, surveys, queues)
        self.watcher.start()
        dial = SurveyDialConfig(
            channel_template=settings.callback_channel,
            context=settings.outbound_survey_context,
            caller_id=settings.callback_caller_id,
        )
        self.dialer = SurveyDialer(surveys, AmiOriginator(self.ami), dial)
        log.info("outbound survey ready for queues %s", ", ".join(sorted(queues)))

    async def run(self, stop: asyncio.Event) -> None:
        if self.dialer is None:
            raise RuntimeError("start the outbound service first")
        await self.dialer.run(stop)

    async def close(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        if self.ami is not None:
            await self.ami.close()
        if self.redis is not None:
            await self.redis.aclose()
        self.watcher = self.dialer = self.ami = self.redis = None


async def run_outbound(settings: Settings) -> None:
    """Until SIGTERM/SIGINT; calls under way are seen to their outcome."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    service = OutboundService(settings)
    await service.start()
    metrics.start_metrics_server(settings.metrics_host, settings.outbound_metrics_port)
    try:
        await service.run(stop)
    finally:
        await service.close()
