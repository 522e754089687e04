"""Endpoints (made, changed, deleted by admins), the delivery log, replays, and the sweeper."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from channels.netguard import BlockedDestination, check_destination_sync
from hub.audit import service as audit
from hub.runtime import broker, enqueue_once, events, queues
from hub.runtime.db import get_engine, utcnow
from hub.runtime.settings import get_settings
from hub.webhooks_out import secret
from hub.webhooks_out.delivery import deliver
from hub.webhooks_out.events import EventType
from hub.webhooks_out.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from hub.webhooks_out.outbox import QUEUED, new_message_id

SWEEP_BATCH = 500


class EndpointRefused(ValueError):
    """The URL is not one Hub sends to (not http(s), or an internal address)."""


def check_endpoint_url(url: str) -> None:
    try:
        check_destination_sync(url, allow_private=get_settings().allow_private_urls)
    except BlockedDestination as error:
        raise EndpointRefused(f"url is refused: {error}") from None


def create(*, session: Session, actor_id: int | None, url: str, event_types: list[EventType],
           description: str = "") -> tuple[WebhookEndpoint, str]:
    """A new enabled endpoint and its signing secret (also readable later by admins, to configure receivers)."""
    check_endpoint_url(url)
    signing_secret = secret.generate()
    row = WebhookEndpoint(url=url, description=description, secret=secret.seal(signing_secret),
                          event_types=sorted({kind.value for kind in event_types}), created_by_id=actor_id)
    session.add(row)
    session.flush()
    audit.record(session=session, actor_id=actor_id, action="webhook_endpoint.created",
                 target_type="webhook_endpoint", target_id=row.id, details={"url": url, "events": row.event_types})
    return row, signing_secret


def change(*, session: Session, actor_id: int | None, endpoint: WebhookEndpoint, values: dict[str, Any]) -> None:
    """Change the URL, description, events or enabled flag; enabling again clears Hub's failure notice."""
    if "url" in values:
        check_endpoint_url(values["url"])
    if "event_types" in values:
        values["event_types"] = sorted({EventType(kind).value for kind in values["event_types"]})
    for name, value in values.items():
        setattr(endpoint, name, value)
    if values.get("enabled"):
        endpoint.disabled_reason, endpoint.consecutive_failures, endpoint.failing_since = None, 0, None
    endpoint.updated_at = utcnow()
    session.add(endpoint)
    audit.record(session=session, actor_id=actor_id, action="webhook_endpoint.updated",
                 target_type="webhook_endpoint", target_id=endpoint.id, details={"fields": sorted(values)})


def delete(*, session: Session, actor_id: int | None, endpoint: WebhookEndpoint) -> None:
    audit.record(session=session, actor_id=actor_id, action="webhook_endpoint.deleted",
                 target_type="webhook_endpoint", target_id=endpoint.id, details={"url": endpoint.url})
    session.delete(endpoint)


def signing_secret(endpoint: WebhookEndpoint) -> str:
    return secret.unseal(endpoint.secret)


def deliveries(*, session: Session, endpoint_id: int, before_id: int | None, limit: int
               ) -> list[tuple[WebhookDelivery, list[WebhookAttempt]]]:
    """The endpoint's deliveries, newest first, each with its attempts (oldest first)."""
    query = select(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint_id)
    if before_id is not None:
        query = query.where(col(WebhookDelivery.id) < before_id)
    rows = list(session.exec(query.order_by(col(WebhookDelivery.id).desc()).limit(limit)))
    attempts: dict[int, list[WebhookAttempt]] = {row.id or 0: [] for row in rows}
    if rows:
        for attempt in session.exec(select(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(list(attempts)))
                                    .order_by(col(WebhookAttempt.number))):
            attempts[attempt.delivery_id].append(attempt)
    return [(row, attempts[row.id or 0]) for row in rows]


def replay(*, session: Session, actor_id: int | None, delivery: WebhookDelivery) -> WebhookDelivery:
    """The same event again as a new delivery (a new webhook-id: the receiver takes it as new), sent now."""
    row = WebhookDelivery(endpoint_id=delivery.endpoint_id, message_id=new_message_id(),
                          event_type=delivery.event_type, payload=delivery.payload, replay_of_id=delivery.id,
                          next_attempt_at=utcnow())
    session.add(row)
    session.flush()
    audit.record(session=session, actor_id=actor_id, action="webhook_delivery.replayed",
                 target_type="webhook_delivery", target_id=delivery.id, details={"replay_id": row.id})
    events.emit(session, QUEUED, delivery_ids=[row.id])
    return row


def due_ids(*, session: Session, now: datetime, limit: int = SWEEP_BATCH) -> list[int]:
    return [int(i or 0) for i in session.exec(
        select(WebhookDelivery.id).where(col(WebhookDelivery.status) == DeliveryStatus.pending.value,
                                         col(WebhookDelivery.next_attempt_at) <= now)
        .order_by(col(WebhookDelivery.next_attempt_at)).limit(limit))]


def queue(delivery_id: int, attempts: int = 0) -> bool:
    """Queue the delivery's job once per retry slot (many sweepers, one job).

    The job keeps the broker's retries: one that met the database down (restarting) before it claimed the slot
    runs again seconds later, where the sweepers would queue the slot again only after the hold (5 minutes). A
    retry after the claim finds the slot leased ("not due") and ends; the sweeper takes the next slot.
    """
    return enqueue_once(queues.WEBHOOKS_OUT, deliver, delivery_id,
                        key=broker.key("webhook_delivery", delivery_id, attempts), hold_seconds=300,
                        job_timeout=60)


def sweep(now: datetime | None = None) -> int:
    """Periodic job: queue every delivery whose attempt is due; how many. Safe in any number of copies."""
    now = now or utcnow()
    with Session(get_engine()) as session:
        rows = session.exec(
            select(WebhookDelivery.id, WebhookDelivery.attempts)
            .where(col(WebhookDelivery.status) == DeliveryStatus.pending.value,
                   col(WebhookDelivery.next_attempt_at) <= now)
            .order_by(col(WebhookDelivery.next_attempt_at)).limit(SWEEP_BATCH)).all()
    return sum(queue(int(delivery_id or 0), attempts) for delivery_id, attempts in rows)


def queue_new(event: events.Event) -> None:
    """Listener: the outbox's deliveries, queued as soon as their transaction committed."""
    for delivery_id in event.data.get("delivery_ids", ()):
        queue(int(delivery_id))
