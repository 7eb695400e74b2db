"""Opening hours of a contact centre, in local wall-clock time (Europe/Stockholm unless told otherwise).

Operators write them as YAML:

    timezone: Europe/Stockholm          # optional
    weekly:
      mon-thu: "07:00-19:00"
      fri: "07:00-12:00, 13:00-16:00"   # several ranges, or a list of them
      sat: closed                       # days left out are closed too
    holidays: [2026-12-24, 2026-12-25]  # closed all day
    special:                            # other hours on given dates (e.g. the day before a holiday)
      2026-04-30: "07:00-15:00"

Day names are English or Swedish abbreviations (`mon` or `mån`), alone, in lists (`sat, sun`) or ranges
(`mon-fri`). Ranges are half-open: "07:00-19:00" is open at 18:59:59 and closed at 19:00; "24:00" ends a day.
Times given to the methods must carry a timezone; they may be in any zone.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator

DEFAULT_TIMEZONE = "Europe/Stockholm"
STOCKHOLM = ZoneInfo(DEFAULT_TIMEZONE)
SEARCH_DAYS = 400  # how far next_opening looks before it decides the centre never opens
MINUTES_PER_DAY = 24 * 60

_DAY_NAMES: dict[str, int] = {
    **{name: index for index, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{name: index for index, name in enumerate(("mån", "tis", "ons", "tor", "fre", "lör", "sön"))},
}
_CLOSED_WORDS = frozenset({"closed", "stängt"})
_CONFIG_KEYS = frozenset({"timezone", "weekly", "holidays", "special"})


class HoursConfigError(ValueError):
    """Opening hours that cannot be read; the message says where and what is wrong."""


@dataclass(frozen=True, order=True)
class OpenRange:
    """Open from `start_minute` (inclusive) to `end_minute` (exclusive), minutes after local midnight."""

    start_minute: int
    end_minute: int

    def contains(self, minute: float) -> bool:
        return self.start_minute <= minute < self.end_minute


DayHours = tuple[OpenRange, ...]


@dataclass(frozen=True)
class OpeningHours:
    weekly: tuple[DayHours, ...]  # seven entries, Monday first
    holidays: frozenset[date] = frozenset()
    special: Mapping[date, DayHours] | None = None
    timezone: ZoneInfo = STOCKHOLM

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise HoursConfigError(f"weekly hours need seven days, got {len(self.weekly)}")

    @classmethod
    def from_config(cls, data: Mapping[str, object]) -> OpeningHours:
        """Opening hours from their YAML form (see the module docs)."""
        unknown = set(data) - _CONFIG_KEYS
        if unknown:
            raise HoursConfigError(
                f"opening hours: unknown key(s) {', '.join(sorted(map(str, unknown)))} "
                f"(known: {', '.join(sorted(_CONFIG_KEYS))})"
            )
        weekly = data.get("weekly")
        if not isinstance(weekly, Mapping):
            raise HoursConfigError(
                "opening hours: 'weekly' must map days to hours, e.g. mon-fri: 07:00-19:00"
            )
        return cls.parse(
            weekly,
            holidays=_as_list(data.get("holidays", []), "holidays"),
            special=_as_mapping(data.get("special", {}), "special"),
            timezone=str(data.get("timezone", DEFAULT_TIMEZONE)),
        )

    @classmethod
    def parse(
        cls,
        weekly: Mapping[str, object],
        *,
        holidays: Iterable[object] = (),
        special: Mapping[object, object] | None = None,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> OpeningHours:
        """`weekly` like {"mon-fri": "07:00-19:00", "sat": "10:00-14:00"}; dates as `date` or "YYYY-MM-DD"."""
        closed_days = frozenset(_parse_date(value, "holidays") for value in holidays)
        special_hours = {
            _parse_date(day, "special"): _parse_day_hours(hours, f"special {day}")
            for day, hours in (special or {}).items()
        }
        both = closed_days & special_hours.keys()
        if both:
            listed = ", ".join(day.isoformat() for day in sorted(both))
            raise HoursConfigError(f"opening hours: {listed} is both a holiday and a special day")
        return cls(_parse_weekly(weekly), closed_days, special_hours, _zone(timezone))

    def hours_on(self, day: date) -> DayHours:
        """The open ranges on a local date."""
        if day in self.holidays:
            return ()
        if self.special is not None and day in self.special:
            return self.special[day]
        return self.weekly[day.weekday()]

    def is_open(self, at: datetime) -> bool:
        return self._current_range(at) is not None

    def closes_at(self, at: datetime) -> datetime | None:
        """When the range open at `at` ends; None when closed at `at`."""
        local = self._local(at)
        current = self._current_range(at)
        if current is None:
            return None
        return self._moment(local.date(), current.end_minute)

    def next_opening(self, at: datetime) -> datetime | None:
        """The first open moment at or after `at` (`at` itself when open); None if it never opens."""
        if self.is_open(at):
            return at
        local = self._local(at)
        for offset in range(SEARCH_DAYS):
            day = local.date() + timedelta(days=offset)
            for open_range in self.hours_on(day):
                opening = self._moment(day, open_range.start_minute)
                if opening > at:
                    return opening
        return None

    def _current_range(self, at: datetime) -> OpenRange | None:
        local = self._local(at)
        minute = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
        return next((each for each in self.hours_on(local.date()) if each.contains(minute)), None)

    def _local(self, at: datetime) -> datetime:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"opening hours need a time with a timezone, got {at.isoformat()}")
        return at.astimezone(self.timezone)

    def _moment(self, day: date, minute: int) -> datetime:
        if minute >= MINUTES_PER_DAY:
            return datetime.combine(day + timedelta(days=1), time(0), self.timezone)
        wall = datetime.combine(day, time(minute // 60, minute % 60), self.timezone)
        return wall.astimezone(ZoneInfo("UTC")).astimezone(self.timezone)  # normalizes a time DST skips


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise HoursConfigError(f"opening hours: unknown timezone {name!r} (e.g. Europe/Stockholm)") from error


def _as_list(value: object, key: str) -> list[object]:
    if not isinstance(value, list):
        raise HoursConfigError(f"opening hours: {key!r} must be a list of dates (YYYY-MM-DD)")
    return value


def _as_mapping(value: object, key: str) -> Mapping[object, object]:
    if not isinstance(value, Mapping):
        raise HoursConfigError(f"opening hours: {key!r} must map dates (YYYY-MM-DD) to hours")
    return value


def _parse_weekly(weekly: Mapping[str, object]) -> tuple[DayHours, ...]:
    days: dict[int, tuple[str, DayHours]] = {}
    for spec, hours in weekly.items():
        parsed = _parse_day_hours(hours, str(spec))
        for weekday in _parse_days(str(spec)):
            if weekday in days:
                raise HoursConfigError(
                    f"opening hours: {_english_day(weekday)} is given twice, in {days[weekday][0]!r} "
                    f"and {spec!r}; write each day once (e.g. mon-thu and fri)"
                )
            days[weekday] = (str(spec), parsed)
    return tuple(days[weekday][1] if weekday in days else () for weekday in range(7))


def _english_day(weekday: int) -> str:
    return ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[weekday]


def _parse_days(spec: str) -> list[int]:
    weekdays: list[int] = []
    for item in spec.split(","):
        first, _, last = item.strip().lower().partition("-")
        start = _day_index(first, spec)
        end = _day_index(last, spec) if last else start
        weekdays.extend((start + step) % 7 for step in range((end - start) % 7 + 1))
    return weekdays


def _day_index(name: str, spec: str) -> int:
    try:
        return _DAY_NAMES[name.strip()]
    except KeyError:
        raise HoursConfigError(
            f"opening hours: {spec!r}: unknown day {name!r} (use mon, tue, wed, thu, fri, sat, sun "
            "or mån, tis, ons, tor, fre, lör, sön; ranges like mon-fri)"
        ) from None


def _parse_day_hours(hours: object, where: str) -> DayHours:
    if isinstance(hours, str):
        if hours.strip().lower() in _CLOSED_WORDS:
            return ()
        items = [part for part in hours.split(",") if part.strip()]
    elif isinstance(hours, list) and all(isinstance(item, str) for item in hours):
        items = list(hours)
    else:
        raise HoursConfigError(f'opening hours: {where}: expected "HH:MM-HH:MM" or closed, got {hours!r}')
    ranges = sorted(_parse_range(item, where) for item in items)
    for earlier, later in itertools.pairwise(ranges):
        if later.start_minute < earlier.end_minute:
            raise HoursConfigError(f"opening hours: {where}: the ranges {items} overlap")
    return tuple(ranges)


def _parse_range(text: str, where: str) -> OpenRange:
    start_text, separator, end_text = text.strip().partition("-")
    if not separator:
        raise HoursConfigError(f'opening hours: {where}: {text!r} is not a range like "07:00-19:00"')
    start, end = _parse_minute(start_text, where), _parse_minute(end_text, where)
    if end <= start:
        raise HoursConfigError(
            f"opening hours: {where}: {text.strip()!r} ends before it starts (ranges past midnight: "
            'end the day at "24:00" and start the next at "00:00")'
        )
    return OpenRange(start, end)


def _parse_minute(text: str, where: str) -> int:
    hour_text, separator, minute_text = text.strip().partition(":")
    if separator and hour_text.isdigit() and minute_text.isdigit() and len(minute_text) == 2:
        hour, minute = int(hour_text), int(minute_text)
        if (hour < 24 and minute < 60) or (hour == 24 and minute == 0):
            return hour * 60 + minute
    raise HoursConfigError(f"opening hours: {where}: {text.strip()!r} is not a time HH:MM (00:00 to 24:00)")


def _parse_date(value: object, where: str) -> date:
    if isinstance(value, datetime):
        raise HoursConfigError(f"opening hours: {where}: {value!r} is a time, give a date (YYYY-MM-DD)")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise HoursConfigError(f"opening hours: {where}: {value!r} is not a date (YYYY-MM-DD)") from None


def _parsable_hours(data: dict[str, Any]) -> dict[str, Any]:
    try:
        OpeningHours.from_config(data)
    except HoursConfigError as error:
        raise ValueError(str(error)) from error
    return data


OpeningHoursData = Annotated[dict[str, Any], AfterValidator(_parsable_hours)]
"""Opening hours as an operator writes them in YAML, checked when the document is read."""
