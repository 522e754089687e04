"""The conversation store: contacts, identities, conversations and inbound messages, set-based.

Every write of these rows goes through here, for one item (a list of one: `contacts.resolve`,
`conversations.open_for`, `ingest.receive`) or a drained batch of hundreds (`ingest.apply`, a campaign's
`prepare`), with a handful of statements whatever the size. Every step is safe under concurrency:
unique constraints decide, `ON CONFLICT DO NOTHING` never fails, and whatever another worker created
first is read back instead. Receipts and outbound messages are the delivery engine's, not here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, text, update
from sqlmodel import Session, SQLModel

from channels import InboundMessage
from hub.channel_records.models import Channel
from hub.contacts import locales
from hub.contacts.identities import StoredIdentity, stored
from hub.conversations import activity, automation
from hub.conversations.models import ActivityKind
from hub.runtime import events, upsert
from hub.runtime.db import as_utc, rows_by_pairs, utcnow

Key = tuple[str, str]
Pair = tuple[int, int]
"""(contact id, channel id): the key of a conversation."""


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


@dataclass(frozen=True)
class Sender:
    """A person as one message (or one caller) shows them: the addresses seen together, and what they
    say of themselves. `channel_id` gives a new contact the channel's market's time zone when the phone
    has none."""

    identities: tuple[StoredIdentity, ...]
    profile_name: str | None = None
    locale: str | None = None
    text: str | None = None
    channel_id: int | None = None
    verified: bool = False


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

    @property
    def sender(self) -> Sender:
        return Sender(tuple(self.identities), self.inbound.profile_name, self.inbound.locale, self.inbound.text,
                      self.channel_id, self.verified)


@dataclass(frozen=True)
class Stored:
    """A message that was new: its ids, for whatever runs next (keywords, events)."""

    message_id: int
    conversation_id: int
    contact_id: int
    channel_id: int
    arrival: Arrival


@dataclass(frozen=True)
class Thread:
    """A contact's conversation on a channel, and whether this call created or reopened it."""

    id: int
    opened: bool


@dataclass(frozen=True)
class Answers:
    """A package that takes some customer messages on a resolved conversation as answers to what it asked
    there (a satisfaction survey's rating and comment), so they do not reopen the conversation.

    `claims(session, messages)` gets the new messages of resolved conversations, by conversation id, in
    order, and names the conversations whose messages are all answers; those stay resolved. `take(session,
    stored)` then gets those messages once stored, in the same transaction. Registered by a module hook
    (`answered_by`)."""

    claims: Callable[[Session, Mapping[int, Sequence[InboundMessage]]], set[int]]
    take: Callable[[Session, Sequence[Stored]], None]


_answers: list[Answers] = []


def answered_by(answers: Answers) -> None:
    """Let `answers` keep resolved conversations closed (safe to repeat)."""
    if answers not in _answers:
        _answers.append(answers)


@dataclass
class Known:
    """Contacts found so far: by exact identity, and by phone for identities not stored yet."""

    exact: dict[Key, int]
    by_phone: dict[str, int]

    def contact_of(self, sender: Sender) -> int | None:
        for ref in sender.identities:
            if (ref.kind, ref.value) in self.exact:
                return self.exact[(ref.kind, ref.value)]
        for ref in sender.identities:
            if ref.phone and ref.phone in self.by_phone:
                return self.by_phone[ref.phone]
        return None

    def learn(self, other: Known) -> None:
        self.exact.update(other.exact)
        self.by_phone.update(other.by_phone)


def _lookup(session: Session, senders: Sequence[Sender]) -> Known:
    identity = _table("channel_identity")
    keys = {(ref.kind, ref.value) for sender in senders for ref in sender.identities}
    exact = {(row.kind, row.value): row.contact_id
             for row in rows_by_pairs(session, identity, "kind", "value", keys, ("kind", "value", "contact_id"))}
    phones = {ref.phone for sender in senders for ref in sender.identities
              if ref.phone and (ref.kind, ref.value) not in exact}
    by_phone: dict[str, int] = {}
    if phones:
        for row in session.execute(select(identity.c.phone, identity.c.contact_id).where(
                identity.c.phone.in_(sorted(phones))).order_by(identity.c.id)):
            by_phone.setdefault(row.phone, row.contact_id)
    return Known(exact, by_phone)


