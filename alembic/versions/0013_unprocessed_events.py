"""unprocessed webhook events: a partial index on id, so finished events do not slow the drain's claim

Revision ID: 0013
Revises: 0012
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | Sequence[str] | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNPROCESSED = sa.text('processed_at IS NULL')


def upgrade() -> None:
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_event_unprocessed')
        batch_op.create_index('ix_webhook_event_unprocessed', ['id'], unique=False,
                              postgresql_where=UNPROCESSED, sqlite_where=UNPROCESSED)


def downgrade() -> None:
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_event_unprocessed')
        batch_op.create_index('ix_webhook_event_unprocessed', ['processed_at', 'received_at'], unique=False)
