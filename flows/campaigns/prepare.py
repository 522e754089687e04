"""Claiming and preparing a batch of a campaign's recipients, for `sender` to send.

1. Claim: one statement moves up to `limit` due recipients (`pending` whose `due_at` passed, or
   `sending` whose lease ran out because a worker died) to `sending` under a lease (`FOR UPDATE SKIP
   LOCKED` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` serialises writers).
2. Prepare, in the same transaction: a recipient whose message already left `queued` is settled from
   it (sent, failed, or `failed: interrupted`); an opted-out contact (the newest consent on the channel,
   so a STOP that arrived mid-campaign counts) is `skipped: opted out`, and one without an opt-in on a channel
   that requires it is skipped too; a contact inside the quiet hours (their own time zone; unknown: the
   shop's and their phone's, see `consent`) goes back to `pending`, due when they end; the others get their
   conversation and their outbound message, queued through the delivery engine (`hub.outbound.enqueue`,
   sender `broadcast`, client key `broadcast:{recipient id}`: a re-run finds the same one), all in a few
   set-based statements.

Broadcast messages are the engine's `broadcast` sender: no `send_message` job exists for them and the
sweeper does not re-enqueue them; only `sender` claims them, by id, through the engine. The sweeper does
see them once `sending`: a lapsed lease there means a dead worker, and it leaves them `unknown`, as this
module does. New conversations are created `resolved` and without CONVERSATION_OPENED: a broadcast is no
work for an agent; the customer's answer reopens (and assigns) the conversation as any inbound message does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, bindparam, select, update
from sqlmodel import Session, col

from channels import IdentityRef, OutboundMessage
from channels.base import Adapter
from flows.campaigns import announce, personalise, service
from flows.campaigns.consent import SKIP_NO_CONSENT, consent_required, phone_zones_of, safe_moment
from flows.campaigns.models import Campaign, Recipient, RecipientState
from hub import outbound
from hub.channel_records.models import Channel
from hub.channel_records.service import adapter_of
from hub.contacts.models import ChannelIdentity, Consent, Contact
from hub.conversations import outbound as replies
from hub.conversations import store
from hub.conversations.models import Message, MessageStatus
from hub.conversations.service import INTERRUPTED
from hub.runtime.db import set_by_id, utcnow

LEASE = timedelta(seconds=30)  # of a claimed recipient and of a message being sent; each chunk renews it
RECIPIENTS = Recipient.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Ready:
    """A recipient whose message is stored and addressed, waiting for its chunk."""

    recipient_id: int
    message_id: int
    conversation_id: int
    channel_id: int
    attempts: int
    outbound: OutboundMessage


def claim(session: Session, campaign_id: int, limit: int) -> list[Row[Any]]:
    """Move up to `limit` due recipients (lapsed leases first) to `sending` under a lease."""
    now, r = utcnow(), RECIPIENTS.c
    rows: list[Row[Any]] = []
    for due in ((r.state == RecipientState.sending.value) & (r.lease_until < now),
                (r.state == RecipientState.pending.value) & (r.due_at.is_(None) | (r.due_at <= now))):
        if len(rows) >= limit:
            break
        ids = (select(r.id).where(r.campaign_id == campaign_id, due).limit(limit - len(rows))
               .with_for_update(skip_locked=True))
        rows += session.execute(
            update(RECIPIENTS).where(r.id.in_(ids))
            .values(state=RecipientState.sending.value, lease_until=now + LEASE, attempts=r.attempts + 1)
            .returning(r.id, r.contact_id, r.channel_id, r.message_id, r.attempts)).all()
    return rows


def prepare(session: Session, campaign: Campaign, rows: Sequence[Row[Any]]) -> tuple[list[Ready], Counter[str]]:
    """Settle, skip, defer or fail what cannot be sent now; store and address the messages of the rest."""
    outcome = _Outcome()
    if not rows:
        return [], outcome.counts
    now = utcnow()
    recipients = by_id(session, Recipient, [row.id for row in rows])
    messages = by_id(session, Message, [row.message_id for row in rows if row.message_id])
    live = []
    for row in rows:
        message = messages.get(row.message_id)
        if message is not None and message.status != MessageStatus.queued.value:
            outcome.settle(row, message)
        elif row.channel_id is None:
            outcome.fail(row, "no channel to send on")
        else:
            live.append(row)
    contacts = by_id(session, Contact, [row.contact_id for row in live])
    channels = by_id(session, Channel, [row.channel_id for row in live])
    consent = _latest_consent(session, live)
    identities = _identities(session, [row.contact_id for row in live])
    fallback = service.zone_of(service.shop_zone(session)) or ZoneInfo("UTC")
    addressed: list[tuple[Row[Any], IdentityRef]] = []
    for row in live:
        channel = channels[row.channel_id]
        ref = _address(adapter_of(channel.kind), identities.get(row.contact_id, []))
        zone = service.zone_of(contacts[row.contact_id].timezone)
        if zone is not None:
            due = service.out_of_quiet_hours(now, zone, campaign.quiet_start, campaign.quiet_end)
        else:  # unknown: daytime in the shop's zone and all of their phone's (see `consent`)
            phone = next((i.phone for i in identities.get(row.contact_id, []) if i.phone), None)
            due = safe_moment(now, [fallback, *phone_zones_of(phone)], campaign.quiet_start, campaign.quiet_end)
        latest = consent.get((row.contact_id, row.channel_id))
        if latest == "opted_out":
            outcome.skip(row, service.SKIP_OPTED_OUT, messages.get(row.message_id))
        elif latest != "opted_in" and consent_required(channel):
            outcome.skip(row, SKIP_NO_CONSENT, messages.get(row.message_id))
        elif due > now:
            outcome.defer(row, due)
        elif ref is None:
            outcome.fail(row, f"the contact has no address this {channel.kind} channel can send to")
        else:
            addressed.append((row, ref))
    fresh = [row for row, _ in addressed if row.message_id not in messages]
    conversations = store.conversations_for(session, {(row.contact_id, row.channel_id) for row in fresh}, quiet=True)
    windows = personalise.open_windows(session, [(row.contact_id, channels[row.channel_id]) for row in fresh])
    new: dict[int, _NewMessage] = {}
    for row in fresh:
        try:
            kind, text, payload = personalise.message_for(
                session, campaign, recipients[row.id], contacts[row.contact_id], channels[row.channel_id],
                window=windows[(row.contact_id, row.channel_id)])
        except Exception as error:  # the personaliser's word: this recipient cannot be sent to
            outcome.fail(row, str(getattr(error, "reason", "") or error or type(error).__name__))
            continue
        new[row.id] = _NewMessage(conversation_id=conversations[(row.contact_id, row.channel_id)].id,
                                  channel_id=row.channel_id, kind=kind, text=text, payload=payload,
                                  client_key=f"broadcast:{row.id}")
    _enqueue(session, new, now)
    ready = [Ready(row.id, message.id, message.conversation_id, row.channel_id, row.attempts,
                   replies.as_outbound(message, ref))  # type: ignore[arg-type]
             for row, ref in addressed if (message := messages.get(row.message_id) or new.get(row.id)) is not None
             and message.id is not None]
    outcome.apply(session, now)
    return ready, outcome.counts


@dataclass
class _NewMessage:
    """A broadcast message about to be inserted: what `outbound.as_outbound` reads of a Message, without
    building an ORM object per recipient."""

    conversation_id: int
    channel_id: int
    kind: str
    text: str | None
    payload: dict[str, Any]
    client_key: str
    id: int | None = None


class _Outcome:
    """What prepare decided for recipients that are not sent now, written in a few statements."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.rows: dict[str, list[dict[str, Any]]] = {"sent": [], "failed": [], "unknown": [], "skipped": [],
                                                      "deferred": []}
        self.messages_skipped: dict[str, list[int]] = {}
        self.messages_lapsed: list[int] = []

    def settle(self, row: Row[Any], message: Message) -> None:
        if message.status in (MessageStatus.sent.value, MessageStatus.delivered.value, MessageStatus.read.value):
            self._add("sent", row, at=message.sent_at or utcnow())
            return
        if message.status in (MessageStatus.sending.value, MessageStatus.unknown.value):  # its worker died
            if message.status == MessageStatus.sending.value:  # holding it: the provider may have it
                self.messages_lapsed.append(message.id or 0)
            self._add("unknown", row, reason=INTERRUPTED if message.status == MessageStatus.sending.value
                      else (message.error_code or INTERRUPTED))
            return
        reason = INTERRUPTED if message.error_code == INTERRUPTED else (message.error_reason or "failed")
        self._add("failed", row, reason=reason)

    def fail(self, row: Row[Any], reason: str) -> None:
        self._add("failed", row, reason=reason[:300])

    def skip(self, row: Row[Any], reason: str, message: Message | None) -> None:
        if message is not None:
            self.messages_skipped.setdefault(reason, []).append(message.id or 0)
        self._add("skipped", row, reason=reason)

    def defer(self, row: Row[Any], due: datetime) -> None:
        self._add("deferred", row, at=due)

    def _add(self, what: str, row: Row[Any], reason: str | None = None, at: datetime | None = None) -> None:
        self.rows[what].append({"b_rid": row.id, "b_reason": reason, "b_at": at})
        self.counts[what] += 1

    def apply(self, session: Session, now: datetime) -> None:
        r = RECIPIENTS.c
        by_id = r.id == bindparam("b_rid")
        values: dict[str, dict[str, Any]] = {
            "sent": {"state": RecipientState.sent.value, "sent_at": bindparam("b_at"), "reason": None},
            "failed": {"state": RecipientState.failed.value, "failed_at": now, "reason": bindparam("b_reason")},
            "unknown": {"state": RecipientState.unknown.value, "reason": bindparam("b_reason")},
            "skipped": {"state": RecipientState.skipped.value, "reason": bindparam("b_reason")},
            "deferred": {"state": RecipientState.pending.value, "due_at": bindparam("b_at"),
                         "attempts": r.attempts - 1},
        }
        for what, rows in self.rows.items():
            if rows:
                session.execute(update(RECIPIENTS).where(by_id).values(lease_until=None, **values[what]), rows)
            if rows and what != "deferred":
                announce.recipients(session, what, [row["b_rid"] for row in rows],
                                    {row["b_rid"]: row["b_reason"] for row in rows})
        for reason, message_ids in self.messages_skipped.items():  # hub's messages change through hub
            outbound.fail(session, message_ids, "opted_out", reason, now, announce=False)
        outbound.mark_lapsed(session, now, message_ids=self.messages_lapsed)


