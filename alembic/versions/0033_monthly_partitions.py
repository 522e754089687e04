"""PostgreSQL: webhook_event and report_event range-partitioned by month, their unique keys in key tables

Each table is renamed aside, a partitioned table of the same columns and defaults (its id sequence kept) takes
its name, with a partition per month from the oldest row's to `HUB_PARTITIONS_AHEAD_MONTHS` ahead and a default
partition; the rows are copied, the old indexes made again on the new table, the old table dropped: one
transaction. A partitioned table's unique constraints must include the month, so the providers' event ids
(webhook_event_key) and the facts' source keys (report_event_key) move into key tables written in the same
transaction as the row. SQLite keeps its plain tables.

Revision ID: 0033_monthly_partitions
Revises: 0032_order_flow
Create Date: 2026-12-06 20:45:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from hub.runtime import partitions
from hub.runtime.db import utcnow
from hub.runtime.settings import get_settings

revision: str = '0033_monthly_partitions'
down_revision: str | None = '0032_order_flow'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WEBHOOKS = partitions.MonthlyTable("webhook_event", "received_at", "webhook_event_key",
                                   "uq_webhook_event_provider_id")
FACTS = partitions.MonthlyTable("report_event", "at", "report_event_key", "uq_report_event_source_key")
KEY_TABLES = {
    "webhook_event": (
        "CREATE TABLE webhook_event_key (provider VARCHAR(40) NOT NULL, channel_id INTEGER NOT NULL, "
        "event_id VARCHAR(200) NOT NULL, id INTEGER NOT NULL, received_at TIMESTAMP WITH TIME ZONE NOT NULL, "
        "CONSTRAINT webhook_event_key_pkey PRIMARY KEY (provider, channel_id, event_id))",
        "CREATE INDEX ix_webhook_event_key_received_at ON webhook_event_key (received_at)",
        "INSERT INTO webhook_event_key (provider, channel_id, event_id, id, received_at) "
        "SELECT provider, channel_id, event_id, id, received_at FROM webhook_event_old"),
    "report_event": (
        "CREATE TABLE report_event_key (source_key VARCHAR(80) NOT NULL, at TIMESTAMP WITH TIME ZONE NOT NULL, "
        "CONSTRAINT report_event_key_pkey PRIMARY KEY (source_key))",
        "CREATE INDEX ix_report_event_key_at ON report_event_key (at)",
        "INSERT INTO report_event_key (source_key, at) SELECT source_key, at FROM report_event_old"),
}
UNIQUES = {"webhook_event": ("uq_webhook_event_provider_id", "provider, channel_id, event_id"),
           "report_event": ("uq_report_event_source_key", "source_key")}


def _indexes(conn: sa.Connection, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of a table's indexes other than its constraints'."""
    return [(name, ddl) for name, ddl in conn.execute(sa.text(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = :table "
        "AND t.relnamespace = to_regnamespace(current_schema())::oid "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname"),
        {"table": table}).all()]


def _partition(conn: sa.Connection, table: partitions.MonthlyTable) -> None:
    name, column = table.name, table.column
    indexes = _indexes(conn, name)
    op.execute(f"ALTER TABLE {name} RENAME TO {name}_old")
    for index, _ddl in indexes:
        op.execute(f"DROP INDEX {index}")
    op.execute(f"ALTER TABLE {name}_old DROP CONSTRAINT {name}_pkey")
    op.execute(f"ALTER TABLE {name}_old DROP CONSTRAINT {UNIQUES[name][0]}")
    op.execute(f"ALTER SEQUENCE {name}_id_seq OWNED BY NONE")
    op.execute(f"CREATE TABLE {name} (LIKE {name}_old INCLUDING DEFAULTS, "
               f"CONSTRAINT {name}_pkey PRIMARY KEY (id, {column})) PARTITION BY RANGE ({column})")
    op.execute(f"ALTER SEQUENCE {name}_id_seq OWNED BY {name}.id")
    op.execute(f"CREATE TABLE {partitions.default_name(table)} PARTITION OF {name} DEFAULT")
    now = utcnow()
    oldest = conn.execute(sa.text(f"SELECT min({column}) FROM {name}_old")).scalar_one() or now  # noqa: S608 (our own names only)
    month, last = partitions.month_of(oldest), partitions.add_months(partitions.month_of(now),
                                                                      get_settings().partitions_ahead_months)
    while month <= last:
        partitions.create_month(conn, table, month)
        month = partitions.add_months(month, 1)
    op.execute(f"INSERT INTO {name} SELECT * FROM {name}_old")  # noqa: S608 (our own names only)
    for statement in KEY_TABLES[name]:
        op.execute(statement)
    for _index, ddl in indexes:  # read before the rename: they name the new table
        op.execute(ddl)
    op.execute(f"DROP TABLE {name}_old")


def _unpartition(conn: sa.Connection, table: partitions.MonthlyTable) -> None:
    name = table.name
    indexes = _indexes(conn, name)
    op.execute(f"ALTER TABLE {name} RENAME TO {name}_parted")
    for index, _ddl in indexes:
        op.execute(f"DROP INDEX {index}")
    op.execute(f"ALTER TABLE {name}_parted DROP CONSTRAINT {name}_pkey")
    op.execute(f"ALTER SEQUENCE {name}_id_seq OWNED BY NONE")
    unique, columns = UNIQUES[name]
    op.execute(f"CREATE TABLE {name} (LIKE {name}_parted INCLUDING DEFAULTS, CONSTRAINT {name}_pkey PRIMARY KEY "
               f"(id), CONSTRAINT {unique} UNIQUE ({columns}))")
    op.execute(f"ALTER SEQUENCE {name}_id_seq OWNED BY {name}.id")
    op.execute(f"INSERT INTO {name} SELECT * FROM {name}_parted")  # noqa: S608 (our own names only)
    for _index, ddl in indexes:  # read before the rename: they name the new table
        op.execute(ddl.replace(" ON ONLY ", " ON ", 1))
    op.execute(f"DROP TABLE {name}_parted")
    op.execute(f"DROP TABLE {table.key_table}")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for table in (WEBHOOKS, FACTS):
        _partition(conn, table)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for table in (WEBHOOKS, FACTS):
        _unpartition(conn, table)
