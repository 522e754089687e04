"""The names of reporting facts. Other packages record theirs through `reports.record.record_facts`."""

from __future__ import annotations

from hub.csat import events as csat_events

CONVERSATION_OPENED = "conversation.opened"
FIRST_RESPONSE = "conversation.first_response"
"""The first reply by a person (not a bot or a broadcast); seconds since the customer's first message."""
REPLY = "conversation.reply"
"""Each agent reply that answers waiting customer messages; seconds since the oldest of them."""
RESOLVED = "conversation.resolved"
"""Seconds since the conversation opened or was last reopened."""
REOPENED = "conversation.reopened"
MESSAGE_RECEIVED = "message.received"
MESSAGE_SENT = "message.sent"
"""Every outbound message queued (replies, broadcasts, flows, bots), whatever became of it."""
MESSAGE_DELIVERED = "message.delivered"
MESSAGE_READ = "message.read"
MESSAGE_FAILED = "message.failed"
ORDER_PAID = "order.paid"
ORDER_REFUNDED = "order.refunded"
CSAT_SENT = csat_events.SENT
CSAT_ANSWERED = csat_events.ANSWERED
"""`value`: the rating 1-5."""
BOT_HANDOFF = "bot.handoff"
"""A bot handed the conversation to a person (its `handed_off_at`)."""
BOT_CONTAINED = "bot.contained"
"""A conversation a bot answered that was resolved with no handoff and no person's reply."""
# Facts no package emits yet: hooks for journeys and coupons (`record.record_facts`).
FLOW_ENTERED = "flow.entered"
FLOW_CONVERTED = "flow.converted"
COUPON_ISSUED = "coupon.issued"
COUPON_REDEEMED = "coupon.redeemed"

DURATIONS = (FIRST_RESPONSE, REPLY, RESOLVED)
