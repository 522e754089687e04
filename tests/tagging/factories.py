"""Helpers for the tagging tests: customers writing on a channel, rules, and a trained model."""

from __future__ import annotations

import itertools
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from channels import IdentityRef, InboundMessage
from hub.conversations.models import Conversation
from hub.ingest.service import receive
from hub.runtime.db import session_scope
from hub.runtime.settings import get_settings
from hub.tagging import admin, train
from hub.tags.models import ContactTag, ConversationTag, Tag

_numbers = itertools.count(1)


def write(channel_id: int, text: str, phone: str = "+85291234567", locale: str | None = None,
          kind: str = "text") -> tuple[int, int, int]:
    """A customer's message stored as the ingest path stores it: (message id, conversation id, contact id)."""
    n = next(_numbers)
    message = InboundMessage(provider_message_id=f"tagging.{n}", identities=(IdentityRef("phone", phone),),
                             kind=kind, sent_at=datetime.now(UTC), text=text, profile_name="客人", locale=locale)
    with session_scope() as session:
        stored = receive(session=session, channel_id=channel_id, inbound=message)
        assert stored is not None and stored.id is not None
        conversation = session.get(Conversation, stored.conversation_id)
        assert conversation is not None
        return stored.id, stored.conversation_id, conversation.contact_id


def rule(name: str, *conditions: dict[str, Any], tag: str | None = None, target: str = "tag_conversation",
         match: str = "all") -> int:
    with session_scope() as session:
        created = admin.create_rule(session=session, actor=None, values={
            "name": name, "match": match, "conditions": list(conditions),
            "actions": [{"type": target, "tag": tag or name}]})
        assert created.id is not None
        return created.id


def keywords(*values: str) -> dict[str, Any]:
    return {"type": "keywords", "values": list(values)}


def conversation_tags(conversation_id: int) -> dict[str, str]:
    """Tag name -> source on one conversation."""
    with session_scope() as session:
        rows = session.exec(select(Tag.name, ConversationTag.source).join(
            ConversationTag, col(ConversationTag.tag_id) == Tag.id).where(
            ConversationTag.conversation_id == conversation_id))
        return dict(rows.all())


def contact_tags(contact_id: int) -> dict[str, str]:
    with session_scope() as session:
        rows = session.exec(select(Tag.name, ContactTag.source).join(ContactTag, col(ContactTag.tag_id) == Tag.id)
                            .where(ContactTag.contact_id == contact_id))
        return dict(rows.all())


def install_model(saved: Path) -> None:
    """Put a trained model where the running installation looks for it."""
    target = get_settings().var_dir / "models" / train.MODEL_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(saved, target)
