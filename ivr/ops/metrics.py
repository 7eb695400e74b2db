"""Prometheus metrics of every process, and the HTTP endpoint that serves them.

All metrics live in prometheus-client's default registry (with its process and Python collectors), so each
process serves what it counts: `start_metrics_server(settings.metrics_host, port)` once at start. The
functions below are what the rest of the code calls; none of them blocks or raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server

if TYPE_CHECKING:
    from ivr.agi.request import AGIRequest
    from ivr.queueing.callbacks import RedisCallbackQueue

log = logging.getLogger("ivr.ops.metrics")

CALLS = Counter("ivr_calls", "FastAGI calls that ended, by app (script) and outcome", ["script", "outcome"])
CALLS_IN_PROGRESS = Gauge("ivr_calls_in_progress", "FastAGI calls being served now")
AGI_TURN_SECONDS = Histogram(
    "ivr_agi_turn_seconds",
    "The bot's own time per AGI turn: from reading a reply to writing the next command",
    buckets=(0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
SURVEYS = Counter("ivr_surveys", "Survey responses that ended, by tenant and status", ["tenant", "status"])
CALLBACK_QUEUE_DEPTH = Gauge(
    "ivr_callback_queue_depth", "Callback requests waiting or being dialled, by queue", ["queue"]
)
CALLBACK_OLDEST_AGE_SECONDS = Gauge(
    "ivr_callback_oldest_age_seconds",
    "Age of the oldest active callback request, by queue (0: none)",
    ["queue"],
)
JOB_BACKLOG = Gauge("ivr_job_backlog", "Jobs waiting in a job queue, by queue", ["queue"])
JOBS = Counter("ivr_jobs", "Jobs that ended, by job and outcome (done, failed, retried)", ["job", "outcome"])
OUTBOUND_DECISIONS = Counter(
    "ivr_outbound_decisions", "Finished contacts by what the outbound survey decided", ["tenant", "decision"]
)
OUTBOUND_CALLS = Counter("ivr_outbound_calls", "Outbound survey calls by outcome", ["tenant", "outcome"])
RETENTION_DELETED = Counter(
    "ivr_retention_deleted", "What retention deleted: recordings (files) and transcripts (rows)", ["what"]
)
RETENTION_LAST_RUN = Gauge("ivr_retention_last_run_timestamp_seconds", "When retention last ran (Unix time)")


def start_metrics_server(host: str, port: int) -> WSGIServer | None:
    """Serve /metrics on host:port in a daemon thread; None when port is 0 (off) or taken (logged: a
    process must not stop for want of its metrics)."""
    if port == 0:
        return None
    try:
        server, _thread = start_http_server(port, addr=host, registry=REGISTRY)
    except OSError as error:
        log.error("metrics endpoint not started on %s:%d: %s (set another port or 0)", host, port, error)
        return None
    log.info("metrics on http://%s:%d/metrics", host, server.server_port)
    return server


# ---- calls (the FastAGI server's observers) ---------------------------------------------------------------


def call_ended(request: AGIRequest, outcome: str) -> None:
    CALLS.labels(script=request.script, outcome=outcome).inc()


def calls_in_progress_from(count: Callable[[], float]) -> None:
    """The in-progress gauge reads `count` at each scrape (e.g. the FastAGI server's active calls)."""
    CALLS_IN_PROGRESS.set_function(count)


def turn_observer(then: Callable[[float], None] | None = None) -> Callable[[float], None]:
    """The AGI turn observer: into the histogram, then to `then` (e.g. a benchmark's own list)."""

    def observe(seconds: float) -> None:
        AGI_TURN_SECONDS.observe(seconds)
        if then is not None:
            then(seconds)

    return observe


def survey_ended(tenant: str, status: str) -> None:
    SURVEYS.labels(tenant=tenant, status=status).inc()


# ---- the outbound survey ---------------------------------------------------------------------------------


def outbound_decided(tenant: str, decision: str) -> None:
    OUTBOUND_DECISIONS.labels(tenant=tenant, decision=decision).inc()


def outbound_called(tenant: str, outcome: str) -> None:
    OUTBOUND_CALLS.labels(tenant=tenant, outcome=outcome).inc()


# ---- jobs (the worker) ------------------------------------------------------------------------------------


def job_backlog(queue: str, waiting: int) -> None:
    JOB_BACKLOG.labels(queue=queue).set(waiting)


def job_ended(job: str, outcome: str) -> None:
    """outcome: done, failed (for good) or retried."""
    JOBS.labels(job=job, outcome=outcome).inc()


# ---- callbacks (the dialer) -------------------------------------------------------------------------------


async def sample_callback_queues(
    callbacks: RedisCallbackQueue, queues: Iterable[str], now: datetime | None = None
) -> None:
    """Depth and oldest age of each queue's active callback requests, read from Redis."""
    moment = now or datetime.now(UTC)
    for queue in queues:
        requests = await callbacks.in_queue_order(queue)
        CALLBACK_QUEUE_DEPTH.labels(queue=queue).set(len(requests))
        oldest = min((request.requested_at for request in requests), default=None)
        age = (moment - oldest).total_seconds() if oldest is not None else 0.0
        CALLBACK_OLDEST_AGE_SECONDS.labels(queue=queue).set(max(0.0, age))


async def sample_callback_queues_until(
    callbacks: RedisCallbackQueue, queues: Iterable[str], stop: asyncio.Event, interval_s: float = 15.0
) -> None:
    """`sample_callback_queues` every `interval_s` until `stop`; a Redis error skips one sample."""
    names = list(queues)
    while not stop.is_set():
        try:
            await sample_callback_queues(callbacks, names)
        except Exception as error:  # metrics must never end the dialer
            log.warning("callback queue metrics not sampled: %s", error)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)
