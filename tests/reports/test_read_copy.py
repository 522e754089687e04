"""With HUB_DATABASE_READ_URL the reports read the read-only copy, not the primary (issue 19 item 4): here the
copy is an empty database, so the same request that shows the history's sales shows none."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from hub.runtime import db
from hub.runtime.settings import get_settings
from tests.factories import token_for
from tests.reports.history import History


def test_the_reports_read_the_copy_when_there_is_one(world: tuple[TestClient, History], backend, tmp_path,
                                                     monkeypatch, sqlite_template) -> None:
    if backend.is_postgres:
        pytest.skip("one SQLite file stands in for the replica")
    client, history = world
    marketer = token_for(client, "market@reports.test")
    params = {"from": "2026-09-21", "to": "2026-10-25"}
    primary = client.get("/api/v1/reports/sales", params=params, headers=marketer).json()
    assert sum(c["orders"] for c in primary["totals"]["currencies"]) > 0
    copy = tmp_path / "copy.db"
    shutil.copy(sqlite_template, copy)  # a copy that has not caught up with anything yet
    monkeypatch.setenv("HUB_DATABASE_READ_URL", f"sqlite:///{copy}")
    get_settings.cache_clear()
    db.reset_engines()
    lagging = client.get("/api/v1/reports/sales", params=params, headers=marketer)
    assert lagging.status_code == 200  # the marketer is still signed in: people are read from the primary
    assert sum(c["orders"] for c in lagging.json()["totals"]["currencies"]) == 0


def test_a_report_runs_its_queries_without_jit(world: tuple[TestClient, History], backend, monkeypatch) -> None:
    """PostgreSQL's JIT is off while a report computes (the signed-in check and the route share its transaction,
    and nothing between them commits it away)."""
    if not backend.is_postgres:
        pytest.skip("JIT is PostgreSQL's")
    from sqlalchemy import text

    from reports import lifecycle, sales

    client, _ = world
    seen: list[str] = []

    def watching(module, name):  # type: ignore[no-untyped-def]
        original = getattr(module, name)

        def run(session, *args, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(session.execute(text("SHOW jit")).scalar_one())
            return original(session, *args, **kwargs)
        monkeypatch.setattr(module, name, run)

    watching(lifecycle, "report")
    watching(sales, "report")
    marketer = token_for(client, "market@reports.test")
    for path in ("/api/v1/reports/lifecycle", "/api/v1/reports/sales"):
        assert client.get(path, params={"from": "2026-09-21", "to": "2026-10-25"}, headers=marketer).status_code == 200
    assert seen == ["off", "off"]
