"""Core reactions to committed events, registered by the composition roots."""

from __future__ import annotations

from hub import broker, events
from hub.jobs.tasks import send_message


def enqueue_send(event: events.Event) -> None:
    """A queued outbound message gets a send job (the sweeper re-enqueues any this misses)."""
    if event.data.get("direction") == "outbound" and event.data.get("status") == "queued":
        broker.enqueue("outbound", send_message, event.data["message_id"])


def register() -> None:
    events.subscribe(events.MESSAGE_CREATED, enqueue_send)
    events.add_publisher(broker.publish)
