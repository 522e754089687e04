"""The `send_message` step: what may go to this customer now, decided when the step runs (not when the run
started), and queued through the delivery engine once.

In order: no conversation to write in → `skipped: no_channel`; the newest consent on the channel is an
opt-out → the run exits (`opted_out`); the channel needs a marketing opt-in the contact has not given →
`skipped: no_consent`; inside the quiet hours (the flow's `quiet_hours` setting, else the shop's
HUB_FLOW_QUIET_HOURS, 21:00-08:00 by default; in the contact's zone; unknown: in the shop's and their phone's
zones, as broadcasts) → the step holds until they end; the frequency cap (messages from all
automations to this contact in the last 24 hours, HUB_FLOW_MESSAGES_PER_DAY, default 3) → `skipped:
frequency_cap`; WhatsApp's 24-hour window closed → the step's approved template, else `skipped:
outside_window`. Otherwise the text in the contact's language is queued (`hub.conversations.outbound`,
sender `flow`, client key `flow:{run}:{node}:{visit}`) and the `send_message` job sends it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from catalog import chat as shop_chat
from catalog.errors import CatalogError
from catalog.products import variants_of
from catalog.stores import coupons
from catalog.stores.models import CouponSource
from flows.campaigns.consent import consent_required, phone_zones_of, safe_moment
from flows.campaigns.personalise import render
from flows.campaigns.service import out_of_quiet_hours, shop_zone, zone_of
from flows.journeys import clock
from flows.journeys.models import FlowEvent
from flows.journeys.runner import End, Go, Hold, Result, Step
from hub.channel_records.models import Channel
from hub.contacts import locales
from hub.contacts import service as contacts
from hub.contacts.models import Contact
from hub.conversations import outbound as replies
from hub.conversations.models import Conversation
from hub.outbound import Sender
from hub.runtime.settings import get_settings

__all__ = ["context_of", "conversation_of", "locale_key", "pick", "render", "send"]


def locale_key(locale: str | None) -> str:
    """`zh_Hant` → `zh-hant`: how the definitions' per-language maps are matched."""
    return (locale or "").replace("_", "-").lower()


def pick(texts: Any, locale: str | None) -> str:
    """The text for the contact's language; else the shop's default language's; else the first non-empty."""
    if isinstance(texts, str):
        return texts
    if not isinstance(texts, dict):
        return ""
    by_key = {locale_key(k): v for k, v in texts.items() if isinstance(v, str) and v.strip()}
    for wanted in (locale_key(locale), locale_key(get_settings().default_locale)):
        if wanted in by_key:
            return str(by_key[wanted])
        if wanted.split("-")[0] in by_key:
            return str(by_key[wanted.split("-")[0]])
    return next(iter(by_key.values()), "")


def context_of(contact: Contact, coupon: str | None = None) -> dict[str, Any]:
    """What a text's placeholders may use: `{{ first_name }}`, `{{ contact.first_name }}`, `{{ coupon }}`..."""
    name = (contact.name or "").strip()
    first = name.split()[0] if name else ""
    fields = dict(contact.custom_fields or {})
    person = {"name": name, "first_name": first, "custom": fields}
    return {"contact": person, **person, "coupon": coupon or "", "shop": get_settings().shop_name,
            "coupon_url": coupons.page_url(coupon) if coupon else ""}


def _coupon(step: Step, config: dict[str, Any], contact_id: int) -> str | None:
    """The run's own coupon for this step: `coupon_code` is its prefix, and every coupon has its row (a till
    redeems it once); the same step run again hands out the same code."""
    prefix = str(config.get("coupon_code") or "").strip()
    if not prefix:
        return None
    days = config.get("coupon_valid_days")
    expires = step.now + timedelta(days=int(days)) if isinstance(days, int) and days > 0 else None
    issued = coupons.issue(session=step.session, issue=coupons.Issue(
        source_key=f"journey:{step.run.id}:{step.run.node_id}", contact_id=contact_id, prefix=prefix + "-",
        source=CouponSource.journey, flow_id=step.run.flow_id, run_id=step.run.id, expires_at=expires,
        offer=str(config.get("coupon_offer") or prefix)))
    return issued.code


def conversation_of(session: Session, step: Step) -> Conversation | None:
    """The run's conversation; else the contact's most recent one."""
    if step.run.conversation_id is not None:
        found = session.get(Conversation, step.run.conversation_id)
        if found is not None:
            return found
    return session.exec(select(Conversation).where(Conversation.contact_id == step.run.contact_id)
                        .order_by(col(Conversation.last_activity_at).desc())).first()


def sent_today(session: Session, contact_id: int, step: Step) -> int:
    return int(session.execute(select(func.count()).select_from(FlowEvent).where(
        col(FlowEvent.contact_id) == contact_id, col(FlowEvent.kind) == "sent",
        col(FlowEvent.at) > step.now - timedelta(days=1) / clock.scale(step.run.test))).scalar_one())


