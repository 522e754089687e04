"""The bots' steps on the journeys engine (see docs/bots.md for their config and ports).

A bot step speaks in the run's language (`context.locale`: the customer's message's, else the contact's), with
sender `bot`, so the delivery engine drops it if a person has taken the conversation meanwhile. A step that
asks holds (`await: bot`) until the customer's next message (`flows.bots.dispatch` re-applies it with the
message in `context.inbound`) or its timeout (`no_reply`). A conversation in `human` mode ends the run before a
step says anything. Entering the same step a third time in a run is a loop: the bot hands off.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlmodel import col, select

from catalog import chat as catalog_chat
from catalog import money
from catalog.loyalty import program as loyalty
from catalog.models import Order
from catalog.orders import recent_orders
from channels import Button
from channels.text import choice_from_reply
from flows.bots import handoff, knowledge, texts
from flows.bots.models import Bot
from flows.journeys.graph import Node
from flows.journeys.messages import pick
from flows.journeys.runner import End, Go, Hold, Result, Step
from hub.channel_records.service import adapter_of
from hub.contacts.models import ChannelIdentity
from hub.conversations import outbound as replies
from hub.conversations.models import AutomationMode, Conversation
from hub.outbound import Sender
from hub.tagging.match import KeywordIndex, normalize

DEFAULT_TIMEOUT = 60
DEFAULT_RETRIES = 2
LOOP = 3
NEW_TOPIC = "new_topic"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ORDER_NUMBER = re.compile(r"^[A-Z0-9]{4}-?[A-Z0-9]{4}$")


def _conversation(step: Step) -> Conversation | None:
    cid = step.run.conversation_id or step.run.context.get("conversation_id")
    return step.session.get(Conversation, int(cid), populate_existing=True) if cid else None


def _locale(step: Step) -> str:
    return texts.canonical(step.run.context.get("locale"))


def bot_id_of(step: Step) -> int | None:
    if step.run.context.get("bot_id"):
        return int(step.run.context["bot_id"])
    found = step.session.exec(select(Bot).where(Bot.flow_id == step.run.flow_id)).first()
    return found.id if found else None


def _inbound(step: Step) -> dict[str, Any] | None:
    """The customer's message this held step waits for: newer than when it began to wait, else None."""
    inbound = step.run.context.get("inbound") or {}
    if int(inbound.get("message_id") or 0) <= int(step.state.get("after") or 0):
        return None
    return dict(inbound)


def _say(step: Step, text: str | None, buttons: list[Button] | None = None, part: str = "",
         reply: tuple[str, dict[str, Any]] | None = None) -> None:
    conversation = _conversation(step)
    if conversation is None:
        return
    kind, payload = reply or ("text", {})
    if buttons:
        kind, payload = "buttons", {"buttons": [{"title": b.title, "id": b.id} for b in buttons]}
        if len(buttons) > replies.REPLY_BUTTONS:  # named in the run's language, which may not be the contact's
            payload["list_button"] = replies.list_button(_locale(step))
    try:
        replies.queue_reply(session=step.session, conversation=conversation, author_id=None, text=text, kind=kind,
                            payload=payload, client_key=f"bot:{step.key}{part}", sender=Sender.bot.value)
    except replies.ReplyRefused:
        return
    step.note("sent")


def _hold(step: Step, config: dict[str, Any], **state: Any) -> Hold:
    minutes = int(config.get("timeout_minutes") or DEFAULT_TIMEOUT)
    after = int((step.run.context.get("inbound") or {}).get("message_id") or 0)
    step.remember(fresh=False)  # the message that started the run is answered: later steps wait for new ones
    return Hold(step.now + timedelta(minutes=minutes), state={"await": "bot", "after": after, **state})


def hand_over(step: Step, reason: str, *, detail: str | None = None, team_id: int | None = None,
              text: str | None = None) -> Result:
    bot_id = bot_id_of(step)
    conversation = _conversation(step)
    if bot_id is not None and conversation is not None and conversation.id is not None:
        handoff.hand_off(step.session, bot_id=bot_id, conversation_id=conversation.id, reason=reason,
                         locale=_locale(step), detail=detail, team_id=team_id, text=text, now=step.now)
    return End("exited", "bot_handoff")


