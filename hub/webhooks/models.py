"""Raw webhook events: the inbox's table (`hub.runtime.inbox`), shared with Stripe's events."""

from hub.runtime.inbox import RawEvent as WebhookEvent

__all__ = ["WebhookEvent"]