def by_id(session: Session, model: Any, ids: list[int]) -> dict[Any, Any]:
    if not ids:
        return {}
    return {item.id: item for item in session.execute(select(model).where(model.id.in_(set(ids)))).scalars()}


def _latest_consent(session: Session, rows: list[Row[Any]]) -> dict[tuple[int, int], str]:
    """The newest consent of each (contact, channel) of the batch."""
    if not rows:
        return {}
    latest: dict[tuple[int, int], str] = {}
    for contact_id, channel_id, status in session.execute(
            select(col(Consent.contact_id), col(Consent.channel_id), col(Consent.status))
            .where(col(Consent.contact_id).in_({row.contact_id for row in rows}),
                   col(Consent.channel_id).in_({row.channel_id for row in rows}))
            .order_by(col(Consent.created_at), col(Consent.id))):
        latest[(contact_id, channel_id)] = status
    return latest


def _identities(session: Session, contact_ids: list[int]) -> dict[int, list[ChannelIdentity]]:
    found: dict[int, list[ChannelIdentity]] = {}
    if contact_ids:
        for identity in session.execute(select(ChannelIdentity).where(
                ChannelIdentity.contact_id.in_(set(contact_ids))).order_by(ChannelIdentity.id)).scalars():  # type: ignore[attr-defined,arg-type]
            found.setdefault(identity.contact_id, []).append(identity)
    return found


