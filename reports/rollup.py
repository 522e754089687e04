"""Daily sums of the facts per dimension, added to in the transaction that writes the facts.

Set-based: the facts of one write are summed in memory per key, then one INSERT ... ON CONFLICT adds each
sum to its row. `rebuild` recomputes every row from the facts (the backfill, or after a change of time zone).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, func, literal_column, select
from sqlmodel import Session, col

from hub.runtime.upsert import upsert
from reports.models import DailyRollup, ReportEvent

KEY = ("day", "kind", "channel_id", "team_id", "agent_id", "campaign_id", "currency")
SUMS = ("count", "amount_minor", "seconds", "business_seconds")


def _key(fact: Mapping[str, Any]) -> tuple[Any, ...]:
    return (fact["day"], fact["kind"], fact.get("channel_id") or 0, fact.get("team_id") or 0,
            fact.get("agent_id") or 0, fact.get("campaign_id") or 0, fact.get("currency") or "")


def add(session: Session, facts: Iterable[Mapping[str, Any]]) -> int:
    """Add newly written facts to their days' rows; how many rows were touched."""
    sums: dict[tuple[Any, ...], list[float]] = {}
    for fact in facts:
        entry = sums.setdefault(_key(fact), [0, 0, 0.0, 0.0])
        entry[0] += 1
        entry[1] += fact.get("amount_minor") or 0
        entry[2] += fact.get("seconds") or 0.0
        entry[3] += fact.get("business_seconds") or 0.0
    if not sums:
        return 0
    table = DailyRollup.__table__  # type: ignore[attr-defined]
    rows = [dict(zip(KEY, key, strict=True)) | dict(zip(SUMS, values, strict=True))
            for key, values in sorted(sums.items(), key=lambda item: tuple(map(str, item[0])))]
    for start in range(0, len(rows), 500):
        upsert(session, table, rows[start:start + 500], key=list(KEY),
               update={name: table.c[name] + _excluded(session, table, name) for name in SUMS})
    return len(rows)


def _excluded(session: Session, table: Any, name: str) -> Any:
    from hub.runtime.upsert import dialect_insert

    return dialect_insert(session, table).excluded[name]


def rebuild(session: Session) -> int:
    """Recompute every rollup row from the facts, in one grouped INSERT ... SELECT; how many rows."""
    session.execute(delete(DailyRollup))
    e = ReportEvent
    zero: Any = literal_column("0")
    empty: Any = literal_column("''")  # inline, so GROUP BY repeats the same expressions
    dims = [col(e.day), col(e.kind), *[func.coalesce(column, zero) for column in
                                       (col(e.channel_id), col(e.team_id), col(e.agent_id), col(e.campaign_id))],
            func.coalesce(col(e.currency), empty)]
    grouped = (select(*dims, func.count(), func.coalesce(func.sum(col(e.amount_minor)), zero),
                      func.coalesce(func.sum(col(e.seconds)), zero),
                      func.coalesce(func.sum(col(e.business_seconds)), zero))
               .group_by(*dims))
    table = DailyRollup.__table__  # type: ignore[attr-defined]
    session.execute(table.insert().from_select([*KEY, *SUMS], grouped))
    return int(session.execute(select(func.count()).select_from(table)).scalar_one())
