"""The outbound survey's scheduling rules, on the real Redis."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis

from ivr.outbound.config import OutboundSurveyConfig, read_outbound_configs
from ivr.outbound.schedule import Contact, OutboundSurveys

REDIS_URL = os.environ.get("IVR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
STOCKHOLM = ZoneInfo("Europe/Stockholm")
MONDAY_10 = datetime(2026, 12, 7, 10, 0, tzinfo=STOCKHOLM)
FRIDAY_1755 = datetime(2026, 12, 11, 17, 55, tzinfo=STOCKHOLM)
NUMBER = "0701234567"


def config(**changes: object) -> OutboundSurveyConfig:
    settings: dict[str, object] = {
        "id": "uppringning",
        "default_sample_rate": 1.0,
        "delay_minutes": 10,
        "opening_hours": {"weekly": {"mon-fri": "09:00-18:00"}},
        "not_surveyed_within_days": 90,
        "do_not_call": ["070-999 88 77"],
        "max_attempts": 2,
        "retry_after_minutes": 60,
        "expire_after_hours": 48,
    }
    return OutboundSurveyConfig.model_validate({**settings, **changes})


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except OSError as error:
        pytest.fail(f"Redis at {REDIS_URL} is unreachable ({error}); start it (scripts/setup.sh --services)")
    yield client
    await client.aclose()


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    name = f"test:outbound:{uuid.uuid4().hex[:12]}"
    yield name
    keys = [key async for key in redis.scan_iter(f"{name}*")]
    if keys:
        await redis.delete(*keys)


def surveys(redis: Redis, prefix: str, **changes: object) -> OutboundSurveys:
    return OutboundSurveys(redis, prefix, {"norrtalje": config(**changes)}, salt="test-salt")


def contact(uniqueid: str = "1765100000.1", number: str = NUMBER, **changes: object) -> Contact:
    fields: dict[str, object] = {
        "tenant": "norrtalje",
        "queue": "kontaktcenter",
        "number": number,
        "uniqueid": uniqueid,
        "ended_at": MONDAY_10,
    }
    return Contact(**{**fields, **changes})  # type: ignore[arg-type]


async def test_a_contact_is_called_after_the_delay(redis: Redis, prefix: str) -> None:
    result = await surveys(redis, prefix).contact_ended(contact())
    assert result.decision == "scheduled"
    assert result.due_at == MONDAY_10 + timedelta(minutes=10)
    stored = [key.decode() async for key in redis.scan_iter(f"{prefix}*")]
    assert not any("0701234567" in key or "46701234567" in key for key in stored)  # pseudonyms only


async def test_outside_opening_hours_the_call_waits_for_the_next_opening(redis: Redis, prefix: str) -> None:
    late = await surveys(redis, prefix).contact_ended(contact(ended_at=MONDAY_10.replace(hour=17, minute=55)))
    assert late.due_at == datetime(2026, 12, 8, 9, 0, tzinfo=STOCKHOLM)
    weekend = await surveys(redis, prefix, expire_after_hours=72).contact_ended(
        contact("1765100000.2", "0707654321", ended_at=FRIDAY_1755)
    )
    assert weekend.due_at == datetime(2026, 12, 14, 9, 0, tzinfo=STOCKHOLM)
    stale = await surveys(redis, prefix).contact_ended(
        contact("1765100000.3", "0708765432", ended_at=FRIDAY_1755)
    )
    assert stale.decision == "no_opening"  # Monday 09:00 is more than 48 hours after the contact


async def test_do_not_call_invalid_numbers_and_unconfigured_tenants(redis: Redis, prefix: str) -> None:
    scheduler = surveys(redis, prefix)
    assert (await scheduler.contact_ended(contact(number="+46709998877"))).decision == "do_not_call"
    assert (await scheduler.contact_ended(contact(number="anonymous"))).decision == "invalid_number"
    assert (await scheduler.contact_ended(contact(number="0900123456"))).decision == "invalid_number"
    assert (await scheduler.contact_ended(contact(tenant="sigtuna"))).decision == "not_configured"


async def test_the_sample_rate_per_queue(redis: Redis, prefix: str) -> None:
    scheduler = surveys(redis, prefix, default_sample_rate=0.25, sample_rates={"bygglov": 0.0, "skola": 1.0})
    assert (await scheduler.contact_ended(contact(queue="bygglov"))).decision == "not_sampled"
    assert (await scheduler.contact_ended(contact(queue="skola"))).decision == "scheduled"
    drawn = [OutboundSurveys.sampled(f"1765200000.{index}", 0.25) for index in range(4000)]
    assert 900 <= sum(drawn) <= 1100
    assert drawn == [OutboundSurveys.sampled(f"1765200000.{index}", 0.25) for index in range(4000)]


async def test_never_two_survey_calls_to_one_number_at_once(redis: Redis, prefix: str) -> None:
    scheduler = surveys(redis, prefix)
    results = await asyncio.gather(*(scheduler.contact_ended(contact(f"1765300000.{n}")) for n in range(20)))
    decisions = [result.decision for result in results]
    assert decisions.count("scheduled") == 1
    assert decisions.count("already_scheduled") == 19

    due = MONDAY_10 + timedelta(minutes=10)
    assert await scheduler.claim_due(due - timedelta(seconds=1)) == []
    claims = await asyncio.gather(*(scheduler.claim_due(due) for _ in range(5)))
    [call] = [call for claimed in claims for call in claimed]
    assert (call.digits, call.e164, call.queue, call.attempts) == (
        "0701234567",
        "+46701234567",
        "kontaktcenter",
        0,
    )
    # Under way: a new contact of the same number is still not scheduled.
    assert (await scheduler.contact_ended(contact("1765300001.1"))).decision == "already_scheduled"


async def test_an_answered_survey_blocks_the_number_for_n_days(redis: Redis, prefix: str) -> None:
    scheduler = surveys(redis, prefix, not_surveyed_within_days=30)
    await scheduler.contact_ended(contact())
    [call] = await scheduler.claim_due(MONDAY_10 + timedelta(minutes=10))
    assert await scheduler.finished(call, "surveyed", MONDAY_10 + timedelta(minutes=15)) is None
    assert (await scheduler.contact_ended(contact("1765400000.2"))).decision == "recently_surveyed"
    recent = [key async for key in redis.scan_iter(f"{prefix}:outbound:recent:*")]
    assert len(recent) == 1
    assert 30 * 86400 - 60 <= await redis.ttl(recent[0]) <= 30 * 86400
    assert [key async for key in redis.scan_iter(f"{prefix}:outbound:call:*")] == []  # the number is gone


async def test_no_answer_is_retried_then_given_up(redis: Redis, prefix: str) -> None:
    scheduler = surveys(redis, prefix)
    await scheduler.contact_ended(contact())
    [first] = await scheduler.claim_due(MONDAY_10 + timedelta(minutes=10))
    retry = await scheduler.finished(first, "no_answer", MONDAY_10 + timedelta(minutes=11))
    assert retry is not None
    assert retry.due_at == MONDAY_10 + timedelta(minutes=71)
    assert await scheduler.claim_due(MONDAY_10 + timedelta(minutes=70)) == []
    [second] = await scheduler.claim_due(MONDAY_10 + timedelta(minutes=71))
    assert second.attempts == 1
    assert (
        await scheduler.finished(second, "busy", MONDAY_10 + timedelta(minutes=72)) is None
    )  # max_attempts 2
    # Not reached is not surveyed: a later contact may be surveyed.
    assert (await scheduler.contact_ended(contact("1765500000.2"))).decision == "scheduled"


def test_the_settings_are_read_from_yaml_with_clear_errors(tmp_path: Path) -> None:
    good = tmp_path / "norrtalje"
    good.mkdir()
    (good / "outbound.yaml").write_text(
        "id: uppringning\npurpose: outbound\ndefault_sample_rate: 0.1\nsample_rates: {kontaktcenter: 0.25}\n"
        "do_not_call: ['070-123 45 67']\n",
        encoding="utf-8",
    )
    bad = tmp_path / "sigtuna"
    bad.mkdir()
    (bad / "outbound.yaml").write_text("id: uppringning\ndefault_sample_rate: 1.5\n", encoding="utf-8")
    configs, problems = read_outbound_configs(tmp_path)
    assert set(configs) == {"norrtalje"}
    assert configs["norrtalje"].sample_rate("kontaktcenter") == 0.25
    assert configs["norrtalje"].sample_rate("bygglov") == 0.1
    assert configs["norrtalje"].blocked_numbers() == frozenset({"+46701234567"})
    [problem] = problems
    assert "sigtuna/outbound.yaml:2" in str(problem)
    assert "less than or equal to 1" in str(problem)
