"""`campaign.recipient`: a recipient's status changed, emitted in the transaction that changed it (so the
outgoing webhooks' outbox commits with it). Recipients change in set-based statements; these take the ids
those statements changed and read the rest in one SELECT."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from flows.campaigns.models import Recipient
from flows.journeys.announce import RUN_FINISHED
from hub.runtime import events

RECIPIENT_CHANGED = "campaign.recipient"
"""data recipient_id, campaign_id, contact_id, status (sent, failed, unknown, skipped, delivered, read, replied,
clicked, converted) and reason (failures and skips)."""


def keep_off_live() -> None:
    """A hook in the flows' record: a broadcast's news per recipient is for listeners and webhooks, not the live
    inbox; nor is a journey run's end."""
    events.keep_off_live(RECIPIENT_CHANGED, RUN_FINISHED)


def recipients(session: Session, status: str, ids: Sequence[int], reasons: Mapping[int, str | None] | None = None
               ) -> None:
    """Emit the change of these recipients to `status`."""
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), 1000):
        rows = session.execute(select(col(Recipient.id), col(Recipient.campaign_id), col(Recipient.contact_id))
                               .where(col(Recipient.id).in_(wanted[start:start + 1000]))
                               .order_by(col(Recipient.id))).all()
        for recipient_id, campaign_id, contact_id in rows:
            events.emit(session, RECIPIENT_CHANGED, recipient_id=recipient_id, campaign_id=campaign_id,
                        contact_id=contact_id, status=status, reason=(reasons or {}).get(recipient_id or 0))
