"""campaigns: broadcasts, their recipients and tracked links

Revision ID: 0011
Revises: 0010
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'campaign',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('segment_id', sa.Integer(), nullable=True),
        sa.Column('channel_mode', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('channel_ids', JSON, nullable=False),
        sa.Column('variants', JSON, nullable=False),
        sa.Column('template', JSON, nullable=True),
        sa.Column('defaults', JSON, nullable=False),
        sa.Column('coupon_prefix', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column('send_at', UTC(), nullable=True),
        sa.Column('local_time', sa.Boolean(), nullable=False),
        sa.Column('quiet_start', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column('quiet_end', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column('throttle_per_second', sa.Float(), nullable=True),
        sa.Column('attribution_hours', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', UTC(), nullable=False),
        sa.Column('launched_at', UTC(), nullable=True),
        sa.Column('finished_at', UTC(), nullable=True),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['segment_id'], ['segment.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_status'), ['status'], unique=False)

    op.create_table(
        'campaign_recipient',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('channel_id', sa.Integer(), nullable=True),
        sa.Column('variant', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column('due_at', UTC(), nullable=True),
        sa.Column('lease_until', UTC(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('coupon_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('sent_at', UTC(), nullable=True),
        sa.Column('delivered_at', UTC(), nullable=True),
        sa.Column('read_at', UTC(), nullable=True),
        sa.Column('failed_at', UTC(), nullable=True),
        sa.Column('replied_at', UTC(), nullable=True),
        sa.Column('clicked_at', UTC(), nullable=True),
        sa.Column('converted_at', UTC(), nullable=True),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['message_id'], ['message.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('campaign_id', 'contact_id', name='uq_recipient_campaign_contact'),
        sa.UniqueConstraint('coupon_code'),
        sa.UniqueConstraint('message_id'),
    )
    with op.batch_alter_table('campaign_recipient', schema=None) as batch_op:
        batch_op.create_index('ix_recipient_due', ['campaign_id', 'state', 'due_at'], unique=False)
        batch_op.create_index('ix_recipient_contact', ['contact_id', 'sent_at'], unique=False)

    op.create_table(
        'campaign_link',
        sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('recipient_id', sa.Integer(), nullable=False),
        sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column('clicks', sa.Integer(), nullable=False),
        sa.Column('first_clicked_at', UTC(), nullable=True),
        sa.ForeignKeyConstraint(['recipient_id'], ['campaign_recipient.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token'),
    )
    with op.batch_alter_table('campaign_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_link_recipient_id'), ['recipient_id'], unique=False)


def downgrade() -> None:
    op.drop_table('campaign_link')
    op.drop_table('campaign_recipient')
    op.drop_table('campaign')
