"""Campaign tracking driven by the core's events. A listener only enqueues a job (ids in, its own
session, one or two idempotent UPDATEs, safe to run twice), so tracking never fails, slows or
deadlocks the transaction that emitted the event. The flows' record (`flows.module`) subscribes them."""

from __future__ import annotations

from catalog import orders
from flows.campaigns import tracking
from hub.outbound import Sender
from hub.runtime import broker, events, queues
from hub.runtime.db import session_scope

QUEUE = queues.CAMPAIGNS


def track_status(message_id: int, status: str, error_reason: str | None = None) -> int:
    """Job: a broadcast message's receipt moves its recipient on (other messages match no recipient).
    Kept for jobs queued before `track_statuses`."""
    with session_scope() as session:
        return tracking.apply_status(session, message_id, status, error_reason)


def track_statuses(receipts: list[tuple[int, str, str | None]]) -> int:
    """Job: one commit's receipts (a drained batch of webhooks) move their recipients on, set-based."""
    with session_scope() as session:
        return tracking.apply_statuses(session, [(int(m), str(s), r) for m, s, r in receipts])


def track_reply(message_id: int) -> int:
    """Job: a customer's message may be a reply to a campaign."""
    with session_scope() as session:
        return tracking.record_reply(session, message_id)


def track_consent(contact_id: int) -> int:
    """Job: after a consent change (STOP), the contact's pending recipients on that channel are skipped."""
    with session_scope() as session:
        return tracking.skip_opted_out(session, contact_id)


def track_order(order_id: int, contact_id: int) -> int | None:
    """Job: a paid order converts the recipient who replied or clicked within the attribution window."""
    with session_scope() as session:
        return tracking.convert(session, order_id, contact_id)


def track_redemption(campaign_id: int, contact_id: int) -> int:
    """Job: a coupon of the campaign redeemed at a store converts its recipient (a store visit)."""
    with session_scope() as session:
        return tracking.convert_in_store(session, campaign_id, contact_id)


def on_coupon_redeemed(event: events.Event) -> None:
    if event.data.get("campaign_id") is not None and event.data.get("contact_id") is not None:
        broker.enqueue(QUEUE, track_redemption, int(event.data["campaign_id"]), int(event.data["contact_id"]))


def on_statuses(batch: list[events.Event]) -> None:
    """One job per commit, not per receipt: a drained batch of 500 receipts is one set-based job, and none for
    receipts of messages no broadcast sent (replies, bots', journeys'): their `sender` says so."""
    receipts = [(int(event.data["message_id"]), str(event.data["status"]), event.data.get("error_reason"))
                for event in batch if event.data.get("message_id") is not None
                and event.data.get("sender", Sender.broadcast.value) == Sender.broadcast.value
                and event.data.get("status") in ("sent", "delivered", "read", "failed")]
    if receipts:
        broker.enqueue(QUEUE, track_statuses, receipts)


def track_replies(message_ids: list[int]) -> str:
    """Job: `track_reply` on each of a commit's customer messages."""
    return broker.each(QUEUE, track_reply, message_ids)


def on_received(batch: list[events.Event]) -> None:
    """One job per commit of customer messages (batch listener on MESSAGE_RECEIVED)."""
    ids = [int(event.data["message_id"]) for event in batch if event.data.get("message_id") is not None]
    broker.enqueue_each(QUEUE, track_replies, ids)


def on_contact_updated(event: events.Event) -> None:
    if event.data.get("contact_id") is not None:
        broker.enqueue(QUEUE, track_consent, int(event.data["contact_id"]))


def on_order_paid(event: events.Event) -> None:
    order_id, contact_id = event.data.get("order_id"), event.data.get("contact_id")
    if order_id is not None and contact_id is not None:
        broker.enqueue(QUEUE, track_order, int(order_id), int(contact_id))


def attribute_orders() -> None:
    """A hook in the flows' record: an order names the campaign that engaged its customer, at checkout."""
    if tracking.engaged_campaign not in orders.ATTRIBUTION:
        orders.ATTRIBUTION.append(tracking.engaged_campaign)
