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
