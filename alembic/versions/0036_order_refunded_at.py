"""Orders: when a refunded order was refunded (refunded_at), copied from its first "refunded" event; the lifecycle
report's covering index carries it instead of the order's id, so the report reads a past moment's orders from the
index alone and PostgreSQL may read it in parallel (a subquery per order into the events may not run in a worker)

Revision ID: 0036_order_refunded_at
Revises: 0035_rollup_covering
Create Date: 2026-12-07 22:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '0036_order_refunded_at'
down_revision: str | None = '0035_rollup_covering'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('refunded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE orders SET refunded_at = (SELECT min(e.created_at) FROM order_event e "
        "WHERE e.order_id = orders.id AND e.kind = 'refunded') WHERE status = 'refunded'")
    op.drop_index('ix_orders_contact_paid', table_name='orders')
    op.create_index('ix_orders_contact_paid', 'orders', ['contact_id', 'paid_at', 'status', 'refunded_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_orders_contact_paid', table_name='orders')
    op.create_index('ix_orders_contact_paid', 'orders', ['contact_id', 'paid_at', 'status', 'id'], unique=False)
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('refunded_at')
