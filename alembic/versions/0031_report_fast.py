"""Reports read rollups: duration histograms per day and cut, revenue totals per campaign, and a covering
index of orders per contact for the lifecycle report

Revision ID: 0031_report_fast
Revises: 0030
Create Date: 2026-12-06 21:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '0031_report_fast'
down_revision: str | None = '0030'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('report_duration_histogram',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('cut', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('dim_id', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('flagged', sa.Integer(), nullable=False),
    sa.Column('bands', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('wall', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('business', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'cut', 'day', 'dim_id', name='uq_report_duration_histogram_key')
    )
    op.create_table('report_campaign_total',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'kind', 'currency', name='uq_report_campaign_total_key')
    )
    op.create_index('ix_orders_contact_paid', 'orders', ['contact_id', 'paid_at', 'status', 'id'], unique=False)
    # Existing facts: `hub reports backfill` (or reports.rollup.rebuild) fills both tables.


def downgrade() -> None:
    op.drop_index('ix_orders_contact_paid', table_name='orders')
    op.drop_table('report_campaign_total')
    op.drop_table('report_duration_histogram')