def contacts_for(session: Session, senders: Sequence[Sender]) -> list[int]:
    """The contact id of each sender: the contact who owns any of its identities (or their phone), created
    if none does. Identities not seen before join that contact (a phone seen on WhatsApp after SMS, a
    WhatsApp user id seen with a phone); a new profile name replaces the old, a locale fills an empty one.
    Senders sharing a phone or an identity become one new contact."""
    found = _contacts(session, senders)
    if any(contact_id is None for contact_id in found):
        raise RuntimeError("could not resolve the contact after concurrent inserts")
    return [contact_id for contact_id in found if contact_id is not None]


def _contacts(session: Session, senders: Sequence[Sender]) -> list[int | None]:
    if not senders:
        return []
    if any(not sender.identities for sender in senders):
        raise ValueError("a contact needs at least one identity")
    known = _lookup(session, senders)
    strangers = [sender for sender in senders if known.contact_of(sender) is None]
    if strangers and session.get_bind().dialect.name == "postgresql":
        _create_contacts_apart(session, strangers)
        known.learn(_lookup(session, strangers))
    _create_contacts(session, senders, known)
    _link_identities(session, senders, known)
    found = [known.contact_of(sender) for sender in senders]
    _refresh_profiles(session, {cid: sender for cid, sender in zip(found, senders, strict=True) if cid is not None})
    return found


def _create_contacts_apart(session: Session, strangers: list[Sender]) -> None:
    """PostgreSQL: create contacts for unknown senders in a short transaction of their own.

    One worker at a time decides who owns a new phone (advisory locks taken in one order): without
    this, SMS and WhatsApp messages from a new number stored by two workers at once would make two
    contacts. Committing at once keeps the locks short; a contact whose message batch later fails is
    simply found again on the retry. (SQLite serialises writers, so it needs none of this.)
    """
    phones = sorted({ref.phone for sender in strangers for ref in sender.identities if ref.phone})
    with Session(session.get_bind()) as apart:
        if phones:
            apart.execute(text("SELECT pg_advisory_xact_lock(hashtext(p)) FROM unnest(CAST(:phones AS text[])) "
                               "AS p ORDER BY p"), {"phones": phones})
        known = _lookup(apart, strangers)  # another worker may have made them while we waited
        _create_contacts(apart, strangers, known)
        _link_identities(apart, strangers, known)
        apart.commit()


def _group_key(sender: Sender) -> Key:
    """Senders with the same phone (SMS and WhatsApp alike) become one new contact."""
    for ref in sender.identities:
        if ref.phone:
            return ("phone", ref.phone)
    first = sender.identities[0]
    return (first.kind, first.value)


def _create_contacts(session: Session, senders: Sequence[Sender], known: Known) -> None:
    """New contacts for senders nobody knows; a contact another worker made first wins."""
    contact, identity = _table("contact"), _table("channel_identity")
    groups: dict[Key, list[Sender]] = {}
    for sender in senders:
        if known.contact_of(sender) is None:
            groups.setdefault(_group_key(sender), []).append(sender)
    if not groups:
        return
    ordered = sorted(groups.items())  # one lock order for every worker
    now = utcnow()
    rows: list[dict[str, Any]] = [{"name": group[-1].profile_name or "",
                                   **_first_locale_and_zone(session, group),
                                   "custom_fields": {}, "created_at": now, "updated_at": now}
                                  for _, group in ordered]
    ids = [row.id for row in session.execute(contact.insert().returning(contact.c.id, sort_by_parameter_order=True),
                                             rows)]
    identity_rows: dict[Key, dict[str, Any]] = {}
    for contact_id, (_, group) in zip(ids, ordered, strict=True):
        for sender in group:
            for ref in sender.identities:
                identity_rows.setdefault((ref.kind, ref.value), {
                    "contact_id": contact_id, "kind": ref.kind, "value": ref.value, "phone": ref.phone,
                    "verified": sender.verified, "created_at": now})
    claimed = upsert(session, identity, [identity_rows[key] for key in sorted(identity_rows)], key=["kind", "value"],
                     returning=[identity.c.kind, identity.c.value, identity.c.contact_id])
    won = {(row.kind, row.value): row.contact_id for row in claimed}
    known.exact.update(won)
    kept = set(won.values())
    lost = [contact_id for contact_id in ids if contact_id not in kept]
    if lost:  # someone else created these identities at the same moment: use theirs
        session.execute(delete(contact).where(contact.c.id.in_(lost)))
        known.learn(_lookup(session, [s for _, group in ordered for s in group if known.contact_of(s) is None]))
    for contact_id in ids:  # in this transaction: the outgoing webhooks' outbox commits with the contact
        if contact_id in kept:
            events.emit(session, events.CONTACT_CREATED, contact_id=contact_id)


