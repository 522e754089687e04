"""message search: an n-gram index on message text

PostgreSQL: `hub_bigrams(text)` (the distinct lower-cased character pairs of a text) with a GIN
index, so a Chinese or Japanese word of two characters or more is found inside a sentence without
spaces; ILIKE rechecks the hits. SQLite: an FTS5 table with the trigram tokenizer, kept in step by
triggers.

Revision ID: 0005
Revises: 0001
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGRAMS = """
CREATE OR REPLACE FUNCTION hub_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(lower(value), i, 2)), '{}')
  FROM generate_series(1, char_length(value) - 1) AS i
$$
"""

SQLITE_FTS = (
    "CREATE VIRTUAL TABLE message_fts USING fts5(text, content='message', content_rowid='id', tokenize='trigram')",
    "INSERT INTO message_fts(message_fts) VALUES ('rebuild')",
    """CREATE TRIGGER message_fts_insert AFTER INSERT ON message WHEN new.text IS NOT NULL BEGIN
         INSERT INTO message_fts(rowid, text) VALUES (new.id, new.text);
       END""",
    """CREATE TRIGGER message_fts_delete AFTER DELETE ON message WHEN old.text IS NOT NULL BEGIN
         INSERT INTO message_fts(message_fts, rowid, text) VALUES ('delete', old.id, old.text);
       END""",
    """CREATE TRIGGER message_fts_update AFTER UPDATE OF text ON message BEGIN
         INSERT INTO message_fts(message_fts, rowid, text) SELECT 'delete', old.id, old.text WHERE old.text IS NOT NULL;
         INSERT INTO message_fts(rowid, text) SELECT new.id, new.text WHERE new.text IS NOT NULL;
       END""",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(BIGRAMS)
        op.execute("CREATE INDEX ix_message_text_bigrams ON message USING gin (hub_bigrams(text))")
    else:
        for statement in SQLITE_FTS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_message_text_bigrams")
        op.execute("DROP FUNCTION IF EXISTS hub_bigrams(text)")
    else:
        for trigger in ("message_fts_insert", "message_fts_delete", "message_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS message_fts")
