"""The one delivery engine: every outbound message (a reply, a broadcast, a flow's or a bot's, a system
notice) is queued, claimed, sent and recorded here, set-based, a single message being a list of one.

1. `enqueue(drafts)`: store messages `queued`, each with its `sender` kind and the sender's reference
   (`client_key`: the same key in a conversation is the same message, so a re-run stores nothing new).
2. `claim(ids)`: `queued` → `sending` under a lease, by a conditional UPDATE the caller commits before
   calling the provider: one worker alone can win a message, so the provider is called once. The hard gate
   of bots is here: a bot's message on a conversation a person answers (`automation_mode` `human`) is never
   claimed; it fails (`human_mode`) instead, however late the person took over (only what a bot queued up to
   its own handoff still goes: `taken_by_person`).
3. `send(channel, messages)`: through the channel's adapter, concurrently; an adapter's exception becomes
   a failed result.
4. `record(outcomes)`: what the provider said, in a few statements. Sent: its provider id. Refused for good
   (or too many attempts): `failed` with the provider's code and reason. Refused for now (429, 5xx, network
   before the request left): `queued` again, held until its backoff ends. No answer (a timeout): `unknown`.

"We don't know" has one meaning: the provider may have taken a message that is `unknown`, so nothing sends
it again by itself. A worker that died holding a message (`sending` past its lease) leaves it `unknown`
too (`mark_lapsed`). A receipt settles it: its provider id, or Hub's reference (`reference_of`, which
WhatsApp echoes as `biz_opaque_callback_data` and Twilio's status callback URL carries), see
`hub.conversations.service.apply_receipts`. Otherwise a person decides: `hub.conversations.actions.resend`
for a reply, the campaign's resend for a broadcast; either sends a new message.

Not here: what may be sent to whom (opt-outs, the 24-hour window: `hub.conversations.outbound` for replies,
`flows.campaigns.prepare` for broadcasts) and when (`hub.outbound.throttle`, the channel's rate).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import String, bindparam, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from channels import OutboundMessage, SendResult
from channels.retry import backoff_seconds
from hub.channel_records.models import Channel
from hub.channel_records.service import adapter_of, as_config
from hub.conversations.models import AutomationMode, Conversation, Message, MessageStatus, PendingReceipt
from hub.conversations.service import INTERRUPTED, apply_pending_receipts
from hub.runtime import events
from hub.runtime.db import rows_by_pairs, set_by_id, utcnow

log = logging.getLogger(__name__)

MESSAGES = Message.__table__  # type: ignore[attr-defined]
CONVERSATIONS = Conversation.__table__  # type: ignore[attr-defined]
PENDING = PendingReceipt.__table__  # type: ignore[attr-defined]
MAX_SEND_ATTEMPTS = 6
TIMEOUT = "timeout"
NO_ANSWER = "the provider did not answer in time; it may have gone out, so it is not sent again by itself"
DIED = "the worker stopped while sending; it may have gone out, so it is not sent again by itself"
RESENT = "resent"
"""The error code of an `unknown` message a person has sent again: its resend is a new message."""


class Sender(StrEnum):
    """Who queued a message. A `broadcast`'s messages are claimed by its campaign in batches; the others'
    one by one by the `send_message` job (which the sweeper re-enqueues when Redis lost it)."""

    reply = "reply"
    broadcast = "broadcast"
    flow = "flow"
    bot = "bot"
    system = "system"


BATCHED = (Sender.broadcast.value,)
AUTOMATED = (Sender.bot.value,)
"""Senders that answer for the shop automatically: never sent on a conversation in `human` mode."""
HUMAN_MODE = "human_mode"
TAKEN = "a person answers this conversation now; the bot's message was not sent"


@dataclass
class Draft:
    """A message to queue."""

    conversation_id: int
    channel_id: int
    kind: str = "text"
    text: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    sender: str = Sender.reply.value
    client_key: str | None = None
    author_id: int | None = None


@dataclass(frozen=True)
class Outcome:
    """A provider's answer for one claimed message."""

    message_id: int
    result: SendResult
    attempts: int = 1


@dataclass(frozen=True)
class Recorded:
    """What `record` made of an outcome: the status, and for a message queued again when it is due."""

    status: str
    due: datetime | None = None
    error_reason: str | None = None


def _insert(session: Session) -> Any:
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(MESSAGES)


