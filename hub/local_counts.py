"""Counters kept in this process: what the throttles fall back to when Redis cannot be reached.

Each API process then counts on its own (a limit of N becomes at most N per process), which is
looser than the shared count but never "no limit at all": an attacker must not win by cutting Redis.
"""

from __future__ import annotations

import threading
import time

MAX_KEYS = 100_000


class LocalCounts:
    """Expiring integer counters and waits, thread-safe (sync routes run in a thread pool)."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> tuple[int, float] | None:
        entry = self._values.get(key)
        if entry is not None and entry[1] <= now:
            del self._values[key]
            return None
        return entry

    def incr(self, key: str, ttl: int) -> int:
        """Add one; a new counter lives `ttl` seconds from its first count (a fixed window)."""
        now = time.monotonic()
        with self._lock:
            if len(self._values) > MAX_KEYS:
                self._drop_expired(now)
            entry = self._live(key, now)
            count, expires = (entry[0] + 1, entry[1]) if entry else (1, now + ttl)
            self._values[key] = (count, expires)
            return count

    def set(self, key: str, value: int, ttl: int) -> None:
        with self._lock:
            self._values[key] = (value, time.monotonic() + ttl)

    def get(self, key: str) -> int | None:
        with self._lock:
            entry = self._live(key, time.monotonic())
            return entry[0] if entry else None

    def ttl(self, key: str) -> int:
        """Whole seconds left (at least 1) for a live key, 0 for none."""
        now = time.monotonic()
        with self._lock:
            entry = self._live(key, now)
            return max(1, int(entry[1] - now + 0.999)) if entry else 0

    def delete(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)

    def _drop_expired(self, now: float) -> None:
        for key in [k for k, (_, expires) in self._values.items() if expires <= now]:
            del self._values[key]
        if len(self._values) > MAX_KEYS:  # still full of live keys: forget the oldest half
            for key in list(self._values)[: len(self._values) // 2]:
                del self._values[key]


COUNTS = LocalCounts()
"""The process's one fallback store, shared by every throttle (keys carry their own prefixes)."""
