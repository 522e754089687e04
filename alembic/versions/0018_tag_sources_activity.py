"""each tag remembers what applied it (agent, rule, classifier's confidence); a conversation's activity lines

Revision ID: 0018
Revises: 0019
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '0018'
down_revision: str | Sequence[str] | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('conversation_activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('rule_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('policy', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('tag', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('conversation_activity', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_activity_conversation', ['conversation_id', 'id'], unique=False)

    with op.batch_alter_table('contact_tag', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rule_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rule_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column('confidence', sa.Float(), nullable=True))
        batch_op.create_foreign_key('fk_contact_tag_agent_id_users', 'users', ['agent_id'], ['id'], ondelete='SET NULL')
    _name_rules('contact_tag')

    with op.batch_alter_table('conversation_tag', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rule_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rule_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column('confidence', sa.Float(), nullable=True))
        batch_op.create_foreign_key('fk_conversation_tag_agent_id_users', 'users', ['agent_id'], ['id'], ondelete='SET NULL')
    _name_rules('conversation_tag')



def downgrade() -> None:
    with op.batch_alter_table('conversation_tag', schema=None) as batch_op:
        batch_op.drop_constraint('fk_conversation_tag_agent_id_users', type_='foreignkey')
        batch_op.drop_column('confidence')
        batch_op.drop_column('rule_name')
        batch_op.drop_column('rule_id')
        batch_op.drop_column('agent_id')

    with op.batch_alter_table('contact_tag', schema=None) as batch_op:
        batch_op.drop_constraint('fk_contact_tag_agent_id_users', type_='foreignkey')
        batch_op.drop_column('confidence')
        batch_op.drop_column('rule_name')
        batch_op.drop_column('rule_id')
        batch_op.drop_column('agent_id')

    with op.batch_alter_table('conversation_activity', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_activity_conversation')

    op.drop_table('conversation_activity')


def _name_rules(name: str) -> None:
    """Tags a rule applied so far name it only in `source` ("rule:<id> <name>"): copy both into their columns."""
    owner = "contact_id" if name == "contact_tag" else "conversation_id"
    table = sa.table(name, sa.column(owner, sa.Integer), sa.column("tag_id", sa.Integer), sa.column("source"),
                     sa.column("rule_id", sa.Integer), sa.column("rule_name"))
    bind = op.get_bind()
    rows = bind.execute(sa.select(table.c[owner], table.c.tag_id, table.c.source)
                        .where(table.c.source.like("rule:%"))).all()
    for owner_id, tag_id, source in rows:
        number, _, rule = source[5:].partition(" ")
        if number.isdigit():
            bind.execute(sa.update(table).where(table.c[owner] == owner_id, table.c.tag_id == tag_id)
                         .values(rule_id=int(number), rule_name=rule[:100] or None))