def enqueue(session: Session, drafts: Sequence[Draft], now: datetime | None = None) -> list[tuple[int, bool]]:
    """Store `drafts` as `queued` outbound messages: (id, created) for each, in order. A client key already
    stored in the conversation gives that message back (created False). Emits nothing: the caller says
    what a new message means (a reply announces it, a broadcast does not)."""
    if not drafts:
        return []
    now = now or utcnow()

    def row(draft: Draft) -> dict[str, Any]:
        return {"conversation_id": draft.conversation_id, "channel_id": draft.channel_id, "direction": "outbound",
                "kind": draft.kind, "text": draft.text, "payload": draft.payload, "sender": draft.sender,
                "client_key": draft.client_key, "author_id": draft.author_id, "status": MessageStatus.queued.value,
                "attempts": 0, "lease_until": None, "created_at": now, "occurred_at": now}

    keyed = [draft for draft in drafts if draft.client_key is not None]
    ids: dict[tuple[int, str | None], tuple[int, bool]] = {}
    if keyed:
        stored = session.execute(
            _insert(session).on_conflict_do_nothing(index_elements=["conversation_id", "client_key"])
            .returning(MESSAGES.c.conversation_id, MESSAGES.c.client_key, MESSAGES.c.id),
            [row(draft) for draft in keyed]).all()
        ids.update(((found.conversation_id, found.client_key), (found.id, True)) for found in stored)
        before = [(d.conversation_id, d.client_key) for d in keyed if (d.conversation_id, d.client_key) not in ids]
        ids.update(((found.conversation_id, found.client_key), (found.id, False)) for found in rows_by_pairs(
            session, MESSAGES, "conversation_id", "client_key", before, ("conversation_id", "client_key", "id")))
    plain = [draft for draft in drafts if draft.client_key is None]
    fresh = iter(session.execute(_insert(session).returning(MESSAGES.c.id, sort_by_parameter_order=True),
                                 [row(draft) for draft in plain]).scalars().all() if plain else [])
    return [ids[(d.conversation_id, d.client_key)] if d.client_key is not None else (next(fresh), True)
            for d in drafts]


def claim(session: Session, message_ids: Sequence[int], lease: timedelta, now: datetime | None = None) -> set[int]:
    """Move the queued ones of `message_ids` whose hold has passed to `sending` under `lease`: the ids
    claimed. The caller commits before calling the provider."""
    if not message_ids:
        return set()
    now = now or utcnow()
    m = MESSAGES.c
    taken = _refuse_taken(session, message_ids, now)
    return set(session.execute(
        update(MESSAGES).where(m.id.in_(list(message_ids)), m.status == MessageStatus.queued.value,
                               m.lease_until.is_(None) | (m.lease_until < now), ~taken)
        .values(status=MessageStatus.sending.value, lease_until=now + lease, attempts=m.attempts + 1)
        .returning(m.id)).scalars())


def taken_by_person(message: Message, conversation: Conversation) -> bool:
    """The gate for one message already loaded: a bot's message that a person's takeover silenced."""
    return (message.sender in AUTOMATED and conversation.automation_mode == AutomationMode.human.value
            and (conversation.handed_off_at is None or conversation.handed_off_at < message.created_at))


def _refuse_taken(session: Session, message_ids: Sequence[int], now: datetime) -> Any:
    """Bots' queued messages on conversations a person answers fail (announced); the condition that says so,
    repeated in the claim itself so that nothing slips between the two statements."""
    m, c = MESSAGES.c, CONVERSATIONS.c
    # a bot's own last words before its handoff (queued at or before `handed_off_at`) still go
    taken = m.sender.in_(AUTOMATED) & exists().where(
        c.id == m.conversation_id, c.automation_mode == AutomationMode.human.value,
        c.handed_off_at.is_(None) | (c.handed_off_at < m.created_at))
    refused = session.execute(update(MESSAGES).where(
        m.id.in_(list(message_ids)), m.status == MessageStatus.queued.value, taken)
        .values(status=MessageStatus.failed.value, failed_at=now, lease_until=None, error_code=HUMAN_MODE,
                error_reason=TAKEN).returning(m.id, m.conversation_id, m.sender)).all()
    for row in refused:
        events.emit(session, events.MESSAGE_STATUS, message_id=row.id, conversation_id=row.conversation_id,
                    status=MessageStatus.failed.value, error_code=HUMAN_MODE, error_reason=TAKEN, sender=row.sender)
    return taken


