"""Retention: raw webhook bodies and customers' media files are kept only so long after processing.

`HUB_WEBHOOK_RETENTION_DAYS` and `HUB_MEDIA_RETENTION_DAYS` (30 each; 0 keeps them forever). A processed
webhook event older than that is deleted (messages are unique on the provider's id, so a very late
provider retry still changes nothing); a media file not written or re-received for that long is
deleted and the attachments that pointed at it are marked `expired`. Safe to run again at any time.

On PostgreSQL webhook_event is partitioned by month: a month wholly past the retention whose events are all
processed is dropped as a table (no row-by-row delete, no bloat); the rest are deleted row by row with their
keys in webhook_event_key.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from sqlalchemy import Text, cast, delete, select, text
from sqlmodel import Session, col

from hub.conversations.models import Message
from hub.media import service as media
from hub.runtime import Periodic, partitions
from hub.runtime.db import as_utc, session_scope, utcnow
from hub.runtime.inbox import PARTITIONS
from hub.runtime.settings import get_settings
from hub.webhooks.models import WebhookEvent

EVERY_SECONDS = 3600


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Delete what is past its retention; counts of what went."""
    moment = as_utc(now or utcnow())
    settings = get_settings()
    done = {"webhook_months": 0, "webhook_bodies": 0, "media_files": 0}
    with session_scope() as session:
        if settings.webhook_retention_days:
            cutoff = moment - timedelta(days=settings.webhook_retention_days)
            done["webhook_months"], done["webhook_bodies"] = _expire_webhooks(session, cutoff)
        if settings.media_retention_days:
            cutoff = moment - timedelta(days=settings.media_retention_days)
            done["media_files"] = _expire_media(session, cutoff.timestamp())
    return done


GONE_WITH_KEYS = text(
    "WITH gone AS (DELETE FROM webhook_event WHERE processed_at IS NOT NULL AND processed_at < :cutoff "
    "RETURNING provider, channel_id, event_id), keys AS (DELETE FROM webhook_event_key k USING gone "
    "WHERE k.provider = gone.provider AND k.channel_id = gone.channel_id AND k.event_id = gone.event_id) "
    "SELECT count(*) FROM gone")


def _expire_webhooks(session: Session, cutoff: datetime) -> tuple[int, int]:
    """(months dropped, events deleted one by one) of those processed before `cutoff`."""
    if session.get_bind().dialect.name != "postgresql":
        return 0, int(session.execute(delete(WebhookEvent).where(  # type: ignore[attr-defined]
            col(WebhookEvent.processed_at).is_not(None), col(WebhookEvent.processed_at) < cutoff)).rowcount or 0)
    stamp = cutoff.isoformat()
    dropped = partitions.drop_before(session.connection(), PARTITIONS, cutoff, keep=(
        f"processed_at IS NULL OR processed_at >= '{stamp}'::timestamptz",))
    return len(dropped), int(session.execute(GONE_WITH_KEYS, {"cutoff": cutoff}).scalar_one())


def _expire_media(session: Session, cutoff: float) -> int:
    root = media.media_dir()
    if not root.exists():
        return 0
    removed = 0
    for path in sorted(root.glob("??/*")):
        if path.suffix or path.stat().st_mtime >= cutoff:
            continue  # `.part`: being written now
        key = path.name
        for message in session.execute(select(Message).where(cast(col(Message.payload), Text).contains(key))
                                       ).scalars():
            attachments = [{**a, "status": "expired"} if a.get("key") == key else a
                           for a in message.payload.get("attachments", [])]
            message.payload = {**message.payload, "attachments": attachments}
            session.add(message)
        os.unlink(path)
        removed += 1
    return removed


HOURLY = Periodic(sweep, every=timedelta(seconds=EVERY_SECONDS), timeout=600)
"""At most once an hour, whichever worker's sweeper gets there first."""
