"""Storing many inbound messages with a handful of set-based statements.

The same path serves one message (a test, the demo) and a drained batch of hundreds of webhook
events. Every step is safe under concurrency: unique constraints decide, `ON CONFLICT DO NOTHING`
never fails, and whatever another worker created first is read back instead.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from channels import InboundMessage
from hub import events
from hub.channel_records.models import Channel
from hub.contacts import locales
from hub.contacts.identities import StoredIdentity, stored
from hub.conversations import activity
from hub.conversations.models import ActivityKind
from hub.db import as_utc, rows_by_pairs, utcnow

Key = tuple[str, str]


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


@dataclass(frozen=True)
class Arrival:
    """One inbound message and where it came from."""

    channel_id: int
    phone_identity: str
    inbound: InboundMessage
    verified: bool = False

    @property
    def identities(self) -> list[StoredIdentity]:
        return stored(self.inbound.identities, self.phone_identity)


@dataclass(frozen=True)
class Stored:
    """A message that was new: its ids, for whatever runs next (keywords, events)."""

    message_id: int
    conversation_id: int
    contact_id: int
    channel_id: int
    arrival: Arrival


def _insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


@dataclass
class Known:
    """Contacts found so far: by exact identity, and by phone for identities not stored yet."""

    exact: dict[Key, int]
    by_phone: dict[str, int]

    def contact_of(self, arrival: Arrival) -> int | None:
        for ref in arrival.identities:
            if (ref.kind, ref.value) in self.exact:
                return self.exact[(ref.kind, ref.value)]
        for ref in arrival.identities:
            if ref.phone and ref.phone in self.by_phone:
                return self.by_phone[ref.phone]
        return None


def _lookup(session: Session, arrivals: list[Arrival]) -> Known:
    identity = _table("channel_identity")
    keys = {(ref.kind, ref.value) for arrival in arrivals for ref in arrival.identities}
    exact = {(row.kind, row.value): row.contact_id
             for row in rows_by_pairs(session, identity, "kind", "value", keys, ("kind", "value", "contact_id"))}
    phones = {ref.phone for arrival in arrivals for ref in arrival.identities
              if ref.phone and (ref.kind, ref.value) not in exact}
    by_phone: dict[str, int] = {}
    if phones:
        for row in session.execute(select(identity.c.phone, identity.c.contact_id).where(
                identity.c.phone.in_(sorted(phones))).order_by(identity.c.id)):
            by_phone.setdefault(row.phone, row.contact_id)
    return Known(exact, by_phone)


def _create_contacts_apart(session: Session, strangers: list[Arrival]) -> None:
    """PostgreSQL: create contacts for unknown senders in a short transaction of their own.

    One worker at a time decides who owns a new phone (advisory locks taken in one order): without
    this, SMS and WhatsApp messages from a new number stored by two workers at once would make two
    contacts. Committing at once keeps the locks short; a contact whose message batch later fails is
    simply found again on the retry. (SQLite serialises writers, so it needs none of this.)
    """
    phones = sorted({ref.phone for arrival in strangers for ref in arrival.identities if ref.phone})
    with Session(session.get_bind()) as apart:
        if phones:
            apart.execute(text("SELECT pg_advisory_xact_lock(hashtext(p)) FROM unnest(CAST(:phones AS text[])) "
                               "AS p ORDER BY p"), {"phones": phones})
        known = _lookup(apart, strangers)  # another worker may have made them while we waited
        _create_contacts(apart, strangers, known)
        _link_identities(apart, strangers, known)
        apart.commit()


def _group_key(arrival: Arrival) -> Key:
    """Arrivals from the same phone (SMS and WhatsApp alike) become one new contact."""
    for ref in arrival.identities:
        if ref.phone:
            return ("phone", ref.phone)
    first = arrival.identities[0]
    return (first.kind, first.value)


def _create_contacts(session: Session, arrivals: list[Arrival], known: Known) -> None:
    """New contacts for arrivals nobody knows; a contact another worker made first wins."""
    contact, identity = _table("contact"), _table("channel_identity")
    groups: dict[Key, list[Arrival]] = {}
    for arrival in arrivals:
        if known.contact_of(arrival) is None:
            groups.setdefault(_group_key(arrival), []).append(arrival)
    if not groups:
        return
    ordered = sorted(groups.items())  # one lock order for every worker
    now = utcnow()
    rows: list[dict[str, Any]] = [{"name": group[-1].inbound.profile_name or "",
                                   **_first_locale_and_zone(session, group),
                                   "custom_fields": {}, "created_at": now, "updated_at": now}
                                  for _, group in ordered]
    ids = [row.id for row in session.execute(contact.insert().returning(contact.c.id, sort_by_parameter_order=True),
                                             rows)]
    identity_rows: dict[Key, dict[str, Any]] = {}
    for contact_id, (_, group) in zip(ids, ordered, strict=True):
        for arrival in group:
            for ref in arrival.identities:
                identity_rows.setdefault((ref.kind, ref.value), {
                    "contact_id": contact_id, "kind": ref.kind, "value": ref.value, "phone": ref.phone,
                    "verified": arrival.verified, "created_at": now})
    claimed = session.execute(
        _insert(session, identity).on_conflict_do_nothing(index_elements=["kind", "value"])
        .returning(identity.c.kind, identity.c.value, identity.c.contact_id),
        [identity_rows[key] for key in sorted(identity_rows)])
    won = {(row.kind, row.value): row.contact_id for row in claimed}
    known.exact.update(won)
    kept = set(won.values())
    lost = [contact_id for contact_id in ids if contact_id not in kept]
    if lost:  # someone else created these identities at the same moment: use theirs
        session.execute(delete(contact).where(contact.c.id.in_(lost)))
        again = _lookup(session, [a for _, group in ordered for a in group if known.contact_of(a) is None])
        known.exact.update(again.exact)
        known.by_phone.update(again.by_phone)


def _first_locale_and_zone(session: Session, group: list[Arrival]) -> dict[str, str | None]:
    """A new contact's locale (the provider's, their message's script, their phone's country) and time
    zone (their phone's, else the channel's market's): see `hub.contacts.locales`."""
    phones = [ref.phone for arrival in group for ref in arrival.identities if ref.phone]
    first = group[0]
    zone = locales.first_zone(phones)
    if zone is None:
        channel = session.get(Channel, first.channel_id)
        zone = locales.channel_zone(dict(channel.config)) if channel is not None else None
    provided = next((a.inbound.locale for a in group if a.inbound.locale), None)
    text = next((a.inbound.text for a in group if a.inbound.text), None)
    return {"locale": locales.first_locale(provided=provided, phones=phones, text=text), "timezone": zone}


def _link_identities(session: Session, arrivals: list[Arrival], known: Known) -> None:
    """Every identity a message showed belongs to its contact (a phone seen on WhatsApp after SMS)."""
    identity = _table("channel_identity")
    now = utcnow()
    rows: dict[Key, dict[str, Any]] = {}
    for arrival in arrivals:
        contact_id = known.contact_of(arrival)
        for ref in arrival.identities:
            if (ref.kind, ref.value) not in known.exact and contact_id is not None:
                rows[(ref.kind, ref.value)] = {"contact_id": contact_id, "kind": ref.kind, "value": ref.value,
                                               "phone": ref.phone, "verified": arrival.verified, "created_at": now}
    if rows:
        session.execute(_insert(session, identity).on_conflict_do_nothing(index_elements=["kind", "value"]),
                        [rows[key] for key in sorted(rows)])
        for key, row in rows.items():
            known.exact[key] = row["contact_id"]


def _refresh_profiles(session: Session, latest: dict[int, Arrival]) -> None:
    contact = _table("contact")
    names = {cid: a.inbound.profile_name for cid, a in latest.items() if a.inbound.profile_name}
    if not names:
        return
    current = {row.id: (row.name, row.locale) for row in session.execute(
        select(contact.c.id, contact.c.name, contact.c.locale).where(contact.c.id.in_(sorted(names))))}
    changes = [{"cid": cid, "name": name, "at": utcnow()} for cid, name in names.items()
               if cid in current and current[cid][0] != name]
    if changes:
        session.execute(update(contact).where(contact.c.id == bindparam("cid"))
                        .values(name=bindparam("name"), updated_at=bindparam("at")), changes)
        for change in changes:
            events.emit(session, events.CONTACT_UPDATED, contact_id=change["cid"])


def _conversations(session: Session, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], tuple[int, str]]:
    conversation = _table("conversation")

    def load() -> dict[tuple[int, int], tuple[int, str]]:
        return {(row.contact_id, row.channel_id): (row.id, row.status) for row in rows_by_pairs(
            session, conversation, "contact_id", "channel_id", pairs, ("id", "contact_id", "channel_id", "status"))}

    found = load()
    missing = sorted(pairs - set(found))
    if missing:
        now = utcnow()
        created = session.execute(
            _insert(session, conversation).on_conflict_do_nothing(index_elements=["contact_id", "channel_id"])
            .returning(conversation.c.id, conversation.c.contact_id, conversation.c.channel_id),
            [{"contact_id": contact_id, "channel_id": channel_id, "status": "open", "unread_count": 0,
              "last_activity_at": now, "created_at": now} for contact_id, channel_id in missing])
        for row in created:
            events.emit(session, events.CONVERSATION_OPENED, conversation_id=row.id, channel_id=row.channel_id,
                        contact_id=row.contact_id)
        found = load()
    return found


