"""Insert-or-update in the dialect of the database at hand (SQLite and PostgreSQL say ON CONFLICT alike)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Float, Integer, Table, TextClause, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Result
from sqlalchemy.orm import Session


def dialect_insert(where: Session | Connection | str, table: Any) -> Any:
    """An INSERT into `table` that can say ON CONFLICT, for a session, a connection or a dialect's name."""
    if isinstance(where, Session):
        name = where.get_bind().dialect.name
    elif isinstance(where, Connection):
        name = where.dialect.name
    else:
        name = where
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(table)


def upsert(session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, key: Sequence[str],
           update: Sequence[str] | Mapping[str, Any] = (), where: Callable[[Any], ColumnElement[bool]] | None = None,
           returning: Sequence[Any] = ()) -> Result[Any]:
    """Insert `rows` in one statement; a row whose `key` exists already is left alone, or, with `update`,
    has those columns set from the new row (names) or to the given values (a mapping), when `where(new row)`
    holds.

    `returning` columns come back for the rows inserted or updated (not for those left alone). `rows` must
    not be empty (an INSERT of no rows would insert one row of defaults).
    """
    if not rows:
        raise ValueError("upsert needs at least one row")
    insert = dialect_insert(session, table)
    if isinstance(update, Mapping):
        changes: Mapping[str, Any] = update
    else:
        changes = {name: insert.excluded[name] for name in update}
    statement = (insert.on_conflict_do_update(index_elements=list(key), set_=dict(changes),
                                              where=None if where is None else where(insert.excluded))
                 if changes else insert.on_conflict_do_nothing(index_elements=list(key)))
    if returning:
        statement = statement.returning(*returning)
    return session.execute(statement, list(rows))


def from_arrays(session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, tail: str = "") -> None:
    """PostgreSQL: insert `rows` (mappings with the same keys) as one `INSERT … SELECT FROM unnest(…)` of one
    array per column, then `tail` (an ON CONFLICT clause of the caller's own text, never data). The statement's
    text depends only on the table, the columns and the tail, so it is prepared once; executemany would send a
    statement per row. Values are converted to each column's Python type (an int among floats, say), since an
    array holds one type."""
    if not rows:
        return
    names = tuple(rows[0])
    columns = [table.c[name] for name in names]
    statement = _arrays_statement(table.name, names, tuple(_sql_type(c, session) for c in columns), tail)
    session.execute(statement, {name: _column_values(column, [row[name] for row in rows])
                                for name, column in zip(names, columns, strict=True)})


def _sql_type(column: Any, session: Session) -> str:
    return str(column.type.compile(dialect=session.get_bind().dialect))


@lru_cache(maxsize=64)
def _arrays_statement(table: str, names: tuple[str, ...], types: tuple[str, ...], tail: str) -> TextClause:
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in zip(names, types, strict=True))
    return text(f"INSERT INTO {table} ({', '.join(names)}) SELECT * FROM unnest({arrays}) {tail}")  # noqa: S608


def _column_values(column: Any, values: list[Any]) -> list[Any]:
    """An integer or float column's values as Python ints or floats (a numpy number or a Decimal among them
    would make psycopg type the array otherwise); other columns' as they are."""
    kind = int if isinstance(column.type, Integer) else float if isinstance(column.type, Float) else None
    return values if kind is None else [None if value is None else kind(value) for value in values]
