"""The journeys' clock: every due time is computed from `now()`, which the tests replace to move time on
without sleeping, and every wait is divided by the time scale (`HUB_FLOW_TIME_SCALE`: 60 makes a minute a
second, for a demo; a test run of a flow goes 60 times faster on its own)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from hub.runtime.db import utcnow

TEST_RUN_SCALE = 60.0


def now() -> datetime:
    return utcnow()


def scale(test: bool = False) -> float:
    """How many times faster than the wall clock waits run."""
    try:
        configured = max(float(os.environ.get("HUB_FLOW_TIME_SCALE", "1")), 1.0)
    except ValueError:
        configured = 1.0
    return configured * (TEST_RUN_SCALE if test else 1.0)


def span(minutes: float, test: bool = False) -> timedelta:
    """A wait of `minutes` on the flows' clock."""
    return timedelta(minutes=minutes) / scale(test)


def messages_per_day() -> int:
    """The frequency cap: messages all automations together send one contact in 24 hours (HUB_FLOW_MESSAGES_PER_DAY)."""
    try:
        return max(int(os.environ.get("HUB_FLOW_MESSAGES_PER_DAY", "3")), 0)
    except ValueError:
        return 3


def quiet_hours() -> tuple[str, str] | None:
    """The shop's quiet hours for automations (HUB_FLOW_QUIET_HOURS, `21:00-08:00` by default; `off`: none). A
    flow's own `quiet_hours` setting overrides them."""
    configured = os.environ.get("HUB_FLOW_QUIET_HOURS", "21:00-08:00").strip().lower()
    if configured in ("", "off", "none"):
        return None
    start, _, end = configured.partition("-")
    if clock_time(start.strip()) and clock_time(end.strip()):
        return start.strip(), end.strip()
    return ("21:00", "08:00")


def clock_time(value: object) -> bool:
    """`HH:MM`, 00:00-23:59."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return False
    hours, minutes = value[:2], value[3:]
    return hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60
