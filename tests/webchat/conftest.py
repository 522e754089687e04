"""Fixtures for the web chat tests (helpers live in tests/webchat/factories.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.composition import create_app


@pytest.fixture
def client(backend: Any) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client
