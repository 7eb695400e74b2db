"""The bot's /metrics endpoint after simulated calls, and JSON log lines that carry the call's uniqueid."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from ivr.apps.runtime import BotRuntime
from ivr.ops import metrics
from ivr.ops.logs import log_context, make_handler
from ivr.queueing.callbacks import RedisCallbackQueue
from ivr.queueing.numbers import validate_callback_number
from ivr.settings import Settings
from ivr.sim.asterisk import SimulatedAsterisk
from ivr.sim.caller import Action, Caller, HangUp, Press, Speak
from ivr.sim.sounds import SoundLibrary

SURVEY_KEYS = ("4", "5", "1", "3", "4", "5")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def metrics_url() -> str:
    """One endpoint per test process, as in `ivr serve` (the registry is the process's)."""
    port = free_port()
    server = metrics.start_metrics_server("127.0.0.1", port)
    assert server is not None
    return f"http://127.0.0.1:{port}/metrics"


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str) -> Samples:
    response = httpx.get(url, timeout=5)
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


async def scrape_when(url: str, condition: Callable[[Samples], bool], timeout_s: float = 10.0) -> Samples:
    """Scrapes (off the event loop) until `condition` holds: a call's task ends just after its connection."""
    async with asyncio.timeout(timeout_s):
        while True:
            samples = await asyncio.to_thread(scrape, url)
            if condition(samples):
                return samples
            await asyncio.sleep(0.05)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
