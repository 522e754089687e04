"""Business hours as (time zone, weekly schedule) values."""

from datetime import UTC, datetime

import pytest

from hub.assignment import hours

OFFICE = {"mon": [["09:00", "18:00"]], "tue": [["09:00", "18:00"]], "sat": [["10:00", "14:00"]]}
NIGHTS = {"fri": [["22:00", "02:00"]]}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_opening_hours_are_read_in_the_teams_time_zone():
    # Monday 2026-11-23: 00:30 UTC is 09:30 in Tokyo and 08:30 in Hong Kong
    assert hours.is_open("Asia/Tokyo", OFFICE, utc(2026, 11, 23, 0, 30))
    assert not hours.is_open("Asia/Hong_Kong", OFFICE, utc(2026, 11, 23, 0, 30))
    assert hours.is_open("Asia/Hong_Kong", OFFICE, utc(2026, 11, 23, 1, 0))
    assert not hours.is_open("Asia/Tokyo", OFFICE, utc(2026, 11, 23, 9, 0))   # 18:00 closes
    assert not hours.is_open("Asia/Tokyo", OFFICE, utc(2026, 11, 25, 3, 0))   # Wednesday: closed all day
    assert hours.is_open("Europe/London", OFFICE, utc(2026, 11, 28, 13, 59))  # Saturday
    assert hours.is_open("UTC", None, utc(2026, 11, 29, 3, 0))                 # no schedule: always open


def test_daylight_saving_time_moves_the_utc_opening():
    weekdays = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    assert hours.is_open("America/New_York", weekdays, utc(2026, 3, 6, 14, 0))      # 09:00 EST
    assert not hours.is_open("America/New_York", weekdays, utc(2026, 3, 9, 12, 30))  # 08:30 EDT
    assert hours.is_open("America/New_York", weekdays, utc(2026, 3, 9, 13, 0))      # 09:00 EDT


def test_a_range_past_midnight_belongs_to_the_day_it_starts():
    assert hours.is_open("UTC", NIGHTS, utc(2026, 11, 27, 23, 0))     # Friday 23:00
    assert hours.is_open("UTC", NIGHTS, utc(2026, 11, 28, 1, 59))     # Saturday 01:59
    assert not hours.is_open("UTC", NIGHTS, utc(2026, 11, 28, 2, 0))
    assert not hours.is_open("UTC", NIGHTS, utc(2026, 11, 27, 1, 0))  # Friday morning: Thursday had no night


def test_the_next_opening_is_in_local_time():
    opening = hours.next_opening("Asia/Tokyo", OFFICE, utc(2026, 11, 25, 3, 0))
    assert opening is not None and opening.isoformat() == "2026-11-28T10:00:00+09:00"
    assert hours.next_opening("UTC", {}, utc(2026, 11, 25, 3, 0)) is None


@pytest.mark.parametrize(("tz", "weekly", "says"), [
    ("Mars/Olympus", None, "unknown time zone"),
    ("UTC", {"monday": [["09:00", "18:00"]]}, "unknown day"),
    ("UTC", {"mon": [["9am", "18:00"]]}, "not a time of day"),
    ("UTC", {"mon": [["09:00", "25:00"]]}, "between 00:00 and 24:00"),
    ("UTC", {"mon": [["09:00"]]}, "opening and a closing time"),
])
def test_bad_schedules_are_refused_with_a_reason(tz, weekly, says):
    with pytest.raises(hours.InvalidHours, match=says):
        hours.validate(tz, weekly)
