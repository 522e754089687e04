"""A generated history, backfilled, behind an API client (see history.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.composition import create_app
from reports.backfill import backfill
from reports.settings import get_report_settings
from tests.factories import make_user
from tests.reports.history import History, generate


@pytest.fixture
def world(backend: Any) -> Iterator[tuple[TestClient, History]]:
    get_report_settings.cache_clear()
    history = generate()
    backfill(say=lambda _: None)
    make_user("boss@reports.test", "admin")
    make_user("market@reports.test", "marketer")
    with TestClient(create_app()) as client:
        yield client, history
    get_report_settings.cache_clear()
