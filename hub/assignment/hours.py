"""Opening hours as plain values: a time zone name and a weekly schedule.

Pure functions, so that any stored form of business hours (a team's assignment settings, or the
tagging package's business hours) can feed them. A schedule maps a day (`mon` … `sun`) to a list
of `["HH:MM", "HH:MM"]` ranges in the zone's local time; a day that is missing is closed; a range
that ends at or before it starts runs past midnight; `24:00` ends a range at midnight.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Weekly = Mapping[str, Sequence[Sequence[str]]]


class InvalidHours(ValueError):
    """A schedule or time zone Hub cannot read; the message says which part."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidHours(f"unknown time zone {name!r}; use an IANA name such as Asia/Hong_Kong") from None


def _minutes(value: str) -> int:
    try:
        hours, minutes = value.split(":")
        total = int(hours) * 60 + int(minutes)
    except ValueError:
        raise InvalidHours(f"{value!r} is not a time of day; write HH:MM") from None
    if not (0 <= int(minutes) < 60 and 0 <= total <= 24 * 60):
        raise InvalidHours(f"{value!r} is not a time of day between 00:00 and 24:00")
    return total


def validate(tz: str, weekly: Weekly | None) -> None:
    """Raise InvalidHours with a readable reason when the zone or the schedule is wrong."""
    zone(tz)
    if weekly is None:
        return
    for day, ranges in weekly.items():
        if day not in DAYS:
            raise InvalidHours(f"unknown day {day!r}; days are {', '.join(DAYS)}")
        for pair in ranges:
            if len(pair) != 2:
                raise InvalidHours(f"{day}: each range needs an opening and a closing time, like ['09:00', '18:00']")
            opens, _ = _minutes(pair[0]), _minutes(pair[1])
            if opens == 24 * 60:
                raise InvalidHours(f"{day}: a range cannot open at 24:00")


def _ranges(weekly: Weekly, day: int) -> list[tuple[int, int]]:
    return [(_minutes(pair[0]), _minutes(pair[1])) for pair in weekly.get(DAYS[day % 7], ())]


def is_open(tz: str, weekly: Weekly | None, now: datetime) -> bool:
    """True when `now` (an aware datetime) falls inside the schedule; no schedule: always open."""
    if weekly is None:
        return True
    local = now.astimezone(zone(tz))
    minute = local.hour * 60 + local.minute
    today = local.weekday()
    for start, end in _ranges(weekly, today):
        if start < end and start <= minute < end:
            return True
        if end <= start and minute >= start:  # runs past midnight, and we are before it
            return True
    # yesterday's overnight ranges reach into this morning
    return any(end <= start and minute < end for start, end in _ranges(weekly, today - 1))


def next_opening(tz: str, weekly: Weekly | None, now: datetime) -> datetime | None:
    """The next moment the schedule opens, in its zone (now when open); None when it never opens."""
    local = now.astimezone(zone(tz))
    if weekly is None or is_open(tz, weekly, now):
        return local
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        for start, _ in sorted(_ranges(weekly, day.weekday())):
            opening = datetime.combine(day, time(start // 60, start % 60), tzinfo=local.tzinfo)
            if opening > local:
                return opening
    return None
