"""Migrating to the whole schema: `hub migrate` and the tests use this."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from alembic import command


def loaded_metadata() -> MetaData:
    """The metadata of every table loaded in this process. The composition root loads every package's
    (`hub.composition.target_metadata`, which Alembic and the tests use); the core alone has its own."""
    import hub.models

    return hub.models.metadata


def alembic_config(url: str | None = None) -> Config:
    for base in (Path.cwd(), Path(__file__).resolve().parent.parent):
        ini = base / "alembic.ini"
        if ini.exists():
            config = Config(str(ini))
            break
    else:
        raise FileNotFoundError("alembic.ini not found next to the working directory or the hub package")
    config.attributes["configure_logging"] = False
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, connection: Connection | None = None) -> None:
    """`alembic upgrade head` on the configured database, or on the given connection."""
    config = alembic_config(url)
    if connection is not None:
        config.attributes["connection"] = connection
    command.upgrade(config, "heads")
