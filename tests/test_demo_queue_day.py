"""The demo's queue day: inbound calls through the real bot's /inbound over the simulated PBX, callbacks
booked in real Redis and dialled back by the real dialer; the figures it prints hold together."""

from __future__ import annotations

from pathlib import Path

from queueing.test_callbacks_support import REDIS_URL, redis_for_test

from ivr.demo.queue_day import QUEUE, QueueDaySummary, run_queue_day
from ivr.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def demo_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "dialogs_dir": REPO / "dialogs",
        "database_url": f"sqlite:///{tmp_path / 'demo.db'}",
        "redis_url": REDIS_URL,
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]  # names checked by pydantic


async def test_accepted_callbacks_are_dialled_once_answered_and_served(tmp_path: Path) -> None:
    async with redis_for_test("ivr-demo") as redis:  # fails clearly when Redis is down
        before = {key async for key in redis.scan_iter(match="ivr-demo:*")}
        summary = await run_queue_day(demo_settings(tmp_path), tmp_path, calls=12, seed=3)
        after = {key async for key in redis.scan_iter(match="ivr-demo:*")}

    assert summary.skipped is None
    assert summary.calls == 12
    assert len(summary.announced_waits_s) == 12
    assert summary.offered >= summary.accepted >= 1
    assert summary.other_number == 1  # the one caller who keys another number
    assert summary.completed == summary.accepted == summary.served_callbacks
    assert len(summary.dialled) == len(set(summary.dialled)) == summary.accepted  # none dialled twice
    assert any(number.startswith("073") for number in summary.dialled)  # the other number was called
    assert summary.served_from_queue == summary.calls - summary.accepted
    assert after == before  # the day's own prefix was deleted
    lines = summary.lines()
    assert lines[0].startswith(f"Ködag: 12 inkommande samtal till kön {QUEUE}")
    assert f"{summary.accepted} accepterade" in lines[2]


async def test_without_redis_the_day_is_skipped_with_one_line(tmp_path: Path) -> None:
    settings = demo_settings(tmp_path, redis_url="redis://127.0.0.1:1/0")

    summary = await run_queue_day(settings, tmp_path, calls=5, seed=1)

    assert summary == QueueDaySummary(skipped=summary.skipped)
    [line] = summary.lines()
    assert line.startswith(
        "Ködagen hoppades över / queue day skipped: Redis nås inte / Redis is not reachable"
    )


def test_the_summary_in_swedish() -> None:
    summary = QueueDaySummary(
        calls=3,
        announced_waits_s=(60.0, 210.0, 0.0),
        offered=2,
        accepted=1,
        completed=1,
        served_callbacks=1,
        served_from_queue=2,
        model_seconds=600.0,
    )

    assert summary.lines()[1:] == [
        "Utlovad väntetid: 1,5 min i snitt (3 st)",
        "Återuppringning: 2 erbjudna, 1 accepterade (0 med annat nummer), 1 genomförda, 1 betjänade av "
        "handläggare",
        "Betjänade direkt från kön: 2",
    ]
