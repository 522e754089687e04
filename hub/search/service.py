"""Which conversations have a message containing a text, using the n-gram index where it can, and which
message of each matched (the newest), shown around the hit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, text
from sqlmodel import Session, col, select

from hub.conversations.models import Message

INDEX_OBJECTS = frozenset({"message_fts", "message_fts_data", "message_fts_idx", "message_fts_docsize",
                           "message_fts_config", "message_fts_content", "ix_message_text_bigrams"})
"""Schema objects made by the search migration that the models do not describe."""
BEFORE_HIT = 40
"""Characters of a matching message shown before the hit; the snippet is at most SNIPPET characters."""
SNIPPET = 160


@dataclass(frozen=True)
class Match:
    """The newest message of a conversation that contains the search text, cut around the first hit."""

    message_id: int
    text: str
    created_at: datetime


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """For alembic's autogenerate: leave the search index alone."""
    return name not in INDEX_OBJECTS


def normalise(query: str) -> str:
    """The text to look for: as typed (a customer's full-width letters are found as they wrote them), trimmed."""
    return query.strip()


def _contains(session: Session, needle: str) -> ColumnElement[bool]:
    """Messages whose text contains `needle` (case folded), through the index this database has."""
    contains = col(Message.text).icontains(needle, autoescape=True)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and len(needle) >= 2:
        bigrams = func.hub_bigrams(col(Message.text)).op("@>")(func.hub_bigrams(literal(needle)))
        return bigrams & contains
    if dialect == "sqlite" and len(needle) >= 3:
        phrase = '"' + needle.replace('"', '""') + '"'
        hits = text("SELECT rowid FROM message_fts WHERE message_fts MATCH :phrase").bindparams(phrase=phrase)
        return col(Message.id).in_(hits)
    return contains


def matching_conversations(session: Session, query: str) -> Select[Any]:
    """A subquery of conversation ids with a message whose text contains `query` (case folded)."""
    return select(Message.conversation_id).where(_contains(session, normalise(query)))


def snippet(message_text: str, query: str) -> str:
    """The part of a message around the first hit of `query` (whole when short), with … where it was cut."""
    found = re.search(re.escape(normalise(query)), message_text, re.IGNORECASE)
    start = max(0, found.start() - BEFORE_HIT) if found else 0
    end = min(len(message_text), start + SNIPPET)
    return ("…" if start else "") + message_text[start:end] + ("…" if end < len(message_text) else "")


def newest_matches(session: Session, conversation_ids: list[int], query: str) -> dict[int, Match]:
    """For each of these conversations, its newest message containing `query` (two queries for a page)."""
    needle = normalise(query)
    if not conversation_ids or not needle:
        return {}
    newest = (select(func.max(Message.id)).where(col(Message.conversation_id).in_(conversation_ids),
                                                 _contains(session, needle))
              .group_by(col(Message.conversation_id)))
    return {row.conversation_id: Match(row.id or 0, snippet(row.text or "", needle), row.created_at)
            for row in session.exec(select(Message).where(col(Message.id).in_(newest)))}
