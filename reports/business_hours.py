"""How much of a stretch of time fell inside opening hours, on days that are not public holidays.

Schedules are `hub.assignment.hours` weekly schedules (a range that ends at or before it starts runs past
midnight; `24:00` is midnight). Holidays come from the `holidays` library's calendars (HK, TW, JP...).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from hub.assignment import hours

log = logging.getLogger(__name__)


@lru_cache(maxsize=64)
def holidays_in(countries: tuple[str, ...], year: int) -> frozenset[date]:
    """The public holidays of these countries in one year (a holiday in any of them closes the shop)."""
    if not countries:
        return frozenset()
    try:  # imported here: an environment not yet synced with uv.lock still starts (without holidays)
        calendars = importlib.import_module("holidays")
    except ImportError:
        log.warning("the holidays library is not installed (run `uv sync`): business hours ignore public holidays")
        return frozenset()
    found: set[date] = set()
    for country in countries:
        found.update(calendars.country_holidays(country, years=year).keys())
    return frozenset(found)


def _time(text: str) -> tuple[int, int]:
    hour, minute = (int(part) for part in text.split(":"))
    return hour, minute


def _openings(day: date, weekly: hours.Weekly, tz: str) -> Iterable[tuple[datetime, datetime]]:
    zone = hours.zone(tz)
    for opens, closes in weekly.get(hours.DAYS[day.weekday()], ()):
        start = datetime.combine(day, time(*_time(opens)), tzinfo=zone)
        end_hour, end_minute = _time(closes)
        if (end_hour, end_minute) == (24, 0):
            end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)
        else:
            end = datetime.combine(day, time(end_hour, end_minute), tzinfo=zone)
            if end <= start:
                end = datetime.combine(day + timedelta(days=1), time(end_hour, end_minute), tzinfo=zone)
        yield start.astimezone(UTC), end.astimezone(UTC)


def seconds_between(start: datetime, end: datetime, *, tz: str, weekly: hours.Weekly | None,
                    countries: tuple[str, ...] = ()) -> float:
    """Seconds from `start` to `end` (aware) inside the schedule, in its zone; `weekly` None: always open
    (but still closed on holidays). An opening belongs to the day it starts on."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return 0.0
    zone = hours.zone(tz)
    first = start.astimezone(zone).date() - timedelta(days=1)  # yesterday's overnight range reaches today
    last = end.astimezone(zone).date()
    schedule: hours.Weekly = weekly if weekly is not None else {day: [["00:00", "24:00"]] for day in hours.DAYS}
    total = 0.0
    day = first
    while day <= last:
        if day not in holidays_in(countries, day.year):
            for opens, closes in _openings(day, schedule, tz):
                overlap = (min(end, closes) - max(start, opens)).total_seconds()
                if overlap > 0:
                    total += overlap
        day += timedelta(days=1)
    return total
