"""Backoff: exponential with full jitter, and the provider's own retry_after honoured."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channels.retry import backoff_seconds, is_transient_http_status, parse_retry_after


def test_retry_after_wins_even_above_the_cap() -> None:
    assert backoff_seconds(1, 35.0) == 35.0
    assert backoff_seconds(9, 900.0, cap=300.0) == 900.0
    assert backoff_seconds(3, 0.0) == 0.0


@pytest.mark.parametrize("attempt", [1, 2, 3, 5, 8, 20, 200])
def test_full_jitter_stays_under_the_exponential_ceiling(attempt: int) -> None:
    ceiling = min(300.0, 1.0 * 2 ** (attempt - 1))
    draws = [backoff_seconds(attempt, None) for _ in range(200)]
    assert all(0.0 <= draw <= ceiling for draw in draws)
    assert max(draws) > ceiling / 4  # jittered across the range, not pinned at zero


def test_base_and_cap_are_configurable() -> None:
    assert all(backoff_seconds(10, None, base=0.5, cap=2.0) <= 2.0 for _ in range(100))


def test_retry_after_header_forms() -> None:
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now=now) == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None


def test_transient_statuses() -> None:
    assert is_transient_http_status(429) and is_transient_http_status(500) and is_transient_http_status(503)
    assert not is_transient_http_status(400) and not is_transient_http_status(404)
