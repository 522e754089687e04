"""inbox indexes: the conversation list in activity order without a sort

`ix_conversation_activity` (last_activity_at, id) serves the list's ORDER BY last_activity_at
DESC, id DESC LIMIT n when no status is given (no filter, assignee, team, channel, tag, q): an
index scan that stops after n rows instead of a top-N sort over every visible conversation
(bench/inbox.py, 100,000 conversations: 18-20 ms -> 0.2-2 ms in the database). With `id` in the
index a keyset cursor written as a row comparison is an index condition.

Revision ID: 0007
Revises: 0001
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_conversation_activity', 'conversation', ['last_activity_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_conversation_activity', table_name='conversation')