def _reopen(session: Session, found: dict[tuple[int, int], tuple[int, str]]) -> None:
    conversation = _table("conversation")
    closed = [(pair, cid) for pair, (cid, status) in found.items() if status in ("resolved", "snoozed")]
    if not closed:
        return
    session.execute(update(conversation).where(conversation.c.id.in_([cid for _, cid in closed]),
                                               conversation.c.status.in_(["resolved", "snoozed"]))
                    .values(status="open", resolved_at=None, snoozed_until=None))
    for (contact_id, channel_id), cid in closed:
        events.emit(session, events.CONVERSATION_OPENED, conversation_id=cid, channel_id=channel_id,
                    contact_id=contact_id)
    activity.record_many(session, conversation_ids=[cid for _, cid in closed], kind=ActivityKind.reopened,
                         actor=activity.CUSTOMER, reason="the customer wrote again")


def store(session: Session, arrivals: list[Arrival]) -> list[Stored]:
    """Store each message once; the new ones, in order (repeats of a provider id are skipped)."""
    if not arrivals:
        return []
    known = _lookup(session, arrivals)
    strangers = [arrival for arrival in arrivals if known.contact_of(arrival) is None]
    if strangers and session.get_bind().dialect.name == "postgresql":
        _create_contacts_apart(session, strangers)
        again = _lookup(session, strangers)
        known.exact.update(again.exact)
        known.by_phone.update(again.by_phone)
    _create_contacts(session, arrivals, known)
    _link_identities(session, arrivals, known)
    contact_of = [known.contact_of(arrival) for arrival in arrivals]
    _refresh_profiles(session, {cid: a for cid, a in zip(contact_of, arrivals, strict=True) if cid is not None})
    found = _conversations(session, {(cid, a.channel_id) for cid, a in zip(contact_of, arrivals, strict=True)
                                     if cid is not None})
    _reopen(session, found)

    message = _table("message")
    now = utcnow()
    rows, seen = [], set()
    for contact_id, arrival in zip(contact_of, arrivals, strict=True):
        key = (arrival.channel_id, arrival.inbound.provider_message_id)
        if contact_id is None or key in seen:
            continue
        seen.add(key)
        inbound = arrival.inbound
        payload = {**inbound.payload, "provider_sent_at": as_utc(inbound.sent_at).isoformat()}
        if inbound.reply_to_provider_id:
            payload["reply_to"] = inbound.reply_to_provider_id
        rows.append({"conversation_id": found[(contact_id, arrival.channel_id)][0], "channel_id": arrival.channel_id,
                     "direction": "inbound", "kind": inbound.kind, "text": inbound.text, "payload": payload,
                     "provider_message_id": inbound.provider_message_id, "status": "received", "attempts": 0,
                     # the customer's order: the provider's clock, but a skewed one never files it ahead of now
                     "created_at": now, "occurred_at": min(as_utc(inbound.sent_at), now)})
    if not rows:
        return []
    inserted = session.execute(
        _insert(session, message).on_conflict_do_nothing(index_elements=["channel_id", "provider_message_id"])
        .returning(message.c.id, message.c.channel_id, message.c.provider_message_id, message.c.conversation_id),
        rows)
    new = {(row.channel_id, row.provider_message_id): (row.id, row.conversation_id) for row in inserted}
    _count_unread(session, Counter(conversation_id for _, conversation_id in new.values()))
    result = []
    for contact_id, arrival in zip(contact_of, arrivals, strict=True):
        hit = new.pop((arrival.channel_id, arrival.inbound.provider_message_id), None)
        if hit is None or contact_id is None:
            continue
        result.append(Stored(message_id=hit[0], conversation_id=hit[1], contact_id=contact_id,
                             channel_id=arrival.channel_id, arrival=arrival))
        events.emit(session, events.MESSAGE_RECEIVED, message_id=hit[0], conversation_id=hit[1],
                    channel_id=arrival.channel_id, contact_id=contact_id, kind=arrival.inbound.kind)
    return result


def _count_unread(session: Session, per_conversation: Counter[int]) -> None:
    if not per_conversation:
        return
    conversation = _table("conversation")
    now = utcnow()
    session.execute(
        update(conversation).where(conversation.c.id == bindparam("cid"))
        .values(unread_count=conversation.c.unread_count + bindparam("n"), last_activity_at=bindparam("at"),
                last_inbound_at=bindparam("at")),
        [{"cid": cid, "n": n, "at": now} for cid, n in sorted(per_conversation.items())])
