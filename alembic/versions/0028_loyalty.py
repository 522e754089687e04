"""Loyalty: the points ledger, each contact's balance row, earn rules per currency, tiers and the program's
settings

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 08:30:04.799137
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('loyalty_earn_rule',
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('spend_minor', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('points >= 0 AND spend_minor > 0', name='ck_loyalty_earn_rule_positive'),
    sa.PrimaryKeyConstraint('currency')
    )
    op.create_table('loyalty_program',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expiry_days', sa.Integer(), nullable=False),
    sa.Column('allow_negative', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('loyalty_tier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('benefits', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    sa.UniqueConstraint('threshold')
    )
    op.create_table('loyalty_account',
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('balance', sa.Integer(), nullable=False),
    sa.Column('qualifying_points', sa.Integer(), nullable=False),
    sa.Column('tier_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tier_id'], ['loyalty_tier.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('contact_id')
    )
    op.create_table('loyalty_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('remaining', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('remaining >= 0', name='ck_loyalty_entry_remaining'),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('loyalty_entry', schema=None) as batch_op:
        batch_op.create_index('ix_loyalty_entry_contact', ['contact_id', 'id'], unique=False)
        batch_op.create_index('ix_loyalty_entry_expiring', ['expires_at', 'remaining'], unique=False)
        batch_op.create_index(batch_op.f('ix_loyalty_entry_order_id'), ['order_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('loyalty_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loyalty_entry_order_id'))
        batch_op.drop_index('ix_loyalty_entry_expiring')
        batch_op.drop_index('ix_loyalty_entry_contact')

    op.drop_table('loyalty_entry')
    op.drop_table('loyalty_account')
    op.drop_table('loyalty_tier')
    op.drop_table('loyalty_program')
    op.drop_table('loyalty_earn_rule')
