"""Sign-in throttling: slow down guessing without letting a stranger lock an agent out.

Failures are counted per account *and address*: after FREE_FAILURES from one address the next
try from there must wait, and each further failure doubles the wait (up to MAX_WAIT). The agent,
signing in from their own address, is never held back by someone else's guesses. One address
failing on many accounts is held for the rest of its window. Counts live in Redis so every API
process shares them; when Redis is down each process keeps its own (`hub.local_counts`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

import redis

from hub.local_counts import COUNTS, LocalCounts
from hub.runtime import broker

log = logging.getLogger(__name__)

FREE_FAILURES = 5
FIRST_WAIT = 30
MAX_WAIT = 15 * 60
PAIR_WINDOW = 60 * 60
ADDRESS_FAILURES = 20
ADDRESS_WINDOW = 15 * 60
RECHECK_REDIS = 10.0
"""After Redis failed, count in-process this long before trying it again (each try can take seconds)."""
T = TypeVar("T")
_redis_down_until = 0.0


def _pair(email: str, address: str) -> str:
    return hashlib.sha256(f"{email.strip().lower()}|{address}".encode()).hexdigest()[:32]


def _keys(email: str, address: str) -> tuple[str, str, str]:
    pair = _pair(email, address)
    return broker.key("login", "pair", pair), broker.key("login", "wait", pair), broker.key("login", "address", address)


def _either(shared: Callable[[redis.Redis], T], local: Callable[[LocalCounts], T]) -> T:
    """`shared` on Redis; `local` on this process's counts when Redis cannot be reached."""
    global _redis_down_until
    if time.monotonic() >= _redis_down_until:
        try:
            return shared(broker.connection())
        except (redis.RedisError, OSError) as error:
            _redis_down_until = time.monotonic() + RECHECK_REDIS
            log.warning("login throttle counting in this process, Redis unavailable: %s", error)
    return local(COUNTS)


def wait_for(failures: int) -> int:
    """Seconds to wait after `failures` failures from one address on one account (0 while still free)."""
    if failures < FREE_FAILURES:
        return 0
    return int(min(MAX_WAIT, FIRST_WAIT * 2 ** min(failures - FREE_FAILURES, 16)))


def retry_after(email: str, address: str) -> int | None:
    """Seconds until this account may be tried again from this address; None when it may be tried now."""
    _, wait, by_address = _keys(email, address)

    def shared(conn: redis.Redis) -> int | None:
        pipe = conn.pipeline(transaction=False)
        pipe.ttl(wait)
        pipe.get(by_address)
        pipe.ttl(by_address)
        wait_left, count, address_left = pipe.execute()
        return _answer(int(wait_left), int(count) if count is not None else 0, int(address_left))

    def local(counts: LocalCounts) -> int | None:
        return _answer(counts.ttl(wait), counts.get(by_address) or 0, counts.ttl(by_address))

    return _either(shared, local)


def _answer(wait_left: int, address_count: int, address_left: int) -> int | None:
    if wait_left > 0:
        return wait_left
    if address_count >= ADDRESS_FAILURES:
        return address_left if address_left > 0 else ADDRESS_WINDOW
    return None


def record_failure(email: str, address: str) -> None:
    """Count a failed attempt against this account from this address, and against the address."""
    pair, wait, by_address = _keys(email, address)

    def shared(conn: redis.Redis) -> None:
        pipe = conn.pipeline(transaction=False)
        pipe.incr(pair)
        pipe.incr(by_address)
        failures, address_count = pipe.execute()
        for key, count, window in ((pair, failures, PAIR_WINDOW), (by_address, address_count, ADDRESS_WINDOW)):
            if int(count) == 1:  # the window starts with the first failure (EXPIRE NX needs Redis 7)
                conn.expire(key, window)
        if seconds := wait_for(int(failures)):
            conn.set(wait, 1, ex=seconds)

    def local(counts: LocalCounts) -> None:
        failures = counts.incr(pair, PAIR_WINDOW)
        counts.incr(by_address, ADDRESS_WINDOW)
        if seconds := wait_for(failures):
            counts.set(wait, 1, seconds)

    _either(shared, local)


def record_success(email: str, address: str) -> None:
    """A good password from this address clears its count on this account (the address keeps its own)."""
    pair, wait, _ = _keys(email, address)

    def shared(conn: redis.Redis) -> None:
        conn.delete(pair, wait)

    def local(counts: LocalCounts) -> None:
        counts.delete(pair)
        counts.delete(wait)

    _either(shared, local)
