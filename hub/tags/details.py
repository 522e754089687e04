"""What applied each tag on a conversation or contact: an agent, a tag rule, the classifier (with its
confidence) or the system (e.g. the purchase-behaviour tags), as the API and the inbox show it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import Session, col

from hub.agents.models import User
from hub.tags.models import ContactTag, ConversationTag, Tag

SourceKind = Literal["agent", "rule", "classifier", "system"]


class TagDetail(BaseModel):
    """One tag and what put it there."""

    name: str = Field(examples=["退款"])
    source: SourceKind = Field(description="agent: a person added it; rule: a tag rule (`rule_id`, `rule_name`); "
                               "classifier: the trained model, at or above the tag's auto-apply threshold "
                               "(`confidence`); system: Hub itself (e.g. purchase behaviour)", examples=["rule"])
    rule_id: int | None = Field(default=None, examples=[3])
    rule_name: str | None = Field(default=None, examples=["退款"])
    confidence: float | None = Field(default=None, ge=0, le=1, description="the classifier's probability",
                                     examples=[0.93])
    agent_id: int | None = Field(default=None, examples=[None])
    agent_name: str | None = Field(default=None, examples=[None])
    at: datetime = Field(description="when it was applied")


def source_kind(source: str) -> SourceKind:
    """The kind of a stored `source`: `agent`, `rule:<id> <name>`, `model:<version>`, anything else is Hub's."""
    if source == "agent":
        return "agent"
    if source.startswith("rule:"):
        return "rule"
    if source.startswith("model:"):
        return "classifier"
    return "system"


def source_columns(source: str, details: dict[str, Any]) -> dict[str, Any]:
    """The columns a tag row keeps beside `source`, from what applied it (a rule's id and name, a confidence)."""
    kind = source_kind(source)
    return {"rule_id": details.get("rule_id") if kind == "rule" else None,
            "rule_name": str(details.get("rule") or "")[:100] or None if kind == "rule" else None,
            "confidence": details.get("confidence") if kind == "classifier" else None,
            "agent_id": details.get("agent_id") if kind == "agent" else None}


def _details(session: Session, model: Any, key: str, ids: list[int]) -> dict[int, list[TagDetail]]:
    found: dict[int, list[TagDetail]] = {i: [] for i in ids}
    if not ids:
        return found
    owner = getattr(model, key)
    rows = session.execute(
        select(owner, col(Tag.name), model.source, model.rule_id, model.rule_name, model.confidence, model.agent_id,
               col(User.name), model.created_at)
        .join(Tag, col(Tag.id) == model.tag_id).outerjoin(User, col(User.id) == model.agent_id)
        .where(col(owner).in_(ids)).order_by(col(Tag.name)))
    for owner_id, name, source, rule_id, rule_name, confidence, agent_id, agent_name, at in rows:
        found[int(owner_id)].append(TagDetail(
            name=name, source=source_kind(source), rule_id=rule_id, rule_name=rule_name,
            confidence=None if confidence is None else round(float(confidence), 4), agent_id=agent_id,
            agent_name=agent_name, at=at))
    return found


def for_conversations(session: Session, ids: list[int]) -> dict[int, list[TagDetail]]:
    """Each conversation's tags by name, with their sources (one query)."""
    return _details(session, ConversationTag, "conversation_id", ids)


def for_contacts(session: Session, ids: list[int]) -> dict[int, list[TagDetail]]:
    """Each contact's tags by name, with their sources (one query)."""
    return _details(session, ContactTag, "contact_id", ids)
