"""The operator's inbound YAML: queues with thresholds and hours, dated announcements, clear errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ivr.dialog.loader import read_model
from ivr.queueing.config import InboundConfig

GOOD = """\
id: kontaktcenter-inkommande
purpose: inbound
queues:
  kontaktcenter:
    callback_offer_above_s: 240
    opening_hours:
      weekly: {mon-fri: "07:00-19:00"}
  bygglov: {}
announcements:
  - id: vatten-rimbo
    text: Just nu är vattnet avstängt i Rimbo.
    valid_from: 2026-11-22T08:00:00+01:00
    valid_to: 2026-11-22T20:00:00+01:00
    queues: [kontaktcenter]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inbound.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads_and_announcements_follow_their_dates_and_queues(tmp_path: Path) -> None:
    config, problems = read_model(write(tmp_path, GOOD), InboundConfig)
    assert problems == []
    assert config is not None
    assert config.queue("kontaktcenter").callback_offer_above_s == 240
    assert config.queue("bygglov").callback_offer_above_s == 300
    during = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    after = datetime(2026, 11, 22, 19, 30, tzinfo=UTC)
    assert [a.id for a in config.active_announcements("kontaktcenter", during)] == ["vatten-rimbo"]
    assert config.active_announcements("bygglov", during) == []
    assert config.active_announcements("kontaktcenter", after) == []
    assert config.queue("kontaktcenter").hours().is_open(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


def test_bad_hours_and_unknown_queues_are_reported_with_their_place(tmp_path: Path) -> None:
    broken = GOOD.replace('"07:00-19:00"', '"07:00-31:00"')
    config, problems = read_model(write(tmp_path, broken), InboundConfig)
    assert config is None
    assert [str(p).split("inbound.yaml:")[1] for p in problems] == [
        "7:7: opening hours: mon-fri: '31:00' is not a time HH:MM (00:00 to 24:00)"
    ]
    broken_queue = GOOD.replace("queues: [kontaktcenter]", "queues: [kundtjanst]")
    _, problems = read_model(write(tmp_path, broken_queue), InboundConfig)
    assert any("unknown queues: kundtjanst" in str(problem) for problem in problems)


def test_dates_must_be_ordered_and_carry_a_timezone(tmp_path: Path) -> None:
    reversed_dates = GOOD.replace("2026-11-22T20:00:00+01:00", "2026-11-22T07:00:00+01:00")
    _, problems = read_model(write(tmp_path, reversed_dates), InboundConfig)
    assert any("valid_to must be after valid_from" in str(problem) for problem in problems)
    naive = GOOD.replace("2026-11-22T08:00:00+01:00", "2026-11-22T08:00:00")
    _, problems = read_model(write(tmp_path, naive), InboundConfig)
    assert [str(p).split("inbound.yaml:")[1] for p in problems] == [
        "12:17: valid_from: input should have timezone info"
    ]
