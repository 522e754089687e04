"""The events an endpoint may subscribe to, and how hub's domain events (and other packages', by name) map
onto them. `flows` and `catalog` are never imported: their events are known by their names only."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from hub.runtime import events


class EventType(StrEnum):
    """What an endpoint can subscribe to (the `type` of each webhook's body)."""

    message_received = "message.received"
    message_sent = "message.sent"
    message_status = "message.status"
    conversation_opened = "conversation.opened"
    conversation_assigned = "conversation.assigned"
    conversation_resolved = "conversation.resolved"
    conversation_updated = "conversation.updated"
    contact_created = "contact.created"
    contact_updated = "contact.updated"
    order_paid = "order.paid"
    order_refunded = "order.refunded"
    coupon_redeemed = "coupon.redeemed"
    csat_answered = "csat.answered"
    campaign_recipient = "campaign.recipient"
    flow_run_finished = "flow.run.finished"


BY_NAME: dict[str, EventType] = {
    events.MESSAGE_RECEIVED: EventType.message_received,
    events.MESSAGE_STATUS: EventType.message_status,
    events.CONVERSATION_OPENED: EventType.conversation_opened,
    events.CONTACT_CREATED: EventType.contact_created,
    events.CONTACT_UPDATED: EventType.contact_updated,
    # Other packages' events, by the names they emit (catalog's orders; the rest as their packages land).
    "order.paid": EventType.order_paid,
    "order.refunded": EventType.order_refunded,
    "coupon.redeemed": EventType.coupon_redeemed,
    "csat.answered": EventType.csat_answered,
    "campaign.recipient": EventType.campaign_recipient,
    "flow.run.finished": EventType.flow_run_finished,
}


def public_type(event: events.Event) -> EventType | None:
    """The webhook type of a domain event; None for events no endpoint hears (private notes among them)."""
    if event.name == events.MESSAGE_CREATED:
        data = event.data
        if data.get("direction") == "outbound" and data.get("kind") != "note":
            return EventType.message_sent
        return None
    if event.name == events.CONVERSATION_UPDATED:
        return _conversation_change(event.data)
    return BY_NAME.get(event.name)


def _conversation_change(data: dict[str, Any]) -> EventType | None:
    if set(data) <= {"conversation_id", "unread_count"}:
        return None  # someone read it: not a change a shop's system cares about
    if "assignee_id" in data:
        return EventType.conversation_assigned
    if data.get("status") == "resolved":
        return EventType.conversation_resolved
    return EventType.conversation_updated
