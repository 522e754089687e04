"""The bodies of Meta's webhooks: the `whatsapp_business_account` envelope, statuses and messages.

Shapes follow the recorded payloads under tests/fixtures/meta/.
"""

from __future__ import annotations

import base64
import hashlib
import random
import time
from typing import Any

from channels.identities import is_whatsapp_user_id
from channels.sandbox.accounts import meta_phone_number_id
from channels.sandbox.state import ButtonView, Record
from channels.types import ChannelConfig

Json = dict[str, Any]


def new_wamid(rng: random.Random, recipient: str) -> str:
    """A message id shaped like Meta's: `wamid.` and base64 of the recipient and random bytes."""
    digits = recipient.lstrip("+").encode()[:15]
    raw = b"\x1c\x18" + bytes([len(digits)]) + digits + b"\x15\x02\x00\x12\x18\x14" + rng.randbytes(20)
    return "wamid." + base64.b64encode(raw).decode()


def display_phone_number(channel: ChannelConfig) -> str:
    """The business number the customer sees (digits, no "+"); made up for a sandbox channel."""
    configured = channel.get("display_phone_number")
    return str(configured) if configured else f"1555{channel.id % 10_000_000:07d}"


def envelope(channel: ChannelConfig, value: Json) -> Json:
    """One change of field `messages` for the channel's number, in a full webhook body."""
    return {
        "object": "whatsapp_business_account",
        "entry": [{
            "id": str(100_000_000_000_000 + channel.id),
            "changes": [{
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {
                        "display_phone_number": display_phone_number(channel),
                        "phone_number_id": meta_phone_number_id(channel),
                    },
                    **value,
                },
                "field": "messages",
            }],
        }],
    }


def status_value(channel: ChannelConfig, record: Record, status: str) -> Json:
    """`statuses[0]` for one receipt of a message the shop sent."""
    now = int(time.time())
    entry: Json = {"id": record.provider_message_id, "status": status, "timestamp": str(now)}
    if is_whatsapp_user_id(record.customer):
        entry["recipient_user_id"] = record.customer
    else:
        entry["recipient_id"] = record.customer.lstrip("+")
    opaque = record.wire.get("biz_opaque_callback_data") if isinstance(record.wire, dict) else None
    if isinstance(opaque, str) and opaque:  # Graph echoes it on every status of the message
        entry["biz_opaque_callback_data"] = opaque
    if status in ("sent", "delivered"):
        category = "utility" if record.kind == "template" else "service"
        conversation_key = f"{channel.id}:{record.customer}".encode()
        conversation: Json = {"id": hashlib.md5(conversation_key, usedforsecurity=False).hexdigest(),
                               "origin": {"type": category}}
        if status == "sent":
            conversation["expiration_timestamp"] = str(now + 24 * 3600)
        entry["conversation"] = conversation
        entry["pricing"] = {"billable": category != "service", "pricing_model": "PMP", "category": category,
                            "type": "regular" if category != "service" else "free_customer_service"}
    return {"statuses": [entry]}


def customer_value(channel: ChannelConfig, *, message_id: str, customer: str, name: str, text: str | None,
                   button: ButtonView | None, reply_to: Record | None) -> Json:
    """`contacts` and `messages` for one message the customer wrote or one button they tapped."""
    sender: Json
    contact: Json = {"profile": {"name": name}}
    if is_whatsapp_user_id(customer):
        contact["user_id"] = customer
        sender = {"from_user_id": customer}
    else:
        contact["wa_id"] = customer.lstrip("+")
        sender = {"from": customer.lstrip("+")}
    message: Json = {}
    if reply_to is not None:
        message["context"] = {"from": display_phone_number(channel), "id": reply_to.provider_message_id}
    message.update({**sender, "id": message_id, "timestamp": str(int(time.time()))})
    message.update(_content(text, button))
    return {"contacts": [contact], "messages": [message]}


def _content(text: str | None, button: ButtonView | None) -> Json:
    if button is None:
        return {"type": "text", "text": {"body": text or ""}}
    if button.kind == "quick_reply":  # a template's quick-reply button
        return {"type": "button", "button": {"payload": button.id or button.title, "text": button.title}}
    reply: Json = {"id": button.id or button.title, "title": button.title}
    if button.kind == "list":
        if button.description:
            reply["description"] = button.description
        return {"type": "interactive", "interactive": {"type": "list_reply", "list_reply": reply}}
    return {"type": "interactive", "interactive": {"type": "button_reply", "button_reply": reply}}