async def redis_callbacks(good_settings: Settings) -> AsyncIterator[RedisCallbackQueue]:
    prefix = f"test:ops:{uuid.uuid4().hex[:12]}"
    client = Redis.from_url(good_settings.redis_url)
    yield RedisCallbackQueue(client, prefix)
    keys = [key async for key in client.scan_iter(f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
async def bot(good_settings: Settings) -> AsyncIterator[BotRuntime]:
    runtime = BotRuntime(good_settings.model_copy(update={"speech_strategy": "off"}), enqueue_comments=False)
    await runtime.start("127.0.0.1", 0)
    yield runtime
    await runtime.stop()


@pytest.fixture
def asterisk(bot: BotRuntime, rendered_prompts: Path) -> SimulatedAsterisk:
    return SimulatedAsterisk("127.0.0.1", bot.port, sounds=SoundLibrary([rendered_prompts]))


async def test_the_endpoint_counts_calls_surveys_and_turns(
    metrics_url: str, bot: BotRuntime, asterisk: SimulatedAsterisk
) -> None:
    before = scrape(metrics_url)
    full: list[Action] = [*(Press(key) for key in SURVEY_KEYS), Speak(seconds=2.0, end="#")]
    completed = await asterisk.place_call("survey?tenant=default&queue=bygglov", Caller(full))
    partial = await asterisk.place_call("survey?tenant=default", Caller([Press("4"), HangUp()]))
    assert completed.variables["SURVEY_STATUS"] == "completed"
    assert partial.bot_closed or partial.caller_hung_up
    finished = value(before, "ivr_calls_total", script="survey", outcome="finished") + 2
    after = await scrape_when(
        metrics_url,
        lambda now: value(now, "ivr_calls_total", script="survey", outcome="finished") >= finished,
    )

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("ivr_surveys_total", tenant="default", status="completed") == 1
    assert grew("ivr_surveys_total", tenant="default", status="partial") == 1
    assert grew("ivr_calls_total", script="survey", outcome="finished") == 2
    turns = grew("ivr_agi_turn_seconds_count")
    assert turns >= len(completed.commands) - 1  # a turn is timed from a reply to the next command
    assert 0 < grew("ivr_agi_turn_seconds_sum") < turns * 0.1


async def test_callback_queue_depth_and_age_from_redis(
    metrics_url: str, redis_callbacks: RedisCallbackQueue
) -> None:
    now = datetime.now(UTC)
    for minutes, number in ((12, "0701234567"), (3, "0707654321")):
        await redis_callbacks.add(
            tenant="default",
            queue="metrics-test",
            number=validate_callback_number(number),
            virtual_place=now - timedelta(minutes=minutes),
            requested_at=now - timedelta(minutes=minutes),
        )
    await metrics.sample_callback_queues(
        redis_callbacks, ["metrics-test", "empty-queue"], now + timedelta(minutes=1)
    )
    samples = scrape(metrics_url)
    assert value(samples, "ivr_callback_queue_depth", queue="metrics-test") == 2
    assert value(samples, "ivr_callback_queue_depth", queue="empty-queue") == 0
    assert value(samples, "ivr_callback_oldest_age_seconds", queue="empty-queue") == 0
    assert value(samples, "ivr_callback_oldest_age_seconds", queue="metrics-test") == pytest.approx(
        780, abs=1
    )


def test_job_functions_for_the_worker(metrics_url: str) -> None:
    before = scrape(metrics_url)
    metrics.job_backlog("comments", 7)
    metrics.job_ended("process_comment", "failed")
    after = scrape(metrics_url)
    assert value(after, "ivr_job_backlog", queue="comments") == 7
    failed = value(after, "ivr_jobs_total", job="process_comment", outcome="failed")
    assert failed - value(before, "ivr_jobs_total", job="process_comment", outcome="failed") == 1


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = make_handler("json", stream)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


async def test_json_log_lines_of_a_call_carry_its_uniqueid_and_tenant(
    json_lines: io.StringIO, asterisk: SimulatedAsterisk
) -> None:
    uniqueid = "1765000000.77"
    await asterisk.place_call("survey?tenant=norrtalje", Caller([HangUp()]), uniqueid=uniqueid)
    logging.getLogger("ivr.test").info("after the call")
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    during = [line for line in lines if line.get("uniqueid") == uniqueid]
    assert any(f"call {uniqueid}: survey started" in line["message"] for line in during)
    assert {line["tenant"] for line in during} == {"norrtalje"}
    assert {"time", "level", "logger", "message"} <= set(during[0])
    [outside] = [line for line in lines if line["message"] == "after the call"]
    assert "uniqueid" not in outside


def test_log_context_for_work_outside_calls() -> None:
    stream = io.StringIO()
    handler = make_handler("text", stream)
    log = logging.getLogger("ivr.test.context")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        with log_context(uniqueid="1700000000.42", tenant="default"):
            log.info("transcribed")
        log.info("idle")
    finally:
        log.removeHandler(handler)
    first, second = stream.getvalue().splitlines()
    assert first.endswith("ivr.test.context [uniqueid=1700000000.42 tenant=default]: transcribed")
    assert second.endswith("ivr.test.context: idle")


async def test_ivr_serve_serves_metrics_and_logs_json_lines(
    good_settings: Settings, rendered_prompts: Path
) -> None:
    """The real command in its own process: IVR_SERVE_METRICS_PORT and IVR_LOG_FORMAT=json."""
    agi_port, metrics_port = free_port(), free_port()
    env = {
        **os.environ,
        "IVR_DATA_DIR": str(good_settings.data_dir),
        "IVR_DATABASE_URL": good_settings.database_url,
        "IVR_DIALOGS_DIR": str(good_settings.dialogs_dir),
        "IVR_PROMPTS_DIR": str(rendered_prompts),
        "IVR_SPEECH_STRATEGY": "off",
        "IVR_AMI_SECRET": "",
        "IVR_SERVE_METRICS_PORT": str(metrics_port),
        "IVR_LOG_FORMAT": "json",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ivr.cli", "serve", "--port", str(agi_port),
        env=env, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{metrics_port}/metrics"
        await wait_for_endpoint(url)
        asterisk = SimulatedAsterisk("127.0.0.1", agi_port, sounds=SoundLibrary([rendered_prompts]))
        uniqueid = "1765000000.91"
        await asterisk.place_call("survey?tenant=default", Caller([Press("4"), HangUp()]), uniqueid=uniqueid)
        samples = await scrape_when(
            url,
            lambda now: (
                value(now, "ivr_calls_total", script="survey", outcome="finished") >= 1
                and value(now, "ivr_calls_in_progress") == 0
            ),
        )
        assert value(samples, "ivr_calls_total", script="survey", outcome="finished") == 1
        assert value(samples, "ivr_surveys_total", tenant="default", status="partial") == 1
        assert value(samples, "ivr_calls_in_progress") == 0
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    lines = [json.loads(line) for line in stderr.decode().splitlines()]
    assert any(line["message"].startswith("FastAGI server listening") for line in lines)
    call_lines = [line for line in lines if line.get("uniqueid") == uniqueid]
    assert call_lines
    assert all(line["tenant"] == "default" for line in call_lines)


async def wait_for_endpoint(url: str, timeout_s: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with httpx.AsyncClient() as client:
        while True:
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{url} did not answer within {timeout_s} s")
            await asyncio.sleep(0.2)
