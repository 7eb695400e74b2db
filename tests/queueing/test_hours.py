from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import yaml

from ivr.queueing.hours import HoursConfigError, OpeningHours

STOCKHOLM = ZoneInfo("Europe/Stockholm")

CONFIG = """
weekly:
  mon-fri: "07:00-19:00"
  sat: "10:00-14:00"
holidays: [2026-12-24, 2026-12-25]
special:
  2026-04-30: "07:00-15:00"
"""


@pytest.fixture
def hours() -> OpeningHours:
    return OpeningHours.from_config(yaml.safe_load(CONFIG))


def local(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=STOCKHOLM)


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        (local(2026, 3, 2, 6, 59, 59), False),  # Monday, before opening
        (local(2026, 3, 2, 7, 0), True),
        (local(2026, 3, 2, 18, 59, 59), True),
        (local(2026, 3, 2, 19, 0), False),  # the end is not open
        (local(2026, 3, 6, 12, 0), True),  # Friday
        (local(2026, 3, 7, 9, 59), False),  # Saturday
        (local(2026, 3, 7, 10, 0), True),
        (local(2026, 3, 7, 14, 0), False),
        (local(2026, 3, 8, 12, 0), False),  # Sunday: not listed, closed
        (local(2026, 12, 24, 12, 0), False),  # a Thursday, but a holiday
        (local(2026, 12, 23, 12, 0), True),
        (local(2026, 4, 30, 14, 59), True),  # a special day: shorter hours
        (local(2026, 4, 30, 15, 0), False),
        (datetime(2026, 3, 2, 6, 30, tzinfo=UTC), True),  # 07:30 in Stockholm (CET, +01:00)
        (datetime(2026, 7, 6, 5, 30, tzinfo=UTC), True),  # 07:30 in Stockholm (CEST, +02:00)
        (datetime(2026, 7, 6, 4, 30, tzinfo=UTC), False),  # 06:30 in Stockholm in summer
    ],
)
def test_is_open(hours: OpeningHours, at: datetime, is_open: bool) -> None:
    assert hours.is_open(at) is is_open


@pytest.mark.parametrize(
    ("at", "opening"),
    [
        (local(2026, 3, 2, 12, 0), local(2026, 3, 2, 12, 0)),  # open now: now
        (local(2026, 3, 2, 5, 0), local(2026, 3, 2, 7, 0)),
        (local(2026, 3, 2, 19, 0), local(2026, 3, 3, 7, 0)),
        (local(2026, 3, 6, 20, 0), local(2026, 3, 7, 10, 0)),  # Friday evening: Saturday
        (local(2026, 3, 7, 15, 0), local(2026, 3, 9, 7, 0)),  # Saturday afternoon: Monday
        (local(2026, 12, 23, 19, 30), local(2026, 12, 26, 10, 0)),  # over two holidays to Saturday
    ],
)
def test_next_opening(hours: OpeningHours, at: datetime, opening: datetime) -> None:
    assert hours.next_opening(at) == opening


def test_closes_at(hours: OpeningHours) -> None:
    assert hours.closes_at(local(2026, 3, 2, 12, 0)) == local(2026, 3, 2, 19, 0)
    assert hours.closes_at(local(2026, 4, 30, 8, 0)) == local(2026, 4, 30, 15, 0)
    assert hours.closes_at(local(2026, 3, 8, 12, 0)) is None


def test_daylight_saving_changes_keep_wall_clock_hours(hours: OpeningHours) -> None:
    # Summer time starts on Sunday 29 March 2026 and ends on Sunday 25 October 2026.
    monday_after_spring = hours.next_opening(local(2026, 3, 28, 15, 0))
    assert monday_after_spring == local(2026, 3, 30, 7, 0)
    assert monday_after_spring is not None
    assert monday_after_spring.astimezone(UTC) == datetime(2026, 3, 30, 5, 0, tzinfo=UTC)
    monday_after_autumn = hours.next_opening(local(2026, 10, 24, 15, 0))
    assert monday_after_autumn is not None
    assert monday_after_autumn.astimezone(UTC) == datetime(2026, 10, 26, 6, 0, tzinfo=UTC)
    sunday_night_hours = OpeningHours.parse({"sun": "02:00-04:00"})
    # 02:00 does not exist on 29 March (clocks jump to 03:00): it opens at 03:00 summer time, 01:00 UTC.
    opening = sunday_night_hours.next_opening(local(2026, 3, 29, 1, 0))
    assert opening is not None
    assert opening.astimezone(UTC) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert sunday_night_hours.is_open(datetime(2026, 3, 29, 1, 30, tzinfo=UTC))  # 03:30 CEST