def _first_locale_and_zone(session: Session, group: list[Sender]) -> dict[str, str | None]:
    """A new contact's locale (the provider's, their message's script, their phone's country) and time
    zone (their phone's, else the channel's market's): see `hub.contacts.locales`."""
    phones = [ref.phone for sender in group for ref in sender.identities if ref.phone]
    first = group[0]
    zone = locales.first_zone(phones)
    if zone is None and first.channel_id is not None:
        channel = session.get(Channel, first.channel_id)
        zone = locales.channel_zone(dict(channel.config)) if channel is not None else None
    provided = next((s.locale for s in group if s.locale), None)
    text = next((s.text for s in group if s.text), None)
    return {"locale": locales.first_locale(provided=provided, phones=phones, text=text), "timezone": zone}


def _link_identities(session: Session, senders: Sequence[Sender], known: Known) -> None:
    """Every identity a sender showed belongs to its contact (a phone seen on WhatsApp after SMS), unless
    another contact holds it already."""
    identity = _table("channel_identity")
    now = utcnow()
    rows: dict[Key, dict[str, Any]] = {}
    for sender in senders:
        contact_id = known.contact_of(sender)
        for ref in sender.identities:
            if (ref.kind, ref.value) not in known.exact and contact_id is not None:
                rows[(ref.kind, ref.value)] = {"contact_id": contact_id, "kind": ref.kind, "value": ref.value,
                                               "phone": ref.phone, "verified": sender.verified, "created_at": now}
    if rows:
        upsert(session, identity, [rows[key] for key in sorted(rows)], key=["kind", "value"])
        for key, row in rows.items():
            known.exact[key] = row["contact_id"]


def _refresh_profiles(session: Session, latest: dict[int, Sender]) -> None:
    """A profile name the provider reports replaces the contact's; a locale fills an empty one."""
    contact = _table("contact")
    said = {cid: s for cid, s in latest.items() if s.profile_name or s.locale}
    if not said:
        return
    current = {row.id: (row.name, row.locale) for row in session.execute(
        select(contact.c.id, contact.c.name, contact.c.locale).where(contact.c.id.in_(sorted(said))))}
    changes = []
    for cid, sender in said.items():
        if cid not in current:
            continue
        name, locale = current[cid]
        new_name = sender.profile_name or name
        new_locale = locale or sender.locale
        if (new_name, new_locale) != (name, locale):
            changes.append({"cid": cid, "name": new_name, "locale": new_locale, "at": utcnow()})
    if changes:
        session.execute(update(contact).where(contact.c.id == bindparam("cid"))
                        .values(name=bindparam("name"), locale=bindparam("locale"), updated_at=bindparam("at")),
                        changes)
        for change in changes:
            events.emit(session, events.CONTACT_UPDATED, contact_id=change["cid"])