async def send(channel: Channel, messages: Sequence[OutboundMessage]) -> list[SendResult]:
    """Each message through the channel's adapter, concurrently; the answers in order."""
    config, adapter = as_config(channel), adapter_of(channel.kind)

    async def one(message: OutboundMessage) -> SendResult:
        try:
            return await adapter.send(config, message)
        except Exception as error:  # an adapter bug must not leave a claimed message unrecorded
            log.exception("a send raised")
            return SendResult(ok=False, error_code="error", error_reason=str(error)[:300], permanent=True)

    return list(await asyncio.gather(*(one(message) for message in messages)))


def judge(outcome: Outcome, now: datetime) -> Recorded:
    """The status an answer leaves its message in (see the module docstring)."""
    answer = outcome.result
    if answer.ok:
        return Recorded(MessageStatus.sent.value)
    if answer.error_code == TIMEOUT:
        return Recorded(MessageStatus.unknown.value, error_reason=NO_ANSWER)
    reason = (answer.error_reason or "the provider refused the message")[:300]
    if answer.permanent or outcome.attempts >= MAX_SEND_ATTEMPTS:
        return Recorded(MessageStatus.failed.value, error_reason=reason)
    due = now + timedelta(seconds=backoff_seconds(outcome.attempts, answer.retry_after))
    return Recorded(MessageStatus.queued.value, due=due, error_reason=(answer.error_reason or "")[:300])


def record(session: Session, outcomes: Sequence[Outcome], now: datetime | None = None, *, batched: bool = False
           ) -> dict[int, Recorded]:
    """Store the providers' answers on their messages in a few statements; what each became, by id.

    Only a message still `sending` (or `unknown`, when the sweeper judged its worker dead too early) takes
    its answer. A new status is announced (MESSAGE_STATUS), except a broadcast's `sent`: its recipient row
    says it, and 100,000 events would cost the tracking listener a transaction each. `batched`: the caller
    says every message is a broadcast's, which spares looking their senders up."""
    if not outcomes:
        return {}
    now = now or utcnow()
    judged = {outcome.message_id: judge(outcome, now) for outcome in outcomes}
    answers = {outcome.message_id: outcome.result for outcome in outcomes}
    m = MESSAGES.c
    # no IN here: an executemany cannot expand a list
    held = (m.status == MessageStatus.sending.value) | (m.status == MessageStatus.unknown.value)
    sent = {mid: answers[mid].provider_message_id for mid, seen in judged.items() if seen.status == "sent"}
    if sent:
        set_by_id(session, MESSAGES, "provider_message_id", sent, status=MessageStatus.sent.value, sent_at=now,
                  lease_until=None, error_code=None, error_reason=None)
    values: dict[str, dict[str, Any]] = {
        "failed": {"status": MessageStatus.failed.value, "failed_at": now, "lease_until": None},
        "unknown": {"status": MessageStatus.unknown.value, "lease_until": None},
        "queued": {"status": MessageStatus.queued.value, "lease_until": bindparam("b_due")},
    }
    for status, constant in values.items():
        rows = [{"b_mid": mid, "b_code": answers[mid].error_code, "b_reason": seen.error_reason, "b_due": seen.due}
                for mid, seen in judged.items() if seen.status == status]
        if rows:
            session.execute(update(MESSAGES).where(m.id == bindparam("b_mid"), held).values(
                error_code=bindparam("b_code"), error_reason=bindparam("b_reason"), **constant), rows)
    _apply_early_receipts(session, [mid for mid, pid in sent.items() if pid])
    _announce(session, {mid: seen for mid, seen in judged.items()
                        if seen.status != "queued" and not (batched and seen.status == "sent")}, answers)
    return judged


def _announce(session: Session, judged: dict[int, Recorded], answers: dict[int, SendResult]) -> None:
    if not judged:
        return
    m = MESSAGES.c
    for mid, conversation_id, sender in session.execute(
            select(m.id, m.conversation_id, m.sender).where(m.id.in_(sorted(judged)))).all():
        seen = judged[mid]
        if seen.status == "sent" and sender in BATCHED:
            continue
        failed = seen.status != "sent"
        events.emit(session, events.MESSAGE_STATUS, message_id=mid, conversation_id=conversation_id,
                    status=seen.status, error_code=answers[mid].error_code if failed else None,
                    error_reason=seen.error_reason if failed else None, sender=sender)