def _address(adapter: Adapter, identities: list[ChannelIdentity]) -> IdentityRef | None:
    """Where to send, by the rule of `outbound.build_outbound` (the number written from on this kind first)."""
    for kind in adapter.identity_kinds:
        if kind == "phone":
            phones = [i for i in identities if i.kind == adapter.phone_identity and i.phone]
            phones += [i for i in identities if i.phone and i not in phones]
            if phones:
                return IdentityRef(kind="phone", value=phones[0].phone or "")
            continue
        for identity in identities:
            if identity.kind == kind:
                return IdentityRef(kind=kind, value=identity.value)  # type: ignore[arg-type]
    return None


def _enqueue(session: Session, new: dict[int, _NewMessage], now: datetime) -> None:
    """Queue the batch's messages through the engine (a key already stored gives the first run's message)
    and link each recipient to its own."""
    if not new:
        return
    stored = outbound.enqueue(session, [outbound.Draft(
        conversation_id=m.conversation_id, channel_id=m.channel_id, kind=m.kind, text=m.text, payload=m.payload,
        sender=outbound.Sender.broadcast.value, client_key=m.client_key) for m in new.values()], now)
    for message, (message_id, _) in zip(new.values(), stored, strict=True):
        message.id = message_id
    set_by_id(session, RECIPIENTS, "message_id", {rid: m.id for rid, m in new.items()})
