"""Retention: raw webhook bodies and customers' media files are kept only so long after processing.

`HUB_WEBHOOK_RETENTION_DAYS` and `HUB_MEDIA_RETENTION_DAYS` (30 each; 0 keeps them forever). A processed
webhook event older than that is deleted (messages are unique on the provider's id, so a very late
provider retry still changes nothing); a media file not written or re-received for that long is
deleted and the attachments that pointed at it are marked `expired`. Safe to run again at any time.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from sqlalchemy import Text, cast, delete, select
from sqlmodel import Session, col

from hub.conversations.models import Message
from hub.media import service as media
from hub.runtime import Periodic
from hub.runtime.db import as_utc, session_scope, utcnow
from hub.runtime.settings import get_settings
from hub.webhooks.models import WebhookEvent

EVERY_SECONDS = 3600


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Delete what is past its retention; counts of what went."""
    moment = as_utc(now or utcnow())
    settings = get_settings()
    done = {"webhook_bodies": 0, "media_files": 0}
    with session_scope() as session:
        if settings.webhook_retention_days:
            cutoff = moment - timedelta(days=settings.webhook_retention_days)
            done["webhook_bodies"] = int(session.execute(delete(WebhookEvent).where(  # type: ignore[attr-defined]
                col(WebhookEvent.processed_at).is_not(None), col(WebhookEvent.processed_at) < cutoff)).rowcount or 0)
        if settings.media_retention_days:
            cutoff = moment - timedelta(days=settings.media_retention_days)
            done["media_files"] = _expire_media(session, cutoff.timestamp())
    return done


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
