"""privacy and consent: erased contacts kept as tombstones, consent purpose, a channel's marketing-consent policy

Revision ID: 0017
Revises: 0013
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0017'
down_revision: str | Sequence[str] | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('contact', sa.Column('erased_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column('consent', sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default='marketing'))
    op.add_column('channel', sa.Column('marketing_consent_required', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('channel') as batch_op:
        batch_op.drop_column('marketing_consent_required')
    with op.batch_alter_table('consent') as batch_op:
        batch_op.drop_column('purpose')
    with op.batch_alter_table('contact') as batch_op:
        batch_op.drop_column('erased_at')