def quiet_until(session: Session, contact: Contact, channel: Channel, step: Step) -> Any:
    """When the quiet hours end for this contact, or now when they are not on."""
    if step.run.test or clock.scale() > 1:  # compressed time: the demo and test runs do not wait for morning
        return step.now
    hours = quiet_hours_of(step.graph.settings)
    if hours is None:
        return step.now
    zone = zone_of(locales.zone_for(session, contact, channel))
    if zone is not None:
        return out_of_quiet_hours(step.now, zone, *hours)
    zones = [z for z in [zone_of(shop_zone(session))] if z is not None]
    zones += phone_zones_of(next(iter(locales.phones_of(session, contact.id)), None))
    return safe_moment(step.now, zones, *hours)


def quiet_hours_of(settings: dict[str, Any]) -> tuple[str, str] | None:
    """The flow's quiet hours: its own `{start, end}`, none when null, else the shop's."""
    own = settings.get("quiet_hours", "shop")
    if own is None:
        return None
    if isinstance(own, dict) and clock.clock_time(own.get("start")) and clock.clock_time(own.get("end")):
        return str(own["start"]), str(own["end"])
    return clock.quiet_hours()


def send(step: Step, config: dict[str, Any]) -> Result:
    session = step.session
    contact = contacts.get(session=session, contact_id=step.run.contact_id)
    conversation = conversation_of(session, step)
    if contact is None or conversation is None or conversation.id is None:
        return Go("skipped", "no_channel")
    channel = session.get(Channel, conversation.channel_id)
    assert channel is not None and channel.id is not None
    consent = contacts.consent_status(session=session, contact_id=contact.id or 0, channel_id=channel.id)
    if consent == "opted_out":
        return End("exited", "opted_out")
    if consent_required(channel) and consent != "opted_in":
        return Go("skipped", "no_consent")
    later = quiet_until(session, contact, channel, step)
    if later > step.now:
        return Hold(later, waiting=False)
    if sent_today(session, contact.id or 0, step) >= clock.messages_per_day():
        return Go("skipped", "frequency_cap")
    locale = locales.for_contact(session, contact, channel)
    fields = context_of(contact, _coupon(step, config, contact.id or 0))
    kind, text = "text", render(pick(config.get("text"), locale), fields)
    payload: dict[str, Any] = {}
    buttons = [shop_chat.button(render(pick(b.get("title"), locale), fields)[:20], str(b["id"]))
               for b in config.get("buttons") or [] if isinstance(b, dict)]
    if config.get("payment_link"):  # the catalog's chat answers it: an order and its payment link
        buttons.append(shop_chat.button(shop_chat.say("checkout", locale), shop_chat.CHECKOUT))
    if buttons:
        kind, payload = "buttons", {"buttons": buttons}
    if config.get("media_url"):
        kind, payload = "media", {**payload, "media_url": config["media_url"], "media_type": "image"}
    if replies.window_closed(conversation, channel):
        template = config.get("template")
        if not isinstance(template, dict) or not template.get("name"):
            return Go("skipped", "outside_window")
        kind, payload = "template", {"template_name": template["name"],
                                     "template_language": template.get("language") or "en", "template_params": []}
    try:
        message, _ = replies.queue_reply(session=session, conversation=conversation, author_id=None, text=text,
                                         kind=kind, payload=payload, client_key=f"flow:{step.key}",
                                         sender=Sender.flow.value)
    except replies.ReplyRefused as refused:
        return Go("skipped", refused.code)
    if config.get("product_ids") and kind != "template":
        _queue_products(session, conversation, config["product_ids"], locale, step)
    step.note("sent")
    step.remember(last_message_id=message.id, conversation_id=conversation.id)
    return Go("sent")


def _queue_products(session: Session, conversation: Conversation, product_ids: list[int], locale: str,
                    step: Step) -> None:
    """Product cards after the text: each product's first variant, priced in the conversation's currency; a
    product without a price there (or gone) is left out."""
    by_product = variants_of(session=session, product_ids=[int(p) for p in product_ids][:10])
    variant_ids = [found[0].id for p in product_ids if (found := by_product.get(int(p))) and found[0].id]
    currency = shop_chat.currency_for(session=session, conversation=conversation)
    try:
        kind, text, payload = shop_chat.product_message(session=session, variant_ids=variant_ids, locale=locale,
                                                        currency=currency)
    except CatalogError:
        return
    replies.queue_reply(session=session, conversation=conversation, author_id=None, text=text, kind=kind,
                        payload=payload, client_key=f"flow:{step.key}:products", sender=Sender.flow.value)
