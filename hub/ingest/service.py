"""Turning stored webhook events into contacts, conversations, messages and receipts."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from channels import ChannelConfig, InboundMessage, ParsedEvents, ProfileUpdate, StatusUpdate
from channels.types import ParseError
from hub.channel_records.models import Channel
from hub.channel_records.service import adapter_of, as_config
from hub.consent import keywords
from hub.contacts.identities import stored
from hub.conversations import service as conversations
from hub.conversations import store
from hub.conversations.models import Conversation, Message
from hub.ingest.clean import may_hold_nul, without_nul
from hub.runtime import metrics
from hub.runtime.db import among, utcnow
from hub.webhooks.models import WebhookEvent

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 8


@dataclass
class Work:
    """Everything a set of webhook events asks the core to do."""

    arrivals: list[store.Arrival] = field(default_factory=list)
    receipts: list[tuple[int, StatusUpdate]] = field(default_factory=list)
    profiles: list[tuple[int, ProfileUpdate]] = field(default_factory=list)

    def add(self, channel: Channel, parsed: ParsedEvents) -> None:
        assert channel.id is not None
        phone_identity = adapter_of(channel.kind).phone_identity
        self.arrivals += [store.Arrival(channel.id, phone_identity, inbound, verified=vouched_for(inbound))
                          for inbound in parsed.messages]
        self.receipts += [(channel.id, receipt) for receipt in parsed.statuses]
        self.profiles += [(channel.id, profile) for profile in parsed.profiles]


def vouched_for(inbound: InboundMessage) -> bool:
    """True when the adapter proved who the customer is (web chat: the shop signed the user id)."""
    return inbound.payload.get("identity_verified") is True and all(
        ref.kind == "webchat" for ref in inbound.identities)


def apply(*, session: Session, work: Work) -> list[store.Stored]:
    """Store the messages, answer consent keywords, apply receipts and profiles; the new messages."""
    new = store.store_inbound(session, work.arrivals)
    for item in new:
        if item.arrival.inbound.kind == "text" and item.arrival.inbound.text:
            _answer_keyword(session, item)
    conversations.apply_receipts(session=session, receipts=work.receipts)
    _apply_profiles(session, work.profiles)
    return new


def _answer_keyword(session: Session, item: store.Stored) -> None:
    channel = session.get(Channel, item.channel_id)
    if channel is None or keywords.classify(item.arrival.inbound.text, channel.kind) is None:
        return
    conversation = session.get(Conversation, item.conversation_id)
    message = session.get(Message, item.message_id)
    assert conversation is not None and message is not None
    keywords.handle(session=session, channel=channel, conversation=conversation, message=message)


def _apply_profiles(session: Session, profiles: list[tuple[int, ProfileUpdate]]) -> None:
    """A profile name the provider reports (with no message) refreshes its contact, or creates one."""
    senders = []
    for channel_id, profile in profiles:
        channel = session.get(Channel, channel_id)
        if profile.profile_name and channel is not None:
            refs = stored(profile.identities, adapter_of(channel.kind).phone_identity)
            senders.append(store.Sender(tuple(refs), profile.profile_name))
    store.contacts_for(session, senders)


def receive(*, session: Session, channel_id: int, inbound: InboundMessage) -> Message | None:
    """Store one inbound message (a batch of one); None when it was stored before."""
    channel = session.get(Channel, channel_id)
    assert channel is not None
    work = Work()
    work.add(channel, ParsedEvents(messages=(without_nul(inbound),)))
    new = apply(session=session, work=work)
    return session.get(Message, new[0].message_id) if new else None


@dataclass(frozen=True, slots=True)
class ClaimedEvent:
    """What processing needs of a claimed webhook event (the claim returns it: no second read)."""

    id: int
    channel_id: int
    endpoint: str
    body: bytes
    attempts: int


def parse(*, session: Session, event: ClaimedEvent, known: dict[int, tuple[Channel, ChannelConfig]]
          ) -> tuple[Channel, ParsedEvents]:
    """The event's channel and what its body says; `known` keeps each channel and its config for a batch."""
    if event.channel_id not in known:
        channel = session.get(Channel, event.channel_id)
        if channel is None:
            raise ParseError(f"channel {event.channel_id} no longer exists")
        known[event.channel_id] = (channel, as_config(channel))
    channel, config = known[event.channel_id]
    adapter = adapter_of(channel.kind)
    parsed = adapter.parse(config, event.body, event.endpoint)
    if parsed.foreign:  # signed with a shared app secret, but for another channel: never stored as this one's
        metrics.FOREIGN_ENTRIES.labels(adapter.provider).inc(parsed.foreign)
        log.warning("webhook event %s on channel %s: %d part(s) for another %s number or account ignored",
                    event.id, channel.id, parsed.foreign, adapter.provider)
    return channel, without_nul(parsed) if may_hold_nul(event.body) else parsed


