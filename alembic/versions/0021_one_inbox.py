"""one raw-event inbox: Stripe's events move into webhook_event (provider 'stripe', channel 0, the type as the
endpoint), which gains `waiting_for` and `outcome`; stripe_event is dropped after its rows are copied

Revision ID: 0021
Revises: 0016
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0021'
down_revision: str | Sequence[str] | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNPROCESSED = sa.text('processed_at IS NULL')
COPIED = ('event_id', 'body', 'received_at', 'processed_at', 'waiting_for', 'attempts', 'outcome', 'error')


def upgrade() -> None:
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.alter_column('endpoint', existing_type=sqlmodel.sql.sqltypes.AutoString(length=40),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=100), existing_nullable=False)
        batch_op.add_column(sa.Column('waiting_for', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_webhook_event_waiting_for'), ['waiting_for'], unique=False)
        # SQLite's batch copies the table: the partial index is made again with its condition
        batch_op.drop_index('ix_webhook_event_unprocessed')
        batch_op.create_index('ix_webhook_event_unprocessed', ['id'], unique=False,
                              postgresql_where=UNPROCESSED, sqlite_where=UNPROCESSED)
    columns = ', '.join(COPIED)
    op.execute(f"INSERT INTO webhook_event (provider, channel_id, endpoint, {columns}) "  # noqa: S608
               f"SELECT 'stripe', 0, type, {columns} FROM stripe_event ORDER BY id")
    op.drop_table('stripe_event')


def downgrade() -> None:
    op.create_table('stripe_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('processed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('waiting_for', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id')
    )
    with op.batch_alter_table('stripe_event', schema=None) as batch_op:
        batch_op.create_index('ix_stripe_event_unprocessed', ['processed_at', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stripe_event_waiting_for'), ['waiting_for'], unique=False)
    columns = ', '.join(COPIED)
    op.execute(f"INSERT INTO stripe_event (type, {columns}) "  # noqa: S608
               f"SELECT endpoint, {columns} FROM webhook_event WHERE provider = 'stripe' ORDER BY id")
    op.execute("DELETE FROM webhook_event WHERE provider = 'stripe'")
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_event_unprocessed')
        batch_op.create_index('ix_webhook_event_unprocessed', ['id'], unique=False,
                              postgresql_where=UNPROCESSED, sqlite_where=UNPROCESSED)
        batch_op.drop_index(batch_op.f('ix_webhook_event_waiting_for'))
        batch_op.drop_column('outcome')
        batch_op.drop_column('waiting_for')
        batch_op.alter_column('endpoint', existing_type=sqlmodel.sql.sqltypes.AutoString(length=100),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=40), existing_nullable=False)
