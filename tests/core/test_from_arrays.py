"""`from_arrays`: many rows in one INSERT of one array per column, on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import col, select

from hub.runtime.db import session_scope
from hub.runtime.upsert import from_arrays
from reports.models import DailyRollup, ReportEvent
from reports.rollup import ADD_SUMS


def test_rows_of_mixed_numbers_and_nulls_go_in_as_one_statement(pg_backend: Any) -> None:
    at = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    rows: list[dict[str, Any]] = [
        {"kind": "message.received", "source_key": f"message:{n}:received", "at": at, "day": date(2026, 12, 7),
         "channel_id": n if n % 2 else None, "seconds": n if n < 3 else n + 0.5, "currency": "日本"[: n % 3]}
        for n in range(1, 6)]
    with session_scope() as session:
        from_arrays(session, ReportEvent.__table__, rows)  # type: ignore[attr-defined]
    with session_scope() as session:
        stored = session.execute(select(ReportEvent).order_by(col(ReportEvent.id))).scalars().all()
        assert [(e.source_key, e.channel_id, e.seconds, e.currency, e.at) for e in stored] == [
            (r["source_key"], r["channel_id"], float(r["seconds"]), r["currency"], at) for r in rows]


def test_a_conflict_clause_adds_to_the_rows_already_there(pg_backend: Any) -> None:
    key = {"day": date(2026, 12, 7), "kind": "order.paid", "channel_id": 1, "team_id": 0, "agent_id": 0,
           "campaign_id": 0, "currency": "HKD"}
    table = DailyRollup.__table__  # type: ignore[attr-defined]
    for _ in range(2):
        with session_scope() as session:
            sums = {"count": 2, "amount_minor": 5000, "seconds": 0, "business_seconds": 1.5}
            from_arrays(session, table, [key | sums], tail=ADD_SUMS)
    with session_scope() as session:
        row = session.execute(select(DailyRollup)).scalars().one()
        assert (row.count, row.amount_minor, row.business_seconds) == (4, 10000, 3.0)