def claim(*, session: Session, limit: int = 500) -> list[ClaimedEvent]:
    """Claim unprocessed events for this worker (others skip them) and commit the claim, in one statement.

    The attempt is counted and committed before the work, so an event that kills its worker every time
    still runs out of attempts."""
    now, table = utcnow(), WebhookEvent.__table__  # type: ignore[attr-defined]
    due = (select(table.c.id).where(table.c.processed_at.is_(None), table.c.channel_id != 0,  # 0: not a channel's
                                    table.c.claimed_until.is_(None) | (table.c.claimed_until < now))
           .order_by(table.c.id).limit(limit).with_for_update(skip_locked=True))
    rows = session.execute(
        update(table).where(table.c.id.in_(due))
        .values(claimed_until=now + LEASE, attempts=table.c.attempts + 1)
        .returning(table.c.id, table.c.channel_id, table.c.endpoint, table.c.body, table.c.attempts)).all()
    session.commit()
    return sorted((ClaimedEvent(row.id, row.channel_id, row.endpoint, bytes(row.body), row.attempts)
                   for row in rows), key=lambda event: event.id)


def process_claimed(*, session: Session, events: list[ClaimedEvent]) -> tuple[int, int]:
    """Process claimed events as one batch; if the batch fails, one by one to isolate the culprit.

    Returns (done, failed).
    """
    work, parsed_ok, failed = Work(), [], 0
    known: dict[int, tuple[Channel, ChannelConfig]] = {}
    for event in events:
        try:
            channel, parsed = parse(session=session, event=event, known=known)
        except Exception as error:  # a body this code cannot read: dead at once, kept for admins
            _failed(session, event, error, final=True)
            failed += 1
            continue
        work.add(channel, parsed)
        parsed_ok.append((event, channel, parsed))
    try:
        with session.begin_nested():
            apply(session=session, work=work)
            _done(session, [event for event, _, _ in parsed_ok])
        session.commit()
        return len(parsed_ok), failed
    except Exception:
        log.exception("a batch of %d events failed; retrying them one by one", len(parsed_ok))
    done = 0
    for event, channel, parsed in parsed_ok:
        single = Work()
        single.add(channel, parsed)
        try:
            with session.begin_nested():
                apply(session=session, work=single)
                _done(session, [event])
            done += 1
        except Exception as error:
            log.exception("webhook event %s failed", event.id)
            _failed(session, event, error, final=event.attempts >= MAX_ATTEMPTS)
            failed += 1
    session.commit()
    return done, failed


def _done(session: Session, events: list[ClaimedEvent]) -> None:
    if events:
        session.execute(update(WebhookEvent).where(among(session, col(WebhookEvent.id), [e.id for e in events]))
                        .values(processed_at=utcnow(), error=None))


def _failed(session: Session, event: ClaimedEvent, error: Exception, final: bool) -> None:
    session.execute(update(WebhookEvent).where(col(WebhookEvent.id) == event.id).values(
        error=f"{type(error).__name__}: {error}"[:1000],
        processed_at=utcnow() if final else None,  # dead events stay visible with their error
        claimed_until=None if final else utcnow() + timedelta(seconds=min(300, 2 ** event.attempts)),
    ))
