"""Sending a campaign: batches of recipients claimed under a lease, each sent exactly once, throttled.

One batch (`send_batch`):

1. Claim and prepare (`flows.campaigns.prepare`): lease up to `limit` due recipients; settle, skip or
   defer those that cannot be sent now; queue the others' messages through the delivery engine.
2. Send in chunks (at most CHUNK, and at most one second of the channel's rate): take tokens from the
   channel's bucket (`hub.outbound.throttle`); then, in one transaction, record the previous chunk's
   answers (`hub.outbound.record`, and the recipients alike; before a throttle wait they are written on
   their own), check that the campaign still runs (else the rest of the batch is released to `pending`),
   claim the chunk's messages (`hub.outbound.claim`), renew the lease of the batch's other recipients
   once a third of LEASE has gone by, and commit; send concurrently (`hub.outbound.send`). A transient
   error (429, 5xx, network) puts the message back to `queued` and the recipient to `pending` with a
   backoff `due_at`; a permanent one fails both with the provider's code and reason; no answer (a
   timeout) leaves both `unknown`.

Why a recipient gets at most one provider call: the call happens only after its message moved `queued`
→ `sending` by a conditional UPDATE in a committed transaction, which one worker alone can win; a
message leaves `sending` only through a recorded answer or, after its lease, `unknown`, which nothing
resends automatically. A transient error is retried on the same message, and only when the provider
said it did not take it; a timeout says no such thing.

A worker killed while a chunk is in flight leaves at most CHUNK messages whose fate it did not write
down; they end `unknown`, as a timeout does. Where the provider says so, that is repaired: every message
carries Hub's reference (`OutboundMessage.reference`), WhatsApp echoes it on the message's status webhooks,
and a receipt naming an `unknown` message gives it its wamid and turns the recipient into `sent`
(`hub.conversations.service._adopt`, `tracking.apply_statuses`). What stays `unknown` the marketer may
send again (`service.resend_unknown`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlmodel import Session, col

from channels import SendResult, http
from flows.campaigns import announce, service
from flows.campaigns.models import Campaign, CampaignStatus, RecipientState
from flows.campaigns.prepare import LEASE, RECIPIENTS, Ready, by_id, claim, prepare
from hub import outbound
from hub.channel_records.models import Channel
from hub.outbound import throttle
from hub.runtime.db import session_scope, utcnow
from hub.runtime.settings import get_settings

log = logging.getLogger(__name__)

CHUNK = 64
BATCH_SECONDS = 30.0  # a batch holds at most this much sending at the channel's rate


@dataclass
class BatchResult:
    claimed: int = 0
    limit: int = 0
    counts: Counter[str] = field(default_factory=Counter)  # sent, failed, unknown, retried, skipped, deferred,
    # released


def batch_size(campaign: Campaign, kinds: list[str], limit: int) -> int:
    """At most `limit`, and at most BATCH_SECONDS of the slowest channel's rate (at least one chunk)."""
    slowest = min([throttle.rate_for(kind, campaign.throttle_per_second) for kind in kinds] or [throttle.FALLBACK_RATE])
    return max(1, min(limit, max(CHUNK, int(slowest * BATCH_SECONDS))))


def send_batch(campaign_id: int, limit: int = 500, on_claimed: Callable[[BatchResult], None] | None = None
               ) -> BatchResult:
    """Claim, prepare and send one batch of a running campaign's due recipients.

    `on_claimed(result)` runs once the claim is committed and before any sending: the job uses it to
    queue the next batch, so that another worker starts while this one sends."""
    result = BatchResult()
    with session_scope() as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None or campaign.status != CampaignStatus.running.value:
            return result
        kinds = list(session.execute(select(col(Channel.kind)).where(
            col(Channel.id).in_(campaign.channel_ids or [0]))).scalars())
        result.limit = batch_size(campaign, kinds, limit)
        leased_at = utcnow()  # claim leases the batch from (about) now
        rows = claim(session, campaign_id, result.limit)
        result.claimed = len(rows)
        ready, counts = prepare(session, campaign, rows)
        result.counts.update(counts)
    if on_claimed is not None:
        on_claimed(result)
    if ready:
        asyncio.run(_send_all(campaign, ready, result, leased_at))
    with session_scope() as session:
        service.finish_if_done(session, campaign_id)
    return result


async def _send_all(campaign: Campaign, ready: list[Ready], result: BatchResult, leased_at: datetime) -> None:
    with session_scope() as session:
        channels = by_id(session, Channel, [item.channel_id for item in ready])
    chunks: list[tuple[Channel, float, list[Ready]]] = []
    for channel_id, channel in channels.items():
        items = [item for item in ready if item.channel_id == channel_id]
        rate = throttle.rate_for(channel.kind, campaign.throttle_per_second)
        size = min(CHUNK, throttle.burst_for(rate))
        chunks += [(channel, rate, items[i:i + size]) for i in range(0, len(items), size)]
    assert campaign.id is not None
    lease, held = _Lease(leased_at), _Held()
    try:
        # keep-alive connections for the whole batch, under the same address policy as every channel's sends
        async with http.pooled(connections=CHUNK, allow_private=get_settings().allow_private_urls):
            for index, (channel, rate, items) in enumerate(chunks):
                waiting = [i.recipient_id for _, _, rest in chunks[index:] for i in rest]
                if not await _send_chunk(campaign.id, channel, rate, items, waiting, lease, result, held):
                    result.counts["released"] += _release([i for _, _, rest in chunks[index:] for i in rest])
                    return
    finally:
        if held.outcomes:  # the last chunk's answers (or, after an error, whatever was not written yet)
            with session_scope() as session:
                held.write(session, result)


