"""One recipient's message: personal fields filled in a sandbox, URL buttons turned into tracked links,
and WhatsApp's 24-hour rule answered with the campaign's template.

Fields a message may use: `{{ contact.name }}`, `{{ contact.first_name }}`, `{{ contact.custom.<key> }}`,
`{{ coupon }}`, `{{ coupon_url }}` (the customer's coupon page with its QR code) and `{{ shop }}`.
A field the contact lacks takes `campaign.defaults[<field>]` (keys `name`, `first_name`, `custom.<key>`,
`coupon`, `shop`; a `contact.` prefix is accepted too), else "".
Placeholders follow canned replies' rules (`hub.placeholders`: values and a few filters, no loops,
calls or arithmetic), checked when the campaign is saved (`check_template`) and again whenever a
message is rendered, in a preview and a send alike; a rendered field is cut at MAX_RENDERED
characters. Rendering never raises while sending: anything that goes wrong (a campaign stored before
these rules) renders the text with its fields removed.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from jinja2 import ChainableUndefined, Template
from sqlmodel import Session, select

from catalog.stores import coupons
from channels.registry import ADAPTERS
from flows.campaigns.models import Campaign, Recipient, TrackedLink
from hub import placeholders
from hub.channel_records.models import Channel
from hub.contacts.models import Contact
from hub.conversations.models import Conversation
from hub.runtime.db import as_utc, rows_by_pairs, utcnow
from hub.runtime.settings import get_settings

OUTSIDE_WINDOW_REASON = "outside the 24-hour window and no template"
MAX_RENDERED = 4096
"""Characters of one rendered text, button or parameter (WhatsApp's longest text body)."""
FIELD_PATTERN = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


class OutsideWindow(Exception):
    """The recipient is outside the channel's reply window and the campaign has no template.

    The sender catches it and marks the recipient `failed` with `reason` (OUTSIDE_WINDOW_REASON)."""

    def __init__(self, reason: str = OUTSIDE_WINDOW_REASON) -> None:
        super().__init__(reason)
        self.reason = reason


class LenientUndefined(ChainableUndefined):
    """A missing field, or any attribute of one, renders as an empty string instead of raising."""

    __slots__ = ()

    def __str__(self) -> str:
        return ""


ENV = placeholders.environment(LenientUndefined)


class TemplateInvalid(ValueError):
    """A message template that does not parse; the text says where and why."""


def check_template(source: str | None, where: str = "text") -> None:
    """Raise TemplateInvalid (with the reason) unless `source` is a valid template."""
    if not source:
        return
    try:
        placeholders.check(ENV, source)
    except placeholders.PlaceholderRefused as refused:
        raise TemplateInvalid(f"{where}: {refused}") from None


def check_campaign_templates(variants: list[dict[str, Any]], template: dict[str, Any] | None) -> None:
    """Check every text, button and template parameter of a campaign; TemplateInvalid on the first bad one."""
    for index, variant in enumerate(variants):
        name = variant.get("name") or str(index)
        check_template(variant.get("text"), f"variant {name} text")
        for number, button in enumerate(variant.get("buttons") or []):
            check_template(button.get("title"), f"variant {name} button {number + 1} title")
            check_template(button.get("url"), f"variant {name} button {number + 1} url")
    for number, param in enumerate((template or {}).get("params") or []):
        check_template(str(param), f"template parameter {number + 1}")
    check_template((template or {}).get("button_url"), "template button_url")


@lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    """A campaign's few sources are checked and compiled once per process, not once per recipient."""
    placeholders.check(ENV, source)
    return ENV.from_string(source)


def render(source: str | None, context: dict[str, Any]) -> str:
    """Fill a template's fields. Never raises: a failure yields the text with its fields removed."""
    if not source:
        return ""
    try:
        return placeholders.fill(_compiled(source), context, max_chars=MAX_RENDERED)
    except Exception:  # a send must not die on a field; the check at save time catches the rest
        return FIELD_PATTERN.sub("", source)[:MAX_RENDERED]


@dataclass(frozen=True)
class ContactFields:
    """What a template may know about a contact, without touching the database."""

    name: str = ""
    custom: dict[str, Any] | None = None
    coupon: str | None = None

    @classmethod
    def of(cls, contact: Contact | None, coupon: str | None = None) -> ContactFields:
        if contact is None:
            return cls(coupon=coupon)
        return cls(name=contact.name or "", custom=dict(contact.custom_fields or {}), coupon=coupon)


def context_for(campaign: Campaign, fields: ContactFields) -> dict[str, Any]:
    """The render context: the contact's values, the campaign's defaults where they are missing."""
    defaults = {key.removeprefix("contact."): value for key, value in (campaign.defaults or {}).items()}
    custom_defaults = {key[len("custom."):]: value for key, value in defaults.items() if key.startswith("custom.")}
    custom = {**custom_defaults, **{k: v for k, v in (fields.custom or {}).items() if v not in (None, "")}}
    name = fields.name.strip()
    first_name = name.split()[0] if name else ""
    context: dict[str, Any] = {k: v for k, v in defaults.items() if "." not in k}
    context.update({
        "contact": {
            "name": name or defaults.get("name", ""),
            "first_name": first_name or defaults.get("first_name", defaults.get("name", "")),
            "custom": custom,
        },
        "coupon": fields.coupon or defaults.get("coupon", ""),
        "coupon_url": coupons.page_url(fields.coupon) if fields.coupon else "",
        "shop": defaults.get("shop") or get_settings().shop_name,
    })
    return context


def variant_of(campaign: Campaign, name: str | None) -> dict[str, Any]:
    """The recipient's variant by name; the first one when the name is unknown."""
    variants = campaign.variants or [{}]
    return next((v for v in variants if v.get("name") == name), variants[0])


def safe_url(url: str) -> bool:
    """Only absolute http(s) URLs are ever stored or redirected to."""
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def tracked_url(session: Session, recipient_id: int, url: str) -> str:
    """The recipient's `/l/{token}` for `url`: the existing link when there is one, else a new one."""
    link = session.exec(select(TrackedLink).where(
        TrackedLink.recipient_id == recipient_id, TrackedLink.url == url)).first()
    if link is None:
        link = TrackedLink(token=secrets.token_urlsafe(12), recipient_id=recipient_id, url=url)
        session.add(link)
        session.flush()
    return f"{get_settings().public_url.rstrip('/')}/l/{link.token}"


def render_buttons(
    campaign: Campaign, variant: dict[str, Any], context: dict[str, Any], session: Session | None,
    recipient_id: int | None,
) -> list[dict[str, str]]:
    """Buttons with titles filled in: quick replies get `campaign:{id}:{index}`, URLs a tracked link.

    Without a session or recipient (a preview) URL buttons keep their own URL. A URL that is not
    http(s) after rendering is dropped rather than sent."""
    buttons: list[dict[str, str]] = []
    for index, button in enumerate(variant.get("buttons") or []):
        title = render(button.get("title"), context) or f"Option {index + 1}"
        if button.get("url"):
            url = render(button["url"], context).strip()
            if not safe_url(url):
                continue
            if session is not None and recipient_id is not None:
                url = tracked_url(session, recipient_id, url)
            buttons.append({"title": title, "url": url})
        else:
            buttons.append({"title": title, "id": f"campaign:{campaign.id}:{index}"})
    return buttons


def compose(
    campaign: Campaign, variant_name: str | None, fields: ContactFields, *,
    session: Session | None = None, recipient_id: int | None = None,
) -> tuple[str, str | None, dict[str, Any]]:
    """The free-form message (kind, text, payload) of one variant for one contact."""
    variant = variant_of(campaign, variant_name)
    context = context_for(campaign, fields)
    text = render(variant.get("text"), context) or None
    buttons = render_buttons(campaign, variant, context, session, recipient_id)
    payload: dict[str, Any] = {"campaign_id": campaign.id}
    if variant.get("media_url"):
        payload["media_url"] = variant["media_url"]
        payload["media_type"] = variant.get("media_type") or "image"
    if buttons:
        payload["buttons"] = buttons
        return "buttons", text, payload
    if "media_url" in payload:
        return "media", text, payload
    return "text", text, payload


def compose_template(
    campaign: Campaign, fields: ContactFields, *, session: Session | None = None, recipient_id: int | None = None,
) -> tuple[str, str | None, dict[str, Any]]:
    """The campaign's WhatsApp template message with its parameters filled in.

    With a `button_url`, the approved template's first button is a dynamic URL button (approved as
    `{HUB_PUBLIC_URL}/l/{{1}}`): its parameter is the recipient's tracked-link token, so the customer gets a
    native button and the click is counted; a preview (no recipient) shows the token `SAMPLE`."""
    template = campaign.template or {}
    context = context_for(campaign, fields)
    params = [render(str(param), context) for param in template.get("params") or []]
    payload: dict[str, Any] = {
        "campaign_id": campaign.id, "template_name": template.get("name"),
        "template_language": template.get("language") or "en_US", "template_params": params,
    }
    if template.get("content_sid"):  # the same approved template on Twilio (channels.twilio.render)
        payload["content_sid"] = template["content_sid"]
    button_url = render(template.get("button_url"), context).strip() if template.get("button_url") else ""
    if button_url and safe_url(button_url):
        token = "SAMPLE"
        if session is not None and recipient_id is not None:
            token = tracked_url(session, recipient_id, button_url).rsplit("/", 1)[-1]
        if template.get("content_sid"):  # Twilio: the button's token is the variable after the params
            payload["content_variables"] = {**_numbered(params), str(len(params) + 1): token}
        components: list[dict[str, Any]] = []
        if params:
            components.append({"type": "body", "parameters": [{"type": "text", "text": p} for p in params]})
        components.append({"type": "button", "sub_type": "url", "index": "0",
                           "parameters": [{"type": "text", "text": token}]})
        payload["components"] = components
    return "template", f"[template {template.get('name')}] " + " | ".join(params), payload


def _numbered(params: list[str]) -> dict[str, str]:
    return {str(number): value for number, value in enumerate(params, start=1)}


def _window_hours(channel: Channel) -> int | None:
    adapter = ADAPTERS.get(channel.kind)
    return adapter.reply_window_hours if adapter is not None else None


def window_open(session: Session, contact_id: int, channel: Channel) -> bool:
    """True when the channel allows free-form messages to this contact now."""
    return open_windows(session, [(contact_id, channel)]).get((contact_id, channel.id or 0), False)


def open_windows(session: Session, pairs: Iterable[tuple[int, Channel]]) -> dict[tuple[int, int], bool]:
    """`window_open` for many (contact, channel) pairs at once: one query for a whole batch.

    Keyed by (contact id, channel id); a pair is in the answer exactly when it was asked."""
    answer: dict[tuple[int, int], bool] = {}
    asked: dict[tuple[int, int], int] = {}
    for contact_id, channel in pairs:
        hours = _window_hours(channel)
        key = (contact_id, channel.id or 0)
        if hours is None:
            answer[key] = True
        else:
            answer[key] = False
            asked[key] = hours
    if asked:
        now = utcnow()
        for contact_id, channel_id, last in rows_by_pairs(
                session, Conversation.__table__, "contact_id", "channel_id", asked,  # type: ignore[attr-defined]
                ("contact_id", "channel_id", "last_inbound_at")):
            key = (contact_id, channel_id)
            if last is not None and key in asked:
                answer[key] = now - as_utc(last) <= timedelta(hours=asked[key])
    return answer


def message_for(
    session: Session, campaign: Campaign, recipient: Recipient, contact: Contact, channel: Channel,
    *, window: bool | None = None,
) -> tuple[str, str | None, dict[str, Any]]:
    """(kind, text, payload) of one recipient's message, as `outbound.queue_reply` takes them.

    `window`: whether the reply window is open, when the caller looked it up for a whole batch
    (`open_windows`); None looks it up here. Raises OutsideWindow when the channel's reply window
    is closed for this contact and the campaign has no template; the sender marks the recipient
    failed with `error.reason`."""
    fields = ContactFields.of(contact, recipient.coupon_code)
    if window is None:
        window = window_open(session, contact.id or recipient.contact_id, channel)
    if not window:
        if not (campaign.template or {}).get("name"):
            raise OutsideWindow()
        return compose_template(campaign, fields, session=session, recipient_id=recipient.id)
    return compose(campaign, recipient.variant, fields, session=session, recipient_id=recipient.id)
