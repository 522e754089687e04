"""Orders: the store a till sale was made at (store_id), on the order and on its report facts, so sales can be
read by store; existing POS orders get it from their payment reference `pos:{store_id}:{pos_id}`

Revision ID: 0034_order_store
Revises: 0033_monthly_partitions
Create Date: 2026-12-06 22:20:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0034_order_store'
down_revision: str | None = '0033_monthly_partitions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def _store_of(ref: str | None) -> int | None:
    parts = (ref or "").split(":", 2)
    return int(parts[1]) if len(parts) == 3 and parts[0] == "pos" and parts[1].isdigit() else None


def upgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('store_id', sa.Integer(), nullable=True))
    # report_event is partitioned on PostgreSQL: a column added to the parent is added to every partition
    op.add_column('report_event', sa.Column('store_id', sa.Integer(), nullable=True))
    conn = op.get_bind()
    pos = [(int(order_id), _store_of(ref)) for order_id, ref in conn.execute(sa.text(
        "SELECT id, payment_ref FROM orders WHERE payment_provider = 'pos'"))]
    found = [{"order_id": order_id, "store_id": store_id} for order_id, store_id in pos if store_id is not None]
    for start in range(0, len(found), BATCH):
        conn.execute(sa.text("UPDATE orders SET store_id = :store_id WHERE id = :order_id"),
                     found[start:start + BATCH])
    if found:  # one statement: the order facts are found by kind (ix_report_event_kind_at), orders by id
        conn.execute(sa.text(
            "UPDATE report_event SET store_id = (SELECT o.store_id FROM orders o WHERE o.id = report_event.order_id) "
            "WHERE kind IN ('order.paid', 'order.refunded') "
            "AND order_id IN (SELECT id FROM orders WHERE store_id IS NOT NULL)"))  # the till's, not every order's


def downgrade() -> None:
    op.drop_column('report_event', 'store_id')
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('store_id')