def _apply_early_receipts(session: Session, message_ids: list[int]) -> None:
    """Receipts that came before their message's provider id was stored: one query finds the rare ones."""
    if not message_ids:
        return
    m, p = MESSAGES.c, PENDING.c
    early = session.execute(select(m.id).distinct().join_from(
        MESSAGES, PENDING, (p.channel_id == m.channel_id) & (p.provider_message_id == m.provider_message_id))
        .where(m.id.in_(message_ids))).scalars().all()
    for message_id in sorted(early):
        message = session.get(Message, message_id)
        if message is not None:
            apply_pending_receipts(session=session, message=message)


def fail(session: Session, message_ids: Sequence[int], code: str, reason: str, now: datetime | None = None, *,
         announce: bool = True) -> list[int]:
    """Messages that will not be sent after all (no address, an opt-out), while still queued or held:
    `failed` with a code and a reason, announced unless the sender says so itself. The ids that moved."""
    if not message_ids:
        return []
    m = MESSAGES.c
    moved = session.execute(update(MESSAGES).where(
        m.id.in_(list(message_ids)), m.status.in_((MessageStatus.queued.value, MessageStatus.sending.value)))
        .values(status=MessageStatus.failed.value, failed_at=now or utcnow(), lease_until=None,
                error_code=code[:40], error_reason=reason[:500])
        .returning(m.id, m.conversation_id, m.sender)).all()
    for row in moved if announce else ():
        events.emit(session, events.MESSAGE_STATUS, message_id=row.id, conversation_id=row.conversation_id,
                    status=MessageStatus.failed.value, error_code=code, error_reason=reason, sender=row.sender)
    return [row.id for row in moved]


def mark_lapsed(session: Session, now: datetime | None = None, *, message_ids: Sequence[int] | None = None
                ) -> list[int]:
    """Messages whose worker died while sending (`sending` past its lease; or `message_ids`, whose sender
    knows it) become `unknown`: it may have called the provider. Announced; the ids."""
    now = now or utcnow()
    m = MESSAGES.c
    if message_ids is not None and not message_ids:
        return []
    which = m.lease_until < now if message_ids is None else m.id.in_(list(message_ids))
    moved = session.execute(update(MESSAGES).where(m.status == MessageStatus.sending.value, which)
                            .values(status=MessageStatus.unknown.value, lease_until=None, error_code=INTERRUPTED,
                                    error_reason=DIED)
                            .returning(m.id, m.conversation_id, m.sender)).all()
    for row in moved:
        events.emit(session, events.MESSAGE_STATUS, message_id=row.id, conversation_id=row.conversation_id,
                    status=MessageStatus.unknown.value, error_code=INTERRUPTED, error_reason=DIED, sender=row.sender)
    return [row.id for row in moved]


def due_for_job(session: Session, older_than: datetime, now: datetime, limit: int = 1000) -> list[int]:
    """Queued messages of one-by-one senders that nobody took (Redis lost their job), hold passed."""
    m = MESSAGES.c
    return list(session.execute(select(m.id).where(
        m.status == MessageStatus.queued.value, m.sender.not_in(BATCHED), m.created_at < older_than,
        m.lease_until.is_(None) | (m.lease_until < now)).limit(limit)).scalars())


def mark_resent(session: Session, message_ids: Sequence[int]) -> None:
    """`unknown` messages a person sent again: they stay `unknown` (a late receipt may still settle them),
    and are offered for resending no more. Their client keys are freed for the new messages."""
    if not message_ids:
        return
    m = MESSAGES.c
    session.execute(update(MESSAGES).where(m.id.in_(list(message_ids))).values(
        error_code=RESENT, client_key=m.client_key + ":was:" + m.id.cast(String)))


def release_keys(session: Session, message_ids: Sequence[int], why: str) -> None:
    """Free the client keys of messages a sender replaces (`broadcast:{recipient}` for its new message)."""
    if message_ids:
        m = MESSAGES.c
        session.execute(update(MESSAGES).where(m.id.in_(list(message_ids))).values(
            client_key=m.client_key + f":{why}:" + m.id.cast(String)))
