"""messages in the customer's order: occurred_at (the provider's timestamp of an inbound message), indexed
with the conversation for the thread

Revision ID: 0016
Revises: 0014
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0016'
down_revision: str | Sequence[str] | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ADD COLUMN, never a batch copy: on SQLite a copy of `message` would drop the search index's
    # triggers. NOT NULL needs a default for the rows there; they then take their arrival time, the order
    # they were shown in so far.
    op.add_column('message', sa.Column('occurred_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False,
                                       server_default='1970-01-01 00:00:00'))
    op.execute("UPDATE message SET occurred_at = created_at")
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('message', 'occurred_at', server_default=None)
    op.create_index('ix_message_conversation_occurred', 'message', ['conversation_id', 'occurred_at', 'id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_message_conversation_occurred', table_name='message')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_column('occurred_at')
