"""HUB_DATABASE_READ_URL: reads that may lag (reports) go to a read-only copy; everything else, and every write,
to the primary. Two SQLite files stand in for a primary and its replica."""

from __future__ import annotations

import shutil

from sqlmodel import func, select

from hub.contacts.models import Contact
from hub.runtime import db
from hub.runtime.settings import get_settings


def _contacts(session) -> int:  # type: ignore[no-untyped-def]
    return session.exec(select(func.count()).select_from(Contact)).one()


def test_read_scope_reads_the_copy_and_writes_nothing_there(monkeypatch, tmp_path, sqlite_template):
    primary, copy = tmp_path / "primary.db", tmp_path / "copy.db"
    shutil.copy(sqlite_template, primary)
    shutil.copy(sqlite_template, copy)
    monkeypatch.setenv("HUB_DATABASE_URL", f"sqlite:///{primary}")
    monkeypatch.setenv("HUB_DATABASE_READ_URL", f"sqlite:///{copy}")
    monkeypatch.setenv("HUB_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
    get_settings.cache_clear()
    db.reset_engines()
    try:
        with db.session_scope() as session:
            session.add(Contact(name="陳大文"))
        with db.read_scope() as session:
            assert _contacts(session) == 0  # the copy has not caught up: reports may lag, never writes
            session.add(Contact(name="山田花子"))
            session.flush()
        with db.read_scope() as session:
            assert _contacts(session) == 0  # what a read session did is rolled back
        with db.session_scope() as session:
            assert _contacts(session) == 1

        monkeypatch.delenv("HUB_DATABASE_READ_URL")
        get_settings.cache_clear()
        db.reset_engines()
        with db.read_scope() as session:  # no copy: the primary
            assert _contacts(session) == 1
    finally:
        db.reset_engines()
        get_settings.cache_clear()


def test_a_report_s_transaction_compiles_no_query_with_jit_and_leaves_the_connection_as_it_was(pg_backend):
    """PostgreSQL compiles a query whose estimate passes jit_above_cost with LLVM first (most of a lifecycle
    report's time with stale statistics). Reports turn it off for their transaction only: behind PgBouncer in
    transaction mode the server connection goes on to another client."""
    from sqlalchemy import text
    from sqlmodel import Session

    from hub.api.deps import read_session_dependency

    def explained(session: Session) -> str:
        session.execute(text("SET LOCAL jit_above_cost = 0"))  # every query would be compiled, were JIT on
        plan = session.execute(text("EXPLAIN (ANALYZE) SELECT sum(id) FROM contact")).scalars().all()
        return "\n".join(plan)

    with Session(db.get_engine()) as primary:
        dependency = read_session_dependency(primary)
        reading = next(dependency)
        assert reading.execute(text("SHOW jit")).scalar_one() == "off"
        assert "JIT" not in explained(reading)
        dependency.close()
        primary.rollback()
        server_default = primary.execute(text("SELECT reset_val FROM pg_settings WHERE name = 'jit'")).scalar_one()
        assert primary.execute(text("SHOW jit")).scalar_one() == server_default  # the next transaction's own
