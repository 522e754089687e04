"""The classifier's suggestions on a conversation, and the tags it may apply on its own.

Each inbound text message is scored; a tag above SUGGEST_FLOOR that the conversation does not have
yet becomes (or refreshes) a suggestion, and above the tag's own `auto_apply_threshold`, when an
admin set one, is applied with the source `model:<version>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, and_, select
from sqlmodel import Session, col

from hub.runtime import upsert
from hub.runtime.db import utcnow
from hub.tagging import service
from hub.tagging.models import TagSuggestion
from hub.tagging.service import Applied, Inbound
from hub.tagging.train import Tagger
from hub.tags.models import ConversationTag, Tag

SUGGEST_FLOOR = 0.2
"""Probabilities below this are noise for a six-tag model; above it an agent may find the hint useful."""


@dataclass(frozen=True)
class Suggestion:
    tag: str
    confidence: float
    message_id: int
    model_version: str
    created_at: datetime


def suggest(*, session: Session, message: Inbound, tagger: Tagger) -> list[Applied]:
    """Store the suggestions for one message and apply those above their tag's threshold; the tags applied."""
    if message.kind != "text" or not message.text.strip():
        return []
    likely = {tag: p for tag, p in tagger.probabilities(message.text).items() if p >= SUGGEST_FLOOR}
    if not likely:
        return []
    ids = service.tag_ids(session, likely)
    thresholds: dict[int, float | None] = {}
    for tag_id, threshold, present in session.execute(
            select(col(Tag.id), col(Tag.auto_apply_threshold), col(ConversationTag.tag_id))
            .outerjoin(ConversationTag, and_(col(ConversationTag.tag_id) == Tag.id,
                                             col(ConversationTag.conversation_id) == message.conversation_id))
            .where(col(Tag.id).in_(sorted(ids.values())))):
        if present is None:  # a tag the conversation has is neither suggested nor applied again
            thresholds[int(tag_id)] = threshold
    source, now = f"model:{tagger.version}"[:service.SOURCE_LENGTH], utcnow()
    apply: list[service.Tagging] = []
    rows = []
    for tag, confidence in sorted(likely.items()):
        tag_id = ids[tag]
        if tag_id not in thresholds:
            continue
        threshold = thresholds[tag_id]
        if threshold is not None and confidence >= threshold:
            apply.append(service.Tagging(tag, tag_id, source, {"confidence": round(confidence, 4),
                                                               "message_id": message.message_id}))
        else:
            rows.append({"conversation_id": message.conversation_id, "message_id": message.message_id,
                         "tag_id": tag_id, "confidence": confidence, "model_version": tagger.version[:40],
                         "created_at": now})
    if rows:
        _store(session, rows)
    return service.tag_conversation(session=session, conversation_id=message.conversation_id, taggings=apply)


def _store(session: Session, rows: list[dict[str, object]]) -> None:
    """One row per conversation and tag, keeping the newest message's score (an older one never wins)."""
    table: Table = TagSuggestion.__table__  # type: ignore[attr-defined]
    upsert(session, table, rows, key=["conversation_id", "tag_id"],
           update=["message_id", "confidence", "model_version", "created_at"],
           where=lambda new: new.message_id >= table.c.message_id)


def suggestions(*, session: Session, conversation_id: int) -> list[Suggestion]:
    """A conversation's suggestions, likeliest first, leaving out tags it has by now."""
    has = select(col(ConversationTag.tag_id)).where(col(ConversationTag.conversation_id) == conversation_id)
    rows = session.execute(
        select(col(Tag.name), col(TagSuggestion.confidence), col(TagSuggestion.message_id),
               col(TagSuggestion.model_version), col(TagSuggestion.created_at))
        .join(Tag, col(Tag.id) == TagSuggestion.tag_id)
        .where(col(TagSuggestion.conversation_id) == conversation_id, col(TagSuggestion.tag_id).not_in(has))
        .order_by(col(TagSuggestion.confidence).desc(), col(Tag.name)))
    return [Suggestion(str(name), float(p), int(mid), str(version), created) for name, p, mid, version, created in rows]
