"""The rollups' (kind, day) index covers the columns reports read (PostgreSQL): a report sums a range's rows
from the index alone

Revision ID: 0035_rollup_covering
Revises: 0034_order_store
Create Date: 2026-12-07 18:30:00.000000
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0035_rollup_covering'
down_revision: str | None = '0034_order_store'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READ = ["channel_id", "team_id", "agent_id", "campaign_id", "currency", "count", "amount_minor"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":  # SQLite has no INCLUDE: its index stays as it was
        return
    op.drop_index('ix_report_rollup_kind_day', table_name='report_rollup')
    op.create_index('ix_report_rollup_kind_day', 'report_rollup', ['kind', 'day'], unique=False,
                    postgresql_include=READ)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_report_rollup_kind_day', table_name='report_rollup')
    op.create_index('ix_report_rollup_kind_day', 'report_rollup', ['kind', 'day'], unique=False)
