"""Campaign jobs on the `bulk` queue: the sweeper's `tick` starts batches, a batch queues the next.

Coalescing: `kick` queues a batch job only when the campaign's flag (a Redis SET NX with a short expiry)
is free, so ticks every few seconds do not pile up jobs. A running batch clears the flag as it starts and,
when it claimed a full batch, kicks the next one before it sends: with two workers, two batches of one
campaign run side by side, and at most one more waits in the queue. If Redis loses a job, the flag
expires and the next tick finds the due recipients in the database again.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import exists, select
from sqlmodel import col

from flows.campaigns import sender, service
from flows.campaigns.models import Campaign, CampaignStatus, Recipient, RecipientState
from hub.runtime import broker, enqueue_once, queues, release
from hub.runtime.db import session_scope, utcnow

log = logging.getLogger(__name__)

FLAG_SECONDS = 30
BATCH_TIMEOUT = 600


def _flag(campaign_id: int) -> str:
    return broker.key("campaign", campaign_id, "batch")


def kick(campaign_id: int) -> bool:
    """Queue a send batch for the campaign unless one is queued already. True when this call queued it.
    (Redis down: the database keeps the work, the next tick finds it.)"""
    return enqueue_once(queues.CAMPAIGNS, run_batch, campaign_id, key=_flag(campaign_id), hold_seconds=FLAG_SECONDS,
                        job_timeout=BATCH_TIMEOUT)


def run_batch(campaign_id: int) -> dict[str, Any]:
    """One batch of a campaign (safe to run twice: claims decide who sends what)."""
    release(_flag(campaign_id))

    def next_if_full(result: sender.BatchResult) -> None:
        if result.claimed and result.claimed >= result.limit:
            kick(campaign_id)

    result = sender.send_batch(campaign_id, on_claimed=next_if_full)
    return {"claimed": result.claimed, **result.counts}


def _due(campaign_id: int, now: Any) -> Any:
    state, due_at = col(Recipient.state), col(Recipient.due_at)
    pending = (state == RecipientState.pending.value) & (due_at.is_(None) | (due_at <= now))
    lapsed = (state == RecipientState.sending.value) & (col(Recipient.lease_until) < now)
    return exists().where(col(Recipient.campaign_id) == campaign_id, pending | lapsed)


def tick() -> dict[str, int]:
    """Scheduled campaigns whose time came start running; running ones with due recipients get a batch."""
    now = utcnow()
    with session_scope() as session:
        activated = service.activate_scheduled(session, now)
        running = list(session.execute(select(col(Campaign.id)).where(
            col(Campaign.status) == CampaignStatus.running.value)).scalars())
        due = [cid for cid in running if session.execute(select(_due(cid, now))).scalar()]
        for cid in set(running) - set(due):  # nothing due and nothing held: finished (or only deferred)
            service.finish_if_done(session, cid)
    kicked = sum(kick(cid) for cid in due)
    return {"activated": activated, "running": len(running), "kicked": kicked}