def test_swedish_day_names_lists_wrapping_ranges_split_days_and_midnight() -> None:
    hours = OpeningHours.parse(
        {"mån-tor": "08:00-12:00, 13:00-16:00", "fre": ["08:00-12:00"], "sat,sön": "stängt"}
    )
    assert hours.is_open(local(2026, 3, 2, 11, 59))
    assert not hours.is_open(local(2026, 3, 2, 12, 30))  # lunch
    assert hours.closes_at(local(2026, 3, 2, 9, 0)) == local(2026, 3, 2, 12, 0)
    assert hours.next_opening(local(2026, 3, 2, 12, 30)) == local(2026, 3, 2, 13, 0)
    assert not hours.is_open(local(2026, 3, 6, 13, 0))
    weekend = OpeningHours.parse({"fri-sun": "00:00-24:00"})
    assert weekend.is_open(local(2026, 3, 8, 23, 59))
    assert weekend.closes_at(local(2026, 3, 8, 12, 0)) == local(2026, 3, 9, 0, 0)
    assert not weekend.is_open(local(2026, 3, 9, 0, 0))


def test_never_open_has_no_next_opening() -> None:
    assert OpeningHours.parse({}).next_opening(local(2026, 3, 2, 12, 0)) is None


def test_a_time_without_timezone_is_refused(hours: OpeningHours) -> None:
    with pytest.raises(ValueError, match="timezone"):
        hours.is_open(datetime(2026, 3, 2, 12, 0))


@pytest.mark.parametrize(
    ("config", "complaint"),
    [
        ({"weekly": {"mon-fry": "07:00-19:00"}}, "unknown day 'fry'"),
        ({"weekly": {"mon-fri": "07:00-19:00", "fri": "07:00-16:00"}}, "fri is given twice"),
        ({"weekly": {"mon": "19:00-07:00"}}, "ends before it starts"),
        ({"weekly": {"mon": "07:00"}}, "not a range"),
        ({"weekly": {"mon": "7-19"}}, "not a time HH:MM"),
        ({"weekly": {"mon": "07:00-25:00"}}, "not a time HH:MM"),
        ({"weekly": {"mon": "07:00-12:00, 11:00-16:00"}}, "overlap"),
        ({"weekly": {"mon": 7}}, "expected"),
        ({"weekly": "mon-fri 07-19"}, "'weekly' must map"),
        ({"weekly": {}, "holidays": ["24 december"]}, "not a date"),
        ({"weekly": {}, "holidays": "2026-12-24"}, "must be a list"),
        ({"weekly": {}, "holidays": ["2026-12-24"], "special": {"2026-12-24": "closed"}}, "both a holiday"),
        ({"weekly": {}, "timezone": "Europe/Stokholm"}, "unknown timezone"),
        ({"weekly": {}, "opening": {}}, "unknown key"),
    ],
)
def test_bad_config_gets_a_clear_error(config: dict[str, object], complaint: str) -> None:
    with pytest.raises(HoursConfigError, match=complaint):
        OpeningHours.from_config(config)


def test_dates_as_strings_or_dates_and_another_timezone() -> None:
    hours = OpeningHours.parse(
        {"mon-fri": "09:00-17:00"}, holidays=["2026-03-02", date(2026, 3, 3)], timezone="Europe/Helsinki"
    )
    assert not hours.is_open(local(2026, 3, 2, 10, 0))
    assert not hours.is_open(local(2026, 3, 3, 10, 0))
    assert hours.is_open(local(2026, 3, 4, 8, 0))  # 09:00 in Helsinki
    assert not hours.is_open(local(2026, 3, 4, 16, 30))  # 17:30 in Helsinki
