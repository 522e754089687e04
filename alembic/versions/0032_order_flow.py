"""Orders: the journey credited at checkout (flow_id), so sales can be read by flow

Revision ID: 0032_order_flow
Revises: 0031_report_fast
Create Date: 2026-12-06 20:50:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0032_order_flow'
down_revision: str | None = '0031_report_fast'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('flow_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('flow_id')