def _remember(step: Step, **values: Any) -> None:
    from flows.bots import service

    bot_id, conversation = bot_id_of(step), _conversation(step)
    if bot_id is not None and conversation is not None and conversation.id is not None:
        service.remember(session=step.session, bot_id=bot_id, conversation_id=conversation.id, **values)


def _guarded(kind: Callable[[Step, dict[str, Any]], Result]) -> Callable[[Step, dict[str, Any]], Result]:
    """No step answers a conversation a person has taken; entering a step a third time hands off."""

    def apply(step: Step, config: dict[str, Any]) -> Result:
        conversation = _conversation(step)
        if conversation is None:
            return End("exited", "no_conversation")
        if conversation.automation_mode == AutomationMode.human.value:
            return End("exited", "human_took_over")
        if not step.state.get("held"):
            visits = dict(step.run.context.get("visits") or {})
            visits[step.run.node_id or ""] = int(visits.get(step.run.node_id or "", 0)) + 1
            step.remember(visits=visits)
            if visits[step.run.node_id or ""] >= LOOP:
                return hand_over(step, "loop", detail=f"step {step.run.node_id}")
        return kind(step, config)

    return apply


# --- menu -----------------------------------------------------------------------------------------------------


def _buttons(config: dict[str, Any], locale: str) -> list[Button]:
    return [Button(title=pick(o.get("title"), locale)[:20], id=f"opt:{o['id']}") for o in config.get("options") or []]


def chosen_option(config: dict[str, Any], inbound: dict[str, Any], locale: str, *, by_text_only: bool = False
                  ) -> str | None:
    """The option a reply picks: a tapped button, a number (SMS's numbered menu), or words of its title or
    keywords in the text."""
    options = [o for o in config.get("options") or [] if isinstance(o, dict)]
    if not by_text_only:
        tapped = str(inbound.get("button") or "")
        if tapped.startswith("opt:") and any(str(o["id"]) == tapped[4:] for o in options):
            return tapped[4:]
        picked = choice_from_reply(inbound.get("text"), _buttons(config, locale))
        if picked is not None and picked.id:
            return picked.id[4:]
    words = {i: [*(o.get("keywords") or []), *((o.get("title") or {}).values() if isinstance(o.get("title"), dict)
                                                 else [o.get("title") or ""])]
             for i, o in enumerate(options)}
    found = KeywordIndex({i: [str(w) for w in ws if str(w).strip()] for i, ws in words.items()}).find(
        normalize(str(inbound.get("text") or "")))
    return str(options[min(found)]["id"]) if len(found) >= 1 else None


def menu(step: Step, config: dict[str, Any]) -> Result:
    locale = _locale(step)
    buttons = _buttons(config, locale)
    if step.state.get("held"):
        inbound = _inbound(step)
        if inbound is None:
            return Go("no_reply")
        option = chosen_option(config, inbound, locale)
        if option is not None:
            return Go(f"option:{option}")
        if config.get("on_other") == "restart" and not inbound.get("button"):
            return End("exited", NEW_TOPIC)  # another question: the dispatcher starts the bot over with it
        tries = int(step.state.get("tries") or 0) + 1
        if tries > int(config.get("retries", DEFAULT_RETRIES)):
            return hand_over(step, "gave_up", detail=f"menu {step.run.node_id}")
        _say(step, texts.say("not_understood", locale), buttons, part=f":retry{tries}")
        return _hold(step, config, tries=tries)
    first = step.run.context.get("inbound") or {}
    if config.get("match_first", True) and step.run.context.get("fresh"):
        option = chosen_option(config, first, locale, by_text_only=True)
        if option is not None:
            step.remember(fresh=False)
            return Go(f"option:{option}")
    _say(step, pick(config.get("text"), locale), buttons)
    return _hold(step, config)


# --- FAQ ------------------------------------------------------------------------------------------------------


def _threshold(step: Step, config: dict[str, Any]) -> float:
    if config.get("threshold") is not None:
        return float(config["threshold"])
    bot_id = bot_id_of(step)
    bot = step.session.get(Bot, bot_id) if bot_id else None
    return bot.threshold if bot else 0.5