def conversations_for(session: Session, pairs: Iterable[Pair], *, quiet: bool = False,
                      by_customer: bool = True,
                      keep_closed: Callable[[dict[Pair, int]], set[Pair]] | None = None) -> dict[Pair, Thread]:
    """Each (contact, channel)'s conversation, created where missing.

    For a customer's message (the default) a new conversation is open and a resolved or snoozed one
    reopens, each with CONVERSATION_OPENED. `quiet` (a broadcast: no work for an agent) creates a missing
    one `resolved`, without the event, and reopens nothing: the customer's answer will. The thread's
    activity line names the customer as the reopener unless `by_customer` is False (a message of ours).
    `keep_closed` gets the resolved ones (pair: id) and names those to leave resolved (answers to a survey)."""
    conversation = _table("conversation")
    wanted = set(pairs)
    if not wanted:
        return {}

    def load(keys: Iterable[Pair]) -> dict[Pair, tuple[int, str]]:
        return {(row.contact_id, row.channel_id): (row.id, row.status) for row in rows_by_pairs(
            session, conversation, "contact_id", "channel_id", keys, ("id", "contact_id", "channel_id", "status"))}

    found = load(wanted)
    threads = {pair: Thread(cid, False) for pair, (cid, _) in found.items()}
    missing = sorted(wanted - set(found))
    if missing:
        now = utcnow()
        status = {"status": "resolved", "resolved_at": now} if quiet else {"status": "open"}
        modes = automation.defaults_for(session, {channel_id for _, channel_id in missing})
        created = upsert(
            session, conversation,
            [{"contact_id": contact_id, "channel_id": channel_id, **status, "unread_count": 0,
              "automation_mode": modes[channel_id], "last_activity_at": now, "created_at": now}
             for contact_id, channel_id in missing],
            key=["contact_id", "channel_id"],
            returning=[conversation.c.id, conversation.c.contact_id, conversation.c.channel_id])
        for row in created:
            threads[(row.contact_id, row.channel_id)] = Thread(row.id, not quiet)
            if not quiet:
                events.emit(session, events.CONVERSATION_OPENED, conversation_id=row.id,
                            channel_id=row.channel_id, contact_id=row.contact_id)
        if len(threads) < len(wanted):  # another worker created some first
            raced = load(wanted - set(threads))
            found.update(raced)
            threads.update((pair, Thread(cid, False)) for pair, (cid, _) in raced.items())
    if not quiet:
        closed = {pair: found[pair][0] for pair in found if found[pair][1] in ("resolved", "snoozed")}
        if keep_closed is not None:
            resolved = {pair: cid for pair, cid in closed.items() if found[pair][1] == "resolved"}
            for pair in keep_closed(resolved) if resolved else set():
                closed.pop(pair, None)
        _reopen(session, closed, threads, by_customer)
    return threads


def _reopen(session: Session, closed: dict[Pair, int], threads: dict[Pair, Thread], by_customer: bool) -> None:
    if not closed:
        return
    conversation = _table("conversation")
    session.execute(update(conversation).where(conversation.c.id.in_(sorted(closed.values())),
                                               conversation.c.status.in_(["resolved", "snoozed"]))
                    .values(status="open", resolved_at=None, snoozed_until=None,
                            automation_mode=automation.channel_default_expression()))  # a new start: the default
    for (contact_id, channel_id), cid in closed.items():
        threads[(contact_id, channel_id)] = Thread(cid, True)
        events.emit(session, events.CONVERSATION_OPENED, conversation_id=cid, channel_id=channel_id,
                    contact_id=contact_id)
    activity.record_many(session, conversation_ids=sorted(closed.values()), kind=ActivityKind.reopened,
                         actor=activity.CUSTOMER if by_customer else activity.SYSTEM,
                         reason="the customer wrote again" if by_customer else "a new message")


def store_inbound(session: Session, arrivals: Sequence[Arrival]) -> list[Stored]:
    """Store each message once, in its sender's conversation (opened or reopened); the new ones, in order.

    Repeats of a provider id (in the batch or stored before) are skipped. A message is ordered by the
    provider's clock, but a skewed one never files it ahead of now."""
    if not arrivals:
        return []
    contact_of = _contacts(session, [arrival.sender for arrival in arrivals])
    kept: set[int] = set()

    def answers_only(resolved: dict[Pair, int]) -> set[Pair]:
        said: dict[int, list[InboundMessage]] = {cid: [] for cid in resolved.values()}
        for contact_id, arrival in zip(contact_of, arrivals, strict=True):
            if contact_id is not None and (contact_id, arrival.channel_id) in resolved:
                said[resolved[(contact_id, arrival.channel_id)]].append(arrival.inbound)
        for answers in _answers:
            kept.update(answers.claims(session, said))
        return {pair for pair, cid in resolved.items() if cid in kept}

    threads = conversations_for(session, {(cid, a.channel_id) for cid, a in zip(contact_of, arrivals, strict=True)
                                          if cid is not None}, keep_closed=answers_only if _answers else None)
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
        rows.append({"conversation_id": threads[(contact_id, arrival.channel_id)].id,
                     "channel_id": arrival.channel_id, "direction": "inbound", "kind": inbound.kind,
                     "text": inbound.text, "payload": payload, "provider_message_id": inbound.provider_message_id,
                     "status": "received", "attempts": 0, "created_at": now,
                     "occurred_at": min(as_utc(inbound.sent_at), now)})
    if not rows:
        return []
    inserted = upsert(session, message, rows, key=["channel_id", "provider_message_id"],
                      returning=[message.c.id, message.c.channel_id, message.c.provider_message_id,
                                 message.c.conversation_id])
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
    answered = [item for item in result if item.conversation_id in kept]
    for answers in _answers if answered else ():
        answers.take(session, answered)
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
