"""The customer phone: a page per channel where a person writes as the customer.

What the person writes becomes the provider's real inbound webhook, signed as the provider
signs it, and is posted to Hub's webhook URL of the channel; what the shop sent through the
sandbox shows up on the page, buttons included. The page runs under a strict
Content-Security-Policy: its script and style are files, and it writes text with textContent.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from channels.identities import e164, is_whatsapp_user_id
from channels.sandbox import meta, telegram, twilio
from channels.sandbox.accounts import Accounts, provider_of
from channels.sandbox.state import ButtonView, CustomerInput, Inbound, Provider, Record, SandboxState
from channels.sandbox.webhooks import post
from channels.types import ChannelConfig

STATIC = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"phone.js": "text/javascript", "phone.css": "text/css"}
DEFAULT_CUSTOMER: dict[Provider, str] = {"meta": "+85291234567", "twilio": "+85291234567", "telegram": "700100200"}
DEFAULT_NAME = "Sandbox Customer"
KIND_LABELS = {"whatsapp_meta": "WhatsApp (Meta)", "whatsapp_twilio": "WhatsApp (Twilio)",
               "sms_twilio": "SMS (Twilio)", "telegram": "Telegram"}
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                           "img-src 'self' https: http: data:; base-uri 'none'; form-action 'none'; "
                           "frame-ancestors 'none'")
BUILDERS: dict[Provider, Callable[[SandboxState, ChannelConfig, CustomerInput], Inbound]] = {
    "meta": meta.customer_message, "twilio": twilio.customer_message, "telegram": telegram.customer_message,
}


class CustomerMessage(BaseModel):
    """`POST /phone/{channel_id}/send`: the customer writes `text` or taps the button `button_id`."""

    model_config = ConfigDict(populate_by_name=True)

    from_: str | None = Field(default=None, alias="from", max_length=64)
    name: str | None = Field(default=None, max_length=128)
    text: str | None = Field(default=None, max_length=4096)
    button_id: str | None = Field(default=None, max_length=256)
    reply_to: str | None = Field(default=None, max_length=256, description="the shop message's provider id")


def phone_router(accounts: Accounts) -> APIRouter:
    """The customer phone page, its JSON endpoints and its static files."""
    router = APIRouter()
    state = accounts.state

    async def known_channel(channel_id: int) -> tuple[ChannelConfig, Provider]:
        channel = await accounts.channel(channel_id)
        provider = provider_of(channel) if channel is not None else None
        if channel is None or provider is None:
            raise HTTPException(404, f"channel {channel_id} is not a sandbox channel of Meta, Twilio or Telegram")
        return channel, provider

    @router.get("/phone/{channel_id}", name="sandbox_phone", response_class=HTMLResponse)
    async def page(channel_id: int, request: Request) -> HTMLResponse:
        channel, provider = await known_channel(channel_id)
        html = render_page(channel, provider, {
            "messages": request.url_for("sandbox_phone_messages", channel_id=channel_id).path,
            "send": request.url_for("sandbox_phone_send", channel_id=channel_id).path,
            "script": request.url_for("sandbox_static", name="phone.js").path,
            "style": request.url_for("sandbox_static", name="phone.css").path,
        })
        return HTMLResponse(html, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY,
                                           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                                           "Cache-Control": "no-store"})

    @router.get("/phone/{channel_id}/messages", name="sandbox_phone_messages")
    async def messages(channel_id: int, after: int = 0, customer: str | None = None) -> dict[str, Any]:
        channel, provider = await known_channel(channel_id)
        who = customer_key(provider, customer) if customer else None
        records = state.messages(channel_id, after=after, customer=who)
        return {"channel_id": channel_id, "revision": state.revision(channel_id),
                "messages": [record.to_json() for record in records]}

    @router.post("/phone/{channel_id}/send", name="sandbox_phone_send")
    async def send(channel_id: int, message: CustomerMessage) -> dict[str, Any]:
        channel, provider = await known_channel(channel_id)
        customer = customer_key(provider, message.from_ or DEFAULT_CUSTOMER[provider])
        text = (message.text or "").strip() or None
        if text is None and not message.button_id:
            raise HTTPException(400, "write a text or tap a button")
        button, reply_to = find_button(state, channel_id, customer, message.button_id, message.reply_to, provider)
        action = CustomerInput(customer=customer, name=(message.name or "").strip() or DEFAULT_NAME, text=text,
                               button=button, reply_to=reply_to)
        try:
            inbound = BUILDERS[provider](state, channel, action)
        except ValueError as refused:
            raise HTTPException(400, str(refused)) from None
        state.record(channel_id, direction="in", provider=provider, customer=customer,
                     provider_message_id=inbound.provider_message_id, kind=inbound.kind,
                     text=button.title if button else text, status="sending", wire=inbound.wire)
        hub_status = await post(inbound.webhook)
        ok = hub_status is not None and 200 <= hub_status < 300
        status = "delivered" if ok else ("unreachable" if hub_status is None else f"refused {hub_status}")
        record = state.find(channel_id, inbound.provider_message_id)
        if record is not None and record.status == "sending":  # the bot may have answered the tap already
            record = state.update(channel_id, inbound.provider_message_id, status=status)
        return {"ok": ok, "hub_status": hub_status, "webhook_url": inbound.webhook.url,
                "message": record.to_json() if record else None}

    @router.get("/static/{name}", name="sandbox_static")
    async def static(name: str) -> FileResponse:
        if name not in STATIC_FILES:
            raise HTTPException(404, "no such file")
        return FileResponse(STATIC / name, media_type=STATIC_FILES[name],
                            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})

    return router


def customer_key(provider: Provider, raw: str) -> str:
    """The customer's identity as records name it; 400 when it is not one the provider can have."""
    value = raw.strip()
    if provider == "telegram":
        if not value.lstrip("-").isdigit():
            raise HTTPException(400, "a Telegram customer is a numeric user id, such as 700100200")
        return str(int(value))
    bare = value.removeprefix("whatsapp:")
    if is_whatsapp_user_id(bare):
        return bare
    number = e164(bare)
    if number is None:
        raise HTTPException(400, f"{raw!r} is not a phone number; write it with the country code, like +85291234567")
    return number