def faq(step: Step, config: dict[str, Any]) -> Result:
    locale = _locale(step)
    if step.state.get("held"):
        inbound = _inbound(step)
        if inbound is None:
            return Go("no_reply")
        text = str(inbound.get("text") or "")
    elif config.get("prompt"):
        _say(step, pick(config["prompt"], locale))
        return _hold(step, config)
    else:
        text = str((step.run.context.get("inbound") or {}).get("text") or "")
    hit = knowledge.match(session=step.session, text=text, locale=locale, threshold=_threshold(step, config))
    if hit is not None:
        _say(step, hit.entry.answer, part=f":a{hit.entry.id}")
        _remember(step, last_answer=hit.entry.question, last_answer_id=hit.entry.id)
        return Go("answered")
    if step.graph.after(step.run.node_id or "", "no_answer") is not None:
        return Go("no_answer")
    tries = int(step.state.get("tries") or 0) + 1
    if config.get("on_miss", "ask") != "ask" or tries > int(config.get("retries", DEFAULT_RETRIES)):
        return hand_over(step, "no_answer", detail=text[:200])
    _say(step, texts.say("no_answer", locale), part=f":retry{tries}")
    return _hold(step, config, tries=tries)


# --- collect & validate ---------------------------------------------------------------------------------------


def valid(field: str, text: str, region: str | None = None) -> str | None:
    """The value a reply gives for `field`, normalised, or None when it is not one."""
    import unicodedata

    value = unicodedata.normalize("NFKC", text).strip()
    if field == "email":
        return value.lower() if EMAIL.match(value) else None
    if field == "phone":
        import phonenumbers

        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(number):
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if field == "date":
        digits = re.findall(r"\d+", value)
        if len(digits) == 3 and len(digits[0]) == 4:
            try:
                return date(int(digits[0]), int(digits[1]), int(digits[2])).isoformat()
            except ValueError:
                return None
        return None
    if field == "order_number":
        upper = value.upper().replace(" ", "")
        return (upper if "-" in upper else f"{upper[:4]}-{upper[4:]}") if ORDER_NUMBER.match(upper) else None
    return value or None


def collect(step: Step, config: dict[str, Any]) -> Result:
    locale, field = _locale(step), str(config.get("field"))
    if not step.state.get("held"):
        _say(step, pick(config.get("prompt"), locale))
        return _hold(step, config)
    inbound = _inbound(step)
    if inbound is None:
        return Go("no_reply")
    value = valid(field, str(inbound.get("text") or ""), config.get("region"))
    if value is not None:
        name = str(config.get("save_as") or field)
        collected = {**(step.run.context.get("collected") or {}), name: value}
        step.remember(collected=collected)
        _remember(step, collected=collected)
        return Go("valid")
    tries = int(step.state.get("tries") or 0) + 1
    if tries > int(config.get("retries", DEFAULT_RETRIES)):
        if step.graph.after(step.run.node_id or "", "gave_up") is not None:
            return Go("gave_up")
        return hand_over(step, "gave_up", detail=f"{field}: {str(inbound.get('text') or '')[:100]}")
    _say(step, texts.say("invalid", locale, what=texts.word(texts.WHAT, field, locale)), part=f":retry{tries}")
    return _hold(step, config, tries=tries)


# --- order status ---------------------------------------------------------------------------------------------


def verified_orders(step: Step, conversation: Conversation) -> tuple[bool, list[Order]]:
    """(verified, orders): with a verified identity of this channel's kind, the contact's recent orders; else
    only orders placed from this very channel (the customer proved they are this chat's owner by buying here)."""
    kinds = adapter_of(_channel_kind(step, conversation)).identity_kinds
    verified = step.session.exec(select(ChannelIdentity).where(
        ChannelIdentity.contact_id == conversation.contact_id, col(ChannelIdentity.verified).is_(True),
        col(ChannelIdentity.kind).in_(list(kinds)))).first() is not None
    orders = recent_orders(session=step.session, contact_id=conversation.contact_id, limit=10)
    if verified:
        return True, orders[:3]
    here = [o for o in orders if o.channel_id == conversation.channel_id]
    return bool(here), here[:3]


def _channel_kind(step: Step, conversation: Conversation) -> str:
    from hub.channel_records.models import Channel

    channel = step.session.get(Channel, conversation.channel_id)
    return channel.kind if channel else "webchat"


