"""Insert-or-update in the dialect of the database at hand (SQLite and PostgreSQL say ON CONFLICT alike)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table
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