@dataclass
class _Lease:
    """When the batch's recipients were last leased: renewed only once a third of LEASE has gone by."""

    renewed_at: datetime

    def due(self, now: datetime) -> bool:
        return now - self.renewed_at >= LEASE / 3


@dataclass
class _Held:
    """The answers of the chunk sent last, not written yet: they go into the next chunk's claim transaction
    (one commit per chunk instead of two), or on their own before a throttle wait or at the batch's end, so
    they are never held back longer than it takes to claim the next chunk."""

    channel_id: int = 0
    outcomes: list[tuple[Ready, SendResult]] = field(default_factory=list)

    def write(self, session: Session, result: BatchResult) -> None:
        if self.outcomes:
            record(session, self.channel_id, self.outcomes, result)


def _release(items: list[Ready]) -> int:
    """A paused or cancelled campaign: claimed recipients not sent yet go back to `pending`."""
    with session_scope() as session:
        session.execute(update(RECIPIENTS).where(RECIPIENTS.c.id.in_([i.recipient_id for i in items]),
                                                 RECIPIENTS.c.state == RecipientState.sending.value)
                        .values(state=RecipientState.pending.value, lease_until=None,
                                attempts=RECIPIENTS.c.attempts - 1))
    return len(items)


async def _send_chunk(campaign_id: int, channel: Channel, rate: float, items: list[Ready], waiting: list[int],
                      lease: _Lease, result: BatchResult, held: _Held) -> bool:
    """Tokens first (the wait must not eat the lease), then one transaction that writes the previous chunk's
    answers and claims this one, then the calls, whose answers are left in `held`. False, with nothing of
    this chunk claimed or sent, when the campaign is no longer running."""
    assert channel.id is not None
    wait = throttle.take(channel.id, len(items), rate)
    if wait > 0:
        if held.outcomes:
            with session_scope() as session:
                held.write(session, result)
            held.outcomes = []
        await asyncio.sleep(wait)
    now = utcnow()
    with session_scope() as session:  # the commit after which a provider call is allowed, once
        held.write(session, result)
        status = session.execute(select(col(Campaign.status)).where(col(Campaign.id) == campaign_id)).scalar()
        claimed: set[int] = set()
        if status == CampaignStatus.running.value:
            claimed = outbound.claim(session, [i.message_id for i in items], LEASE, now)
            if lease.due(now):  # the rest of the batch is still held (at full speed a batch ends long before)
                session.execute(update(RECIPIENTS).where(RECIPIENTS.c.id.in_(waiting),
                                                         RECIPIENTS.c.state == RecipientState.sending.value)
                                .values(lease_until=now + LEASE))
                lease.renewed_at = now
    held.outcomes = []
    if status != CampaignStatus.running.value:
        return False
    items = [i for i in items if i.message_id in claimed]
    if not items:
        return True
    answers = await outbound.send(channel, [item.outbound for item in items])
    held.channel_id, held.outcomes = channel.id, list(zip(items, answers, strict=True))
    return True


def record(session: Session, channel_id: int, outcomes: list[tuple[Ready, SendResult]], result: BatchResult) -> None:
    """Store a chunk's answers on its messages (through the engine) and its recipients, in a few statements."""
    judged = outbound.record(session, [outbound.Outcome(item.message_id, answer, item.attempts)
                                       for item, answer in outcomes], batched=True)
    now = utcnow()
    rows: dict[str, list[dict[str, Any]]] = {"sent": [], "failed": [], "unknown": [], "queued": []}
    for item, _answer in outcomes:
        seen = judged[item.message_id]
        rows[seen.status].append({"b_rid": item.recipient_id, "b_reason": seen.error_reason, "b_due": seen.due})
    values: dict[str, dict[str, Any]] = {
        "sent": {"state": RecipientState.sent.value, "sent_at": now, "reason": None},
        "failed": {"state": RecipientState.failed.value, "failed_at": now, "reason": bindparam("b_reason")},
        "unknown": {"state": RecipientState.unknown.value, "reason": bindparam("b_reason")},
        "queued": {"state": RecipientState.pending.value, "due_at": bindparam("b_due")},
    }
    r = RECIPIENTS.c
    for status, batch in rows.items():
        if batch and status == "sent":  # the common case: one statement
            session.execute(update(RECIPIENTS).where(r.id.in_([row["b_rid"] for row in batch]))
                            .values(lease_until=None, **values["sent"]))
        elif batch:
            session.execute(update(RECIPIENTS).where(r.id == bindparam("b_rid"))
                            .values(lease_until=None, **values[status]), batch)
        result.counts["retried" if status == "queued" else status] += len(batch)
        if batch and status != "queued":
            announce.recipients(session, status, [row["b_rid"] for row in batch],
                                {row["b_rid"]: row["b_reason"] for row in batch})
