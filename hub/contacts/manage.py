"""Admins keep the contact book: search it, correct a contact, and merge two contacts who are one person.

Merging moves everything that points at the merged contact (identities, conversations with their
messages, tags, consent, orders, carts, campaign sends: every table with a foreign key to `contact`,
found from the schema so that a package's new table is covered too) to the surviving contact, then
deletes the merged one. Two conversations on the same channel become one; where both contacts hold
the same unique thing (a tag, an open cart), the survivor's is kept.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Table, and_, delete, exists, or_, select, text, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from hub import schema
from hub.audit.service import record
from hub.contacts import locales
from hub.contacts.models import ChannelIdentity, Consent, Contact
from hub.conversations.models import Conversation
from hub.runtime import events
from hub.runtime.db import utcnow
from hub.tags.models import ContactTag, Tag

LOCALES = ("en", "zh_Hant", "ja")
MAX_FIELDS = 50


class ContactRefused(ValueError):
    """A change Hub will not make; the text says why."""


def search(*, session: Session, q: str = "", channel_id: int | None = None, tag: str = "",
           opted_out: bool = False, limit: int = 50, after_id: int | None = None) -> list[Contact]:
    """Contacts (not erased) whose name or an address contains `q`, on a channel, with a tag, or opted out
    somewhere (their newest consent record on some channel is an opt-out); newest first."""
    query = select(Contact).where(col(Contact.erased_at).is_(None))
    needle = q.strip()
    if needle:
        by_address = select(col(ChannelIdentity.contact_id)).where(
            col(ChannelIdentity.value).icontains(needle, autoescape=True))
        query = query.where(or_(col(Contact.name).icontains(needle, autoescape=True),
                                col(Contact.id).in_(by_address)))
    if channel_id is not None:
        query = query.where(col(Contact.id).in_(select(col(Conversation.contact_id))
                                                .where(col(Conversation.channel_id) == channel_id)))
    if tag.strip():
        tagged = (select(col(ContactTag.contact_id)).join(Tag, col(Tag.id) == col(ContactTag.tag_id))
                  .where(col(Tag.name) == tag.strip()))
        query = query.where(col(Contact.id).in_(tagged))
    if opted_out:
        newer = aliased(Consent)
        latest_out = select(col(Consent.contact_id)).where(
            col(Consent.status) == "opted_out",
            ~exists().where(col(newer.contact_id) == col(Consent.contact_id),
                            col(newer.channel_id) == col(Consent.channel_id),
                            or_(col(newer.created_at) > col(Consent.created_at),
                                and_(col(newer.created_at) == col(Consent.created_at),
                                     col(newer.id) > col(Consent.id)))))
        query = query.where(col(Contact.id).in_(latest_out))
    if after_id is not None:
        query = query.where(col(Contact.id) < after_id)
    return list(session.execute(query.order_by(col(Contact.id).desc()).limit(limit)).scalars())


def update_contact(*, session: Session, actor_id: int | None, contact: Contact, values: dict[str, Any]) -> Contact:
    """Set name, locale, time zone and custom fields (a field set to an empty value is removed)."""
    changed: list[str] = []
    if values.get("name") is not None:
        name = str(values["name"]).strip()
        if len(name) > 200:
            raise ContactRefused("a name has at most 200 characters")
        if name != contact.name:
            contact.name, changed = name, [*changed, "name"]
    if "locale" in values:
        locale = values["locale"] or None
        if locale is not None and locale not in LOCALES:
            raise ContactRefused(f"locale must be one of {', '.join(LOCALES)}, or empty")
        if locale != contact.locale:
            contact.locale, changed = locale, [*changed, "locale"]
    if "timezone" in values:
        zone = (values["timezone"] or "").strip() or None
        if zone is not None and not locales.valid_zone(zone):  # "Asia" (a tzdata directory) raised a 500
            raise ContactRefused(f"{zone!r} is not a time zone; use an IANA name such as Asia/Hong_Kong")
        if zone != contact.timezone:
            contact.timezone, changed = zone, [*changed, "timezone"]
    if values.get("custom_fields") is not None:
        fields = dict(contact.custom_fields or {})
        for key, value in dict(values["custom_fields"]).items():
            key = str(key).strip()
            if not key or len(key) > 100:
                raise ContactRefused("a field's name has 1 to 100 characters")
            if value in (None, ""):
                fields.pop(key, None)
            else:
                fields[key] = value
        if len(fields) > MAX_FIELDS:
            raise ContactRefused(f"a contact has at most {MAX_FIELDS} fields")
        if fields != contact.custom_fields:
            contact.custom_fields, changed = fields, [*changed, "custom_fields"]
    if changed:
        contact.updated_at = utcnow()
        session.add(contact)
        session.flush()
        # the audit names what changed, not the customer's values
        record(session=session, actor_id=actor_id, action="contact.changed", target_type="contact",
               target_id=contact.id, details={"fields": changed})
        events.emit(session, events.CONTACT_UPDATED, contact_id=contact.id)
    return contact


def _pointing_at(parent: str) -> list[tuple[Table, Column[Any]]]:
    """Every (table, column) with a foreign key to `parent`.id."""
    found = []
    for table in schema.loaded_metadata().sorted_tables:  # every package's, once the app or worker is composed
        for column in table.columns:
            if any(fk.column.table.name == parent for fk in column.foreign_keys):
                found.append((table, column))
    return found


def _unique_sets(table: Table, column: Column[Any]) -> list[tuple[list[str], Any]]:
    """The unique column sets of `table` that include `column`, each with its partial-index condition."""
    sets: list[tuple[list[str], Any]] = []
    for constraint in table.constraints:
        names = [c.name for c in getattr(constraint, "columns", [])]
        if constraint.__class__.__name__ in ("UniqueConstraint", "PrimaryKeyConstraint") and column.name in names:
            sets.append((names, None))
    for index in table.indexes:
        names = [c.name for c in index.columns]
        if index.unique and column.name in names:
            where = index.dialect_options["postgresql"].get("where")
            if where is None:
                where = index.dialect_options["sqlite"].get("where")
            sets.append((names, where))
    return sets


def _relink(session: Session, parent: str, old: int, new: int, skip: frozenset[str] = frozenset()) -> None:
    """Point every row that points at `parent` row `old` at `new` instead; where that would break a unique
    rule (the same tag twice, say), the row of `old` is dropped and that of `new` kept."""
    for table, column in _pointing_at(parent):
        if table.name in skip:
            continue
        keys = list(table.primary_key.columns)
        for names, where in _unique_sets(table, column):
            rest = [table.c[name] for name in names if name != column.name]

            def rows(owner: int, wanted: list[Any], table: Table = table, column: Column[Any] = column,
                     where: Any = where) -> Any:
                query = select(*wanted).where(column == owner)
                if where is not None:
                    query = query.where(text(str(where)) if isinstance(where, str) else where)
                return session.execute(query)

            taken = {tuple(row) for row in rows(new, rest)} if rest else ({()} if rows(new, keys).first() else set())
            for row in rows(old, [*keys, *rest]).all():
                values = tuple(row[len(keys):])
                if None in values or values not in taken:
                    continue
                session.execute(delete(table).where(and_(*(key == row[i] for i, key in enumerate(keys)))))
        session.execute(update(table).where(column == old).values({column.name: new}))


def merge(*, session: Session, actor_id: int | None, survivor: Contact, other: Contact) -> dict[str, Any]:
    """Move `other`'s identities and history to `survivor` and delete `other`. Returns what was moved."""
    if survivor.id is None or other.id is None or survivor.id == other.id:
        raise ContactRefused("choose two different contacts to merge")
    if survivor.erased_at is not None or other.erased_at is not None:
        raise ContactRefused("an erased contact cannot be merged")
    identities = [f"{i.kind}:{i.value}" for i in session.execute(
        select(ChannelIdentity).where(col(ChannelIdentity.contact_id) == other.id)).scalars()]
    theirs = {c.channel_id: c for c in session.execute(
        select(Conversation).where(col(Conversation.contact_id) == other.id)).scalars()}
    ours = {c.channel_id: c for c in session.execute(
        select(Conversation).where(col(Conversation.contact_id) == survivor.id)).scalars()}
    joined = []
    for channel_id, conversation in theirs.items():
        kept = ours.get(channel_id)
        if kept is None or kept.id is None or conversation.id is None:
            continue
        # one conversation per contact and channel: the merged one's messages join the survivor's thread
        _relink(session, "conversation", conversation.id, kept.id)
        kept.last_activity_at = max(kept.last_activity_at, conversation.last_activity_at)
        if conversation.last_inbound_at and (not kept.last_inbound_at or kept.last_inbound_at
                                             < conversation.last_inbound_at):
            kept.last_inbound_at = conversation.last_inbound_at
        kept.unread_count += conversation.unread_count
        session.add(kept)
        session.flush()
        session.execute(delete(Conversation).where(col(Conversation.id) == conversation.id))
        joined.append(conversation.id)
    _relink(session, "contact", other.id, survivor.id)
    if not survivor.name and other.name:
        survivor.name = other.name
    survivor.locale = survivor.locale or other.locale
    survivor.timezone = survivor.timezone or other.timezone
    survivor.custom_fields = {**(other.custom_fields or {}), **(survivor.custom_fields or {})}
    survivor.updated_at = utcnow()
    session.add(survivor)
    session.flush()
    session.execute(delete(Contact).where(col(Contact.id) == other.id))
    session.expire_all()  # the ORM's copies of moved rows are stale
    moved = {"merged_id": other.id, "identities": identities,
             "conversations": sorted(c.id for k, c in theirs.items() if k not in ours and c.id is not None),
             "conversations_joined": joined}
    record(session=session, actor_id=actor_id, action="contact.merged", target_type="contact",
           target_id=survivor.id, details=moved)
    events.emit(session, events.CONTACT_UPDATED, contact_id=survivor.id)
    return moved
