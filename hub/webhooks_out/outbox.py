"""The outbox: inside the transaction that makes a change, one delivery row per subscribed endpoint.

`hub.runtime.events` calls `write` just before each commit with the transaction's events, so a change and
its webhooks commit together or not at all. After the commit the `QUEUED` event's listener queues the
deliveries at once; the sweeper finds any whose job was lost.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from hub.runtime import events
from hub.runtime.db import utcnow
from hub.webhooks_out.events import public_type
from hub.webhooks_out.models import WebhookDelivery, WebhookEndpoint

QUEUED = "webhooks_out.queued"
"""Emitted by the outbox with the new deliveries' ids; delivered (to `jobs.queue_new`) after the commit."""


def new_message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def body(event_type: str, data: dict[str, Any], at: datetime) -> dict[str, Any]:
    """A webhook's JSON body, as Standard Webhooks suggests: the type, when it happened and its data."""
    return {"type": event_type, "timestamp": at.isoformat().replace("+00:00", "Z"), "data": data}


def write(session: Session, batch: list[events.Event]) -> None:
    typed = [(kind, event) for event in batch if (kind := public_type(event)) is not None]
    if not typed:
        return
    endpoints = session.execute(select(WebhookEndpoint.id, WebhookEndpoint.event_types)
                                .where(col(WebhookEndpoint.enabled))).all()
    if not endpoints:
        return
    now = utcnow()
    rows = [WebhookDelivery(endpoint_id=endpoint_id or 0, message_id=new_message_id(), event_type=kind.value,
                            payload=body(kind.value, _plain(event.data), now), next_attempt_at=now)
            for kind, event in typed for endpoint_id, subscribed in endpoints if kind.value in subscribed]
    if not rows:
        return
    session.add_all(rows)
    session.flush()
    events.emit(session, QUEUED, delivery_ids=[row.id for row in rows])


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """The event's data as JSON values (dates as ISO text)."""
    return {key: value.isoformat() if isinstance(value, datetime) else value for key, value in data.items()}
