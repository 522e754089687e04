"""one delivery engine: each message says who queued it (`sender`); broadcasts no longer parked in year 2999

Revision ID: 0019
Revises: 0021
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0019'
down_revision: str | Sequence[str] | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ADD COLUMN, never a batch copy: on SQLite a copy of `message` would drop the search index's triggers
    op.add_column('message', sa.Column('sender', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False,
                                       server_default='reply'))
    op.execute("UPDATE message SET sender = 'broadcast' WHERE client_key LIKE 'broadcast:%'")
    # a queued broadcast message was held out of the reply sweeper by a lease in 2999; its sender says it now
    op.execute("UPDATE message SET lease_until = NULL WHERE sender = 'broadcast' AND status = 'queued' "
               "AND lease_until > '2900-01-01'")


def downgrade() -> None:
    op.execute("UPDATE message SET lease_until = '2999-01-01 00:00:00' WHERE sender = 'broadcast' "
               "AND status = 'queued'")
    op.execute("UPDATE message SET status = 'failed', error_code = 'interrupted' WHERE status = 'unknown'")
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_column('sender')
