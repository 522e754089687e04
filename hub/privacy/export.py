"""Everything Hub holds about one contact, as one zip: `contact.json` and their attachments under `media/`.

(GDPR art. 15 and 20, PDPO's data access request, APPI's disclosure request.)
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from hub.contacts.models import ChannelIdentity, Consent, Contact
from hub.conversations.models import Conversation, Message
from hub.media import service as media
from hub.privacy.hooks import SECTIONS
from hub.tags.models import ContactTag, Tag

MESSAGE_FIELDS = ("id", "direction", "kind", "text", "status", "created_at", "sent_at", "delivered_at", "read_at")


def _row(item: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(item, name) for name in fields}


def collect(*, session: Session, contact_id: int) -> tuple[dict[str, Any], set[str]]:
    """The contact's data as JSON-ready values, and the keys of their stored attachments."""
    contact = session.get(Contact, contact_id)
    if contact is None or contact.erased_at is not None:
        raise LookupError("no such contact")
    data: dict[str, Any] = {"contact": _row(contact, ("id", "name", "locale", "timezone", "custom_fields",
                                                      "created_at", "updated_at"))}
    data["identities"] = [_row(i, ("kind", "value", "phone", "verified", "created_at")) for i in session.execute(
        select(ChannelIdentity).where(col(ChannelIdentity.contact_id) == contact_id)).scalars()]
    data["consent"] = [_row(c, ("channel_id", "purpose", "status", "source", "created_at")) for c in session.execute(
        select(Consent).where(col(Consent.contact_id) == contact_id).order_by(col(Consent.id))).scalars()]
    data["tags"] = list(session.execute(select(col(Tag.name)).join(ContactTag, col(ContactTag.tag_id) == Tag.id)
                                        .where(col(ContactTag.contact_id) == contact_id)).scalars())
    keys: set[str] = set()
    conversations = []
    for conversation in session.execute(select(Conversation).where(
            col(Conversation.contact_id) == contact_id).order_by(col(Conversation.id))).scalars():
        messages = []
        for message in session.execute(select(Message).where(
                col(Message.conversation_id) == conversation.id)
                .order_by(col(Message.id))).scalars():
            stored = [a for a in message.payload.get("attachments", []) if a.get("status") == "stored"]
            keys.update(a["key"] for a in stored if isinstance(a.get("key"), str))
            messages.append({**_row(message, MESSAGE_FIELDS),
                             "attachments": [f"media/{a['key']}" for a in stored if a.get("key")]})
        conversations.append({"id": conversation.id, "channel_id": conversation.channel_id,
                              "created_at": conversation.created_at, "messages": messages})
    data["conversations"] = conversations
    for section in SECTIONS.values():
        data[section.name] = section.export(session, contact_id)
    return data, keys


def archive(*, session: Session, contact_id: int) -> bytes:
    """The zip: `contact.json` (UTF-8, CJK as written) and `media/<key>` for each stored attachment."""
    data, keys = collect(session=session, contact_id=contact_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive_file:
        archive_file.writestr("contact.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
        for key in sorted(keys):
            path = media.path_for(key)
            if path.exists():
                archive_file.write(path, f"media/{key}")
    return buffer.getvalue()
