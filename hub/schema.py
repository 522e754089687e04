"""The whole schema and migrating to it: `hub migrate` and the tests use this."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from alembic import command

OPTIONAL_MODEL_MODULES = ("catalog.models", "catalog.payments.models", "flows.models", "hub.assignment.models",
                          "hub.tagging.models")


def target_metadata() -> MetaData:
    """The metadata of every installed package's tables (core, catalog, flows)."""
    import hub.models

    for name in OPTIONAL_MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
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
