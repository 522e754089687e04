"""Core reactions to committed events (listed in the core's record, `hub.module`)."""

from __future__ import annotations

from hub.jobs.tasks import acknowledge_tap, fetch_media, send_message
from hub.media.service import MEDIA_KINDS
from hub.runtime import broker, events


def enqueue_send(event: events.Event) -> None:
    """A queued outbound message gets a send job (the sweeper re-enqueues any this misses)."""
    if event.data.get("direction") == "outbound" and event.data.get("status") == "queued":
        broker.enqueue("outbound", send_message, event.data["message_id"])


def enqueue_media(event: events.Event) -> None:
    """A customer's photo, voice note or file is fetched into the media store by a job."""
    if event.data.get("kind") in MEDIA_KINDS:
        broker.enqueue("inbound", fetch_media, event.data["message_id"])


def enqueue_acknowledge(event: events.Event) -> None:
    """A tap on a Telegram inline button is answered at once, before any reply to it is worked out."""
    if event.data.get("kind") == "callback":
        broker.enqueue("inbound", acknowledge_tap, event.data["message_id"])
