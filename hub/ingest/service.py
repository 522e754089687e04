"""Turning stored webhook events into contacts, conversations, messages and receipts."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from channels import InboundMessage, ParsedEvents, ProfileUpdate
from channels.types import ParseError
from hub.channel_records.models import Channel
from hub.channel_records.service import adapter_of, as_config
from hub.consent import keywords
from hub.contacts import service as contacts
from hub.contacts.identities import stored
from hub.conversations import service as conversations
from hub.conversations.models import Message
from hub.db import utcnow
from hub.webhooks.models import WebhookEvent

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 8


def receive(*, session: Session, channel_id: int, inbound: InboundMessage) -> Message | None:
    """Store one inbound message: resolve the contact, open the conversation, insert once."""
    channel = session.get(Channel, channel_id)
    assert channel is not None
    refs = stored(inbound.identities, adapter_of(channel.kind).phone_identity)
    contact = contacts.resolve(session=session, identities=refs, profile_name=inbound.profile_name,
                               locale=inbound.locale)
    assert contact.id is not None
    conversation, _ = conversations.open_for(session=session, contact_id=contact.id, channel_id=channel_id)
    message = conversations.store_inbound(session=session, conversation=conversation, inbound=inbound)
    if message is not None and message.kind == "text":
        keywords.handle(session=session, channel=channel, conversation=conversation, message=message)
    return message


def _apply_profile(session: Session, channel_id: int, profile: ProfileUpdate) -> None:
    channel = session.get(Channel, channel_id)
    if profile.profile_name and channel is not None:
        refs = stored(profile.identities, adapter_of(channel.kind).phone_identity)
        contacts.resolve(session=session, identities=refs, profile_name=profile.profile_name)


def apply(*, session: Session, channel_id: int, parsed: ParsedEvents) -> list[Message]:
    """Apply everything one webhook body held, in order; the new messages."""
    stored = []
    for inbound in parsed.messages:
        message = receive(session=session, channel_id=channel_id, inbound=inbound)
        if message is not None:
            stored.append(message)
    for receipt in parsed.statuses:
        conversations.apply_receipt(session=session, channel_id=channel_id, receipt=receipt)
    for profile in parsed.profiles:
        _apply_profile(session, channel_id, profile)
    return stored


def process(*, session: Session, event: WebhookEvent) -> None:
    """Process one stored event. Safe to run again: messages are unique on the provider's id."""
    channel = session.get(Channel, event.channel_id)
    if channel is None:
        raise ParseError(f"channel {event.channel_id} no longer exists")
    adapter = adapter_of(channel.kind)
    parsed = adapter.parse(as_config(channel), event.body, event.endpoint)
    apply(session=session, channel_id=event.channel_id, parsed=parsed)


def claim(*, session: Session, limit: int = 200) -> list[int]:
    """Claim unprocessed events for this worker (others skip them) and commit the claim."""
    now = utcnow()
    query = (
        select(WebhookEvent.id)
        .where(col(WebhookEvent.processed_at).is_(None))
        .where((col(WebhookEvent.claimed_until).is_(None)) | (col(WebhookEvent.claimed_until) < now))
        .order_by(col(WebhookEvent.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = [int(row) for row in session.exec(query).all() if row is not None]
    if ids:
        session.execute(
            update(WebhookEvent)
            .where(col(WebhookEvent.id).in_(ids))
            .values(claimed_until=now + LEASE, attempts=col(WebhookEvent.attempts) + 1)
        )
    session.commit()
    return ids


def process_claimed(*, session: Session, event_ids: list[int]) -> tuple[int, int]:
    """Process claimed events, each in its own savepoint; commit once. (done, failed)."""
    done = failed = 0
    events = list(session.exec(select(WebhookEvent).where(col(WebhookEvent.id).in_(event_ids))
                               .order_by(col(WebhookEvent.id))))
    for event in events:
        if event.processed_at is not None:
            continue
        try:
            with session.begin_nested():
                process(session=session, event=event)
                event.processed_at = utcnow()
                event.error = None
                session.add(event)
            done += 1
        except Exception as error:  # one bad event must not block the others
            failed += 1
            log.exception("webhook event %s failed", event.id)
            event.error = f"{type(error).__name__}: {error}"[:1000]
            if event.attempts >= MAX_ATTEMPTS or isinstance(error, ParseError):
                event.processed_at = utcnow()  # dead: kept with its error for admins
            else:
                event.claimed_until = utcnow() + timedelta(seconds=min(300, 2 ** event.attempts))
            session.add(event)
    session.commit()
    return done, failed