def order_status(step: Step, config: dict[str, Any]) -> Result:
    conversation = _conversation(step)
    assert conversation is not None
    locale = _locale(step)
    verified, orders = verified_orders(step, conversation)
    wanted = (step.run.context.get("collected") or {}).get("order_number")
    if wanted:
        orders = [o for o in orders if o.number == wanted]
    if not verified:
        anything = recent_orders(session=step.session, contact_id=conversation.contact_id, limit=1)
        if anything:
            _say(step, texts.say("orders_unverified", locale))
            return Go("unverified")
    if not orders:
        _say(step, texts.say("orders_none", locale))
        return Go("none")
    lines = [texts.say("order_line", locale, number=o.number, status=texts.word(texts.ORDER_STATUS, o.status, locale),
                       total=money.display(o.total_minor, o.currency, locale.replace("-", "_")))
             for o in orders]
    _say(step, "\n".join(lines))
    _remember(step, last_answer="order status", orders=[o.number for o in orders])
    return Go("shown")


# --- product search -------------------------------------------------------------------------------------------

DEFAULT_PRODUCTS = 5


def products(step: Step, config: dict[str, Any]) -> Result:
    """The products the customer asks for, as cards in their language priced in the conversation's currency."""
    conversation = _conversation(step)
    assert conversation is not None
    locale = _locale(step)
    if step.state.get("held"):
        inbound = _inbound(step)
        if inbound is None:
            return Go("no_reply")
        text = str(inbound.get("text") or "")
    elif config.get("prompt"):
        _say(step, pick(config["prompt"], locale))
        return _hold(step, config)
    else:
        text = str((step.run.context.get("inbound") or {}).get("text") or "")
        step.remember(fresh=False)
    currency = catalog_chat.currency_for(session=step.session, conversation=conversation)
    found = catalog_chat.search_message(session=step.session, text=text, locale=locale, currency=currency,
                                        limit=int(config.get("limit") or DEFAULT_PRODUCTS))
    if found is None:
        _say(step, texts.say("products_none", locale), part=":none")
        return Go("none")
    kind, body, payload = found
    _say(step, body, part=":cards", reply=(kind, payload))
    _remember(step, last_answer=f"products: {text[:100]}")
    return Go("found")


# --- loyalty points -------------------------------------------------------------------------------------------


def points(step: Step, config: dict[str, Any]) -> Result:
    """The customer's points balance and tier, only for a verified customer (as the order status: a verified
    identity of this channel's kind, or an order placed from this very chat)."""
    conversation = _conversation(step)
    assert conversation is not None
    locale = _locale(step)
    verified, _ = verified_orders(step, conversation)
    if not verified:
        _say(step, texts.say("points_unverified", locale))
        return Go("unverified")
    found = loyalty.summary(session=step.session, contact_id=conversation.contact_id, limit=0)
    lines = [texts.say("points_balance", locale, points=f"{found['balance']:,}")]
    if found["tier"] is not None:
        lines.append(texts.say("points_tier", locale, tier=found["tier"].name))
    if found["next_tier"] is not None:
        lines.append(texts.say("points_next", locale, tier=found["next_tier"].name,
                               points=f"{found['next_tier'].threshold - found['qualifying_points']:,}"))
    _say(step, "\n".join(lines))
    _remember(step, last_answer="loyalty points")
    return Go("shown")


# --- business hours, handoff ----------------------------------------------------------------------------------


def hours(step: Step, config: dict[str, Any]) -> Result:
    locale = _locale(step)
    when = handoff._when_open(step.session, step.now, locale)
    if when is None:
        return Go("open")
    away = pick(config.get("text"), locale) if config.get("text") else ""
    _say(step, away.replace("{when}", when) if away else texts.say("away", locale, when=when))
    return Go("closed")


def hand_off(step: Step, config: dict[str, Any]) -> Result:
    text = pick(config.get("text"), _locale(step)) if config.get("text") else None
    return hand_over(step, str(config.get("reason") or "step")[:20],
                     team_id=int(config["team_id"]) if config.get("team_id") else None, text=text or None)


def apply(step: Step, node: Node) -> Result:
    return BOT_KINDS[node.type](step, node.config)


BOT_KINDS: dict[str, Callable[[Step, dict[str, Any]], Result]] = {
    "bot_menu": _guarded(menu), "bot_faq": _guarded(faq), "bot_collect": _guarded(collect),
    "bot_order_status": _guarded(order_status), "bot_products": _guarded(products),
    "bot_points": _guarded(points), "bot_hours": _guarded(hours), "handoff": _guarded(hand_off),
}
