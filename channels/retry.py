"""How long to wait before the next attempt at a send that failed for a transient reason.

Adapters make one attempt per `send()` and report transient failures as
`SendResult(ok=False, permanent=False, retry_after=...)`; the core owns the retry loop and
the attempt counter and asks `backoff_seconds` for the delay.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def backoff_seconds(attempt: int, retry_after: float | None, base: float = 1.0, cap: float = 300.0) -> float:
    """Seconds to wait before attempt `attempt + 1`.

    Args:
        attempt: how many attempts have failed so far (1 after the first failure).
        retry_after: what the provider asked for (Retry-After, Telegram `retry_after`), if anything.
        base: the first backoff step in seconds.
        cap: the longest backoff chosen by us.

    Returns:
        The provider's own `retry_after` when given (it knows its limits better than we do,
        so it is honoured even above `cap`), else exponential backoff with full jitter:
        a uniform draw from `[0, min(cap, base * 2 ** (attempt - 1))]`.
    """
    if retry_after is not None and retry_after >= 0:
        return float(retry_after)
    exponent = min(max(attempt, 1) - 1, 62)  # keeps 2 ** exponent a sane float
    ceiling = min(cap, base * (2.0**exponent))
    return random.uniform(0.0, ceiling)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a `Retry-After` header: delta-seconds or an HTTP date; None when absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def is_transient_http_status(status: int) -> bool:
    """429 and every 5xx are worth another attempt; other statuses are answers."""
    return status == 429 or status >= 500
