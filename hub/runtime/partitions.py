"""Tables range-partitioned by month on PostgreSQL: naming, creating months ahead, dropping old months.

A partitioned table is `<name>` with one partition per UTC month, `<name>_pYYYYMM`, and a default partition
`<name>_pdefault` for any row outside them (a month nobody created ahead, a fact from years back), so an
insert never fails for want of a partition. Creating a month whose rows sit in the default partition moves
them first. A unique key without the time (a provider's event id) cannot be a constraint of a partitioned
table: it lives in a small key table written in the same transaction (`key_table`).

SQLite keeps one plain table: every function here does nothing there. Each call takes a transaction-scoped
advisory lock per table, so N workers running the daily job at once create and drop each month once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class MonthlyTable:
    """A table partitioned by month on `column` (a timestamptz), and the key table that keeps it unique."""

    name: str
    column: str
    key_table: str
    unique: str
    """The name of the model's unique constraint the key table stands in for (absent on PostgreSQL)."""


def month_of(moment: datetime) -> datetime:
    """The first instant of `moment`'s month, UTC."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def add_months(month: datetime, count: int) -> datetime:
    index = month.year * 12 + month.month - 1 + count
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def partition_name(table: MonthlyTable, month: datetime) -> str:
    return f"{table.name}_p{month.year:04d}{month.month:02d}"


def default_name(table: MonthlyTable) -> str:
    return f"{table.name}_pdefault"


def _month_in(table: MonthlyTable, name: str) -> datetime | None:
    found = re.fullmatch(re.escape(table.name) + r"_p(\d{4})(\d{2})", name)
    return datetime(int(found[1]), int(found[2]), 1, tzinfo=UTC) if found else None


def _lock(conn: Connection, table: MonthlyTable) -> None:
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"hub.partitions.{table.name}"})
    # creating or dropping a partition locks the parent: rather give up until tomorrow than queue every insert
    # behind a long report query
    conn.execute(text("SET LOCAL lock_timeout = '1s'"))  # under HUB_DB_TIMEOUT: webhooks queue behind a waiting lock


def months(conn: Connection, table: MonthlyTable) -> list[datetime]:
    """The months that have a partition of their own, oldest first."""
    names = conn.execute(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :parent "
        "AND p.relnamespace = to_regnamespace(current_schema())::oid"), {"parent": table.name}).scalars()
    return sorted(month for month in (_month_in(table, name) for name in names) if month is not None)


def _bound(moment: datetime) -> str:
    return f"'{moment.strftime('%Y-%m-%d %H:%M:%S')}+00'"


def create_month(conn: Connection, table: MonthlyTable, month: datetime) -> bool:
    """Give `month` a partition unless it has one; rows of it in the default partition move in. True: created."""
    if month in months(conn, table):
        return False
    name, default, column = partition_name(table, month), default_name(table), table.column
    lower, upper = _bound(month), _bound(add_months(month, 1))
    bounds = f"FOR VALUES FROM ({lower}) TO ({upper})"
    has_default = conn.execute(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": default}).scalar_one()
    strays = has_default and conn.execute(text(
        f'SELECT EXISTS (SELECT 1 FROM "{default}" WHERE "{column}" >= {lower} AND "{column}" < {upper})')  # noqa: S608 (our own names only)
    ).scalar_one()
    if not strays:
        conn.execute(text(f'CREATE TABLE "{name}" PARTITION OF "{table.name}" {bounds}'))
        return True
    # PostgreSQL refuses a new partition while the default one holds rows of its range: move them first
    conn.execute(text(f'CREATE TABLE "{name}" (LIKE "{table.name}" INCLUDING DEFAULTS)'))
    conn.execute(text(f'WITH moved AS (DELETE FROM "{default}" WHERE "{column}" >= {lower} AND "{column}" < {upper}'  # noqa: S608 (our own names only)
                      f' RETURNING *) INSERT INTO "{name}" SELECT * FROM moved'))
    conn.execute(text(f'ALTER TABLE "{table.name}" ATTACH PARTITION "{name}" {bounds}'))
    return True


def create_ahead(conn: Connection, table: MonthlyTable, now: datetime, ahead: int) -> list[str]:
    """Partitions for `now`'s month and `ahead` months after it, those missing; the names created."""
    if conn.dialect.name != "postgresql":
        return []
    _lock(conn, table)
    first = month_of(now)
    return [partition_name(table, month) for month in (add_months(first, n) for n in range(ahead + 1))
            if create_month(conn, table, month)]


def drop_before(conn: Connection, table: MonthlyTable, cutoff: datetime, *,
                keep: Sequence[str] = ()) -> list[str]:
    """Drop the partitions of months that end on or before `cutoff` (their keys go too); the names dropped.

    A month with a row matching one of the SQL conditions in `keep` (events still to process) stays, and the
    caller deletes rows one by one; without `keep`, rows before `cutoff` in the default partition go too."""
    if conn.dialect.name != "postgresql":
        return []
    _lock(conn, table)
    dropped = []
    for month in months(conn, table):
        end = add_months(month, 1)
        if end > cutoff:
            break
        name = partition_name(table, month)
        if any(conn.execute(text(f'SELECT EXISTS (SELECT 1 FROM "{name}" WHERE {condition})')).scalar_one()  # noqa: S608 (our own names only)
               for condition in keep):
            continue
        conn.execute(text(f'DROP TABLE "{name}"'))
        conn.execute(text(f'DELETE FROM "{table.key_table}" WHERE "{table.column}" >= {_bound(month)} '  # noqa: S608 (our own names only)
                          f'AND "{table.column}" < {_bound(end)}'))
        dropped.append(name)
    if not keep:
        conn.execute(text(f'DELETE FROM "{default_name(table)}" WHERE "{table.column}" < {_bound(cutoff)}'))  # noqa: S608 (our own names only)
        conn.execute(text(f'DELETE FROM "{table.key_table}" WHERE "{table.column}" < {_bound(cutoff)}'))  # noqa: S608 (our own names only)
    return dropped


def include_object(tables: Sequence[MonthlyTable], dialect: str) -> Any:
    """For alembic's autogenerate on `dialect`: partitions and key tables are not drift, and on PostgreSQL the
    models' unique constraints that the key tables stand in for are not missing."""
    names = {t.name: t for t in tables}
    keys = {t.key_table for t in tables}
    uniques = {t.unique for t in tables}
    pattern = re.compile(r"(.+)_p(\d{6}|default)")

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table" and reflected and name is not None:
            found = pattern.fullmatch(name)
            if name in keys or (found and found[1] in names):
                return False
        return not (dialect == "postgresql" and type_ == "unique_constraint" and name in uniques)

    return include
