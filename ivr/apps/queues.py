"""The queue rooms `ivr serve` needs for `/inbound`: live queues over AMI (the one process that learns
handling times), and the callback queue in Redis with its SQL record."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.asyncio import Redis

from ivr.ami import AMIClient
from ivr.apps.callbacks import (
    CallbacksError,
    callback_queue_prefix,
    connect_ami,
    connect_redis,
    open_records,
    read_inbound_configs,
)
from ivr.apps.runtime import QueueRooms
from ivr.queueing.callbacks import RedisCallbackQueue
from ivr.queueing.config import queue_names
from ivr.queueing.handling import RedisHandlingStore
from ivr.queueing.live import LiveQueues
from ivr.settings import Settings
from ivr.store.callbacks import CallbackRecords

log = logging.getLogger("ivr.apps.queues")


@dataclass
class OpenQueues:
    rooms: QueueRooms
    live: LiveQueues
    ami: AMIClient
    redis: Redis
    records: CallbackRecords

    async def close(self) -> None:
        await self.live.stop()
        await self.ami.close()
        await self.redis.aclose()
        self.records.close()


async def open_queue_rooms(settings: Settings) -> OpenQueues | None:
    """None (and a log line saying why) when AMI is not configured: the bot then serves the survey only."""
    if not settings.ami_secret:
        log.warning("IVR_AMI_SECRET is not set: /inbound is not served (the survey is)")
        return None
    queues = queue_names(read_inbound_configs(settings.dialogs_dir))
    if not queues:
        raise CallbacksError(f"no <tenant>/inbound.yaml under {settings.dialogs_dir} names a queue")
    redis = await connect_redis(settings.redis_url)
    records = await open_records(settings)
    ami = await connect_ami(settings)
    live = LiveQueues(ami, RedisHandlingStore(redis, settings.redis_prefix), queues, learn=True)
    await live.start()
    callbacks = RedisCallbackQueue(redis, callback_queue_prefix(settings), records=records)
    log.info("serving /inbound for queues %s", ", ".join(queues))
    return OpenQueues(QueueRooms(live, callbacks), live, ami, redis, records)