def find_button(state: SandboxState, channel_id: int, customer: str, button_id: str | None, reply_to: str | None,
                provider: Provider) -> tuple[ButtonView | None, Record | None]:
    """The button the customer tapped and the shop message it belongs to (newest first)."""
    if not button_id:
        return None, None
    sent = [record for record in reversed(state.messages(channel_id, customer=customer, direction="out"))
            if reply_to is None or record.provider_message_id == reply_to]
    for record in sent:
        for button in record.buttons:
            if button.id == button_id and button.kind != "url":
                return button, record
    kind = "callback" if provider == "telegram" else "reply"
    return ButtonView(button_id, id=button_id, kind=kind), (sent[0] if sent and reply_to else None)


def render_page(channel: ChannelConfig, provider: Provider, urls: dict[str, str]) -> str:
    """The page's HTML: data for the script in data-* attributes, every value escaped."""
    label = KIND_LABELS.get(channel.kind, channel.kind)
    identity = "Telegram user id" if provider == "telegram" else "Phone (E.164)"
    inputmode = "numeric" if provider == "telegram" else "tel"

    def attr(value: object) -> str:
        return escape(str(value), quote=True)

    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Customer phone · {attr(label)} · channel {attr(channel.id)}</title>
<link rel="stylesheet" href="{attr(urls['style'])}">
<script src="{attr(urls['script'])}" defer></script>
</head>
<body data-channel="{attr(channel.id)}" data-provider="{attr(provider)}" data-kind="{attr(channel.kind)}"
 data-customer="{attr(DEFAULT_CUSTOMER[provider])}" data-name="{attr(DEFAULT_NAME)}"
 data-messages-url="{attr(urls['messages'])}" data-send-url="{attr(urls['send'])}">
<header class="bar">
<h1>{attr(label)} <small>channel {attr(channel.id)} · sandbox</small></h1>
<div class="who">
<label>{attr(identity)} <input id="customer" autocomplete="off" inputmode="{inputmode}" spellcheck="false"></label>
<label>Name <input id="name" autocomplete="off"></label>
</div>
</header>
<main id="thread" aria-live="polite"><noscript>This page needs JavaScript.</noscript></main>
<p id="notice" class="notice" role="status" hidden></p>
<form id="composer" class="composer" autocomplete="off">
<textarea id="text" rows="1" placeholder="Message" enterkeyhint="send" aria-label="Message"></textarea>
<button type="submit" id="send">Send</button>
</form>
</body>
</html>
"""
