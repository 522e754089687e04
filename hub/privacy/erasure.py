"""Erasing a contact on request (GDPR art. 17, PDPO, APPI): nothing that names them is left.

In one transaction: other packages' sections (orders become anonymous totals), the contact's
conversations with every message (the search index follows the rows: PostgreSQL's expression index,
SQLite's FTS triggers), their attachments' files unless another message shares them, identities,
consent and tags, and every raw webhook body that carries one of their addresses. The contact row
stays, emptied and marked `erased_at`, only because orders point at it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, cast, delete, select, text, update
from sqlmodel import Session, col

from hub.contacts.models import ChannelIdentity, Consent, Contact
from hub.conversations.models import Conversation, Message
from hub.media import service as media
from hub.privacy.hooks import SECTIONS
from hub.runtime.db import utcnow
from hub.tags.models import ContactTag
from hub.webhooks.models import WebhookEvent


def erase(*, session: Session, contact_id: int) -> dict[str, int]:
    """Erase the contact; counts of what went (no personal data, fit for the audit log)."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise LookupError("no such contact")
    identities = list(session.execute(select(ChannelIdentity).where(col(ChannelIdentity.contact_id) == contact_id))
                      .scalars())
    conversation_ids = list(session.execute(select(col(Conversation.id)).where(
        col(Conversation.contact_id) == contact_id)).scalars())
    keys = _media_keys(session, conversation_ids)
    for section in SECTIONS.values():
        section.erase(session, contact_id)
    counts = {"conversations": len(conversation_ids), "identities": len(identities)}
    counts["messages"] = _delete(session, delete(Message).where(col(Message.conversation_id).in_(conversation_ids)))
    _delete(session, delete(Conversation).where(col(Conversation.contact_id) == contact_id))
    _delete(session, delete(ContactTag).where(col(ContactTag.contact_id) == contact_id))
    _delete(session, delete(Consent).where(col(Consent.contact_id) == contact_id))
    _delete(session, delete(ChannelIdentity).where(col(ChannelIdentity.contact_id) == contact_id))
    counts["webhook_bodies"] = _delete_raw_bodies(session, identities)
    session.execute(update(Contact).where(col(Contact.id) == contact_id).values(
        name="", locale=None, timezone=None, custom_fields={}, erased_at=utcnow(), updated_at=utcnow()))
    session.flush()
    counts["media_files"] = _delete_unshared_files(session, keys)
    return counts


def _delete(session: Session, statement: Any) -> int:
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def _media_keys(session: Session, conversation_ids: list[int]) -> set[str]:
    keys: set[str] = set()
    for payload in session.execute(select(col(Message.payload)).where(
            col(Message.conversation_id).in_(conversation_ids))).scalars():
        keys.update(a["key"] for a in payload.get("attachments", []) if isinstance(a.get("key"), str))
    return keys


def needles(identities: list[ChannelIdentity]) -> set[bytes]:
    """How a contact's addresses appear in raw provider bodies: Meta's `wa_id` (digits), Twilio's form
    (`%2B` + digits), Telegram's `"id":123`, and the stored value itself."""
    found: set[str] = set()
    for identity in identities:
        found.add(identity.value)
        if identity.kind == "telegram" and identity.value.isdigit():
            found.update({f'"id":{identity.value}', f'"id": {identity.value}'})
        if identity.phone:
            digits = identity.phone.lstrip("+")
            found.update({identity.phone, digits, "%2B" + digits})
    return {value.encode() for value in found if len(value) >= 6}


def _delete_raw_bodies(session: Session, identities: list[ChannelIdentity]) -> int:
    """Delete every stored webhook body that carries one of the addresses (bodies are kept only for
    processing and retention; a body of someone else's that happens to contain the same digits goes too)."""
    return delete_bodies_containing(session, WebhookEvent.__table__, needles(identities))  # type: ignore[attr-defined]


def delete_bodies_containing(session: Session, table: Any, found_in_body: set[bytes]) -> int:
    """Delete the rows of `table` whose `body` (bytes) contains any of these; how many went."""
    where = "position(:needle in body) > 0" if session.get_bind().dialect.name == "postgresql" \
        else "instr(body, :needle) > 0"
    return sum(_delete(session, delete(table).where(text(where).bindparams(needle=needle)))
               for needle in found_in_body if needle)


def _delete_unshared_files(session: Session, keys: set[str]) -> int:
    """Remove attachment files no remaining message refers to (files are shared by content hash)."""
    removed = 0
    for key in sorted(keys):
        shared = session.execute(select(col(Message.id)).where(
            cast(col(Message.payload), Text).contains(key)).limit(1)).first()
        if shared is not None:
            continue
        try:
            media.path_for(key).unlink(missing_ok=True)
            removed += 1
        except ValueError:
            continue
    return removed
