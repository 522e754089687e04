"""Which conversations have a message containing a text, using the n-gram index where it can."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, literal, text
from sqlmodel import Session, col, select

from hub.conversations.models import Message

INDEX_OBJECTS = frozenset({"message_fts", "message_fts_data", "message_fts_idx", "message_fts_docsize",
                           "message_fts_config", "message_fts_content", "ix_message_text_bigrams"})
"""Schema objects made by the search migration that the models do not describe."""


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """For alembic's autogenerate: leave the search index alone."""
    return name not in INDEX_OBJECTS


def normalise(query: str) -> str:
    """The text to look for: as typed (a customer's full-width letters are found as they wrote them), trimmed."""
    return query.strip()


def matching_conversations(session: Session, query: str) -> Select[Any]:
    """A subquery of conversation ids with a message whose text contains `query` (case folded)."""
    needle = normalise(query)
    contains = col(Message.text).icontains(needle, autoescape=True)
    ids = select(Message.conversation_id)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and len(needle) >= 2:
        bigrams = func.hub_bigrams(col(Message.text)).op("@>")(func.hub_bigrams(literal(needle)))
        return ids.where(bigrams, contains)
    if dialect == "sqlite" and len(needle) >= 3:
        phrase = '"' + needle.replace('"', '""') + '"'
        hits = text("SELECT rowid FROM message_fts WHERE message_fts MATCH :phrase").bindparams(phrase=phrase)
        return ids.where(col(Message.id).in_(hits))
    return ids.where(contains)
