"""Assignment tests create many agents: a cheap password hash keeps them fast (sign-in is tested elsewhere)."""

import pytest
from argon2 import PasswordHasher

from hub.agents import service as agents


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agents, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
