"""Issue 12, item 15: a stranger cannot lock an agent out, guessing slows down, Redis down still
throttles, and the address counted is the real one (X-Forwarded-For only from HUB_TRUSTED_PROXIES)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hub.agents import throttle
from hub.composition import create_app
from hub.local_counts import COUNTS
from hub.runtime import broker
from hub.runtime.settings import get_settings
from tests.factories import PASSWORD

STRANGER, AGENT, PROXY = ("203.0.113.66", 40000), ("198.51.100.7", 40000), ("10.0.0.5", 40000)


def attempt(client: TestClient, password: str, **headers: str) -> int:
    answer = client.post("/api/v1/auth/token", data={"username": "a@shop.test", "password": password},
                         headers=headers)
    return answer.status_code


def test_a_stranger_guessing_cannot_lock_the_agent_out(world):
    with TestClient(create_app(), client=STRANGER) as stranger, TestClient(create_app(), client=AGENT) as agent:
        for _ in range(throttle.FREE_FAILURES):
            assert attempt(stranger, "wrong password") == 401
        assert attempt(stranger, PASSWORD) == 429  # even the right password waits, from there
        assert attempt(agent, PASSWORD) == 200


def test_guessing_from_one_address_waits_longer_after_each_failure():
    waits = [throttle.wait_for(n) for n in range(throttle.FREE_FAILURES + 8)]
    assert waits[: throttle.FREE_FAILURES] == [0] * throttle.FREE_FAILURES
    growing = waits[throttle.FREE_FAILURES:]
    assert growing == sorted(growing) and growing[0] < growing[2] and max(growing) == throttle.MAX_WAIT


def test_the_wait_is_a_slow_down_that_ends(world):
    with TestClient(create_app(), client=STRANGER) as stranger:
        for _ in range(throttle.FREE_FAILURES):
            attempt(stranger, "wrong password")
        answer = stranger.post("/api/v1/auth/token", data={"username": "a@shop.test", "password": PASSWORD})
        assert answer.status_code == 429 and 0 < int(answer.headers["retry-after"]) <= throttle.FIRST_WAIT


@pytest.fixture
def redis_down(monkeypatch):
    """Redis stops answering once the app is up (as in tests/core/test_health.py)."""
    COUNTS._values.clear()

    def stop() -> None:
        monkeypatch.setenv("HUB_REDIS_URL", "redis://127.0.0.1:1/0")
        get_settings.cache_clear()
        broker.reset()

    yield stop
    throttle._redis_down_until = 0.0  # Redis is back for the next test
    COUNTS._values.clear()


def test_the_throttle_still_works_when_redis_is_down(world, redis_down):
    with TestClient(create_app(), client=STRANGER) as stranger, TestClient(create_app(), client=AGENT) as agent:
        redis_down()
        for _ in range(throttle.FREE_FAILURES):
            assert attempt(stranger, "wrong password") == 401
        assert attempt(stranger, PASSWORD) == 429
        assert attempt(agent, PASSWORD) == 200


def test_forwarded_for_from_an_untrusted_peer_is_ignored(world):
    with TestClient(create_app(), client=STRANGER) as stranger:
        for n in range(throttle.FREE_FAILURES):  # a new forged address on every try
            assert attempt(stranger, "wrong password", **{"X-Forwarded-For": f"192.0.2.{n}"}) == 401
        assert attempt(stranger, PASSWORD, **{"X-Forwarded-For": "192.0.2.200"}) == 429


def test_forwarded_for_from_a_trusted_proxy_names_the_client(world, monkeypatch):
    monkeypatch.setenv("HUB_TRUSTED_PROXIES", "10.0.0.0/8")
    get_settings.cache_clear()
    with TestClient(create_app(), client=PROXY) as proxy:
        for _ in range(throttle.FREE_FAILURES):  # a stranger behind the shop's proxy...
            assert attempt(proxy, "wrong password", **{"X-Forwarded-For": f"{STRANGER[0]}, 10.0.0.9"}) == 401
        assert attempt(proxy, PASSWORD, **{"X-Forwarded-For": STRANGER[0]}) == 429
        # ...does not hold back the agent behind the same proxy, even if the stranger prepends a fake hop
        assert attempt(proxy, PASSWORD, **{"X-Forwarded-For": f"{STRANGER[0]}, {AGENT[0]}"}) == 200
