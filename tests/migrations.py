"""An installation's database at an older migration, for tests of what a migration does to the rows it finds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from alembic import command
from hub import schema
from hub.runtime import db


@dataclass
class OldDatabase:
    conn: Connection
    config: Any

    def upgrade(self, revision: str = "head") -> None:
        command.upgrade(self.config, revision)
        self.conn.commit()

    def downgrade(self, revision: str) -> None:
        command.downgrade(self.config, revision)
        self.conn.commit()


@contextmanager
def sqlite_at(tmp_path: Path, revision: str) -> Iterator[OldDatabase]:
    """A new SQLite file migrated to `revision`, and its connection (the test inserts its rows, commits, then
    upgrades)."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = db.make_engine(url)
    config = schema.alembic_config(url)
    try:
        with engine.connect() as conn:
            config.attributes["connection"] = conn
            old = OldDatabase(conn, config)
            old.upgrade(revision)
            yield old
    finally:
        engine.dispose()
