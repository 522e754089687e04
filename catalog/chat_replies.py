"""Customers' cart commands in the chat: add to the cart, see it, check out.

A listener on MESSAGE_RECEIVED enqueues `answer_cart_reply` with the message id; the job opens
its own session. Its answer carries `client_key=cart-reply-<message id>` and is queued in the
same transaction as the cart change, so a job run twice changes the cart and answers once.
Messages that are not cart commands are left alone.

A command arrives as a WhatsApp button or list reply (`payload.id`), a Telegram callback
(`payload.data`), a web chat button (`payload.id`), or, on SMS, as the number of a row of the
last numbered menu Hub sent in the conversation (resolved against that message's stored buttons).
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from catalog import carts, chat, money, orders, telegram_pay
from catalog.errors import CatalogError, OutOfStock
from catalog.models import Order, Product, Variant
from catalog.payments.stripe_checkout import create_checkout
from catalog.products import variant_label
from channels.text import choice_from_reply
from channels.types import Button
from hub.conversations import outbound
from hub.conversations.models import Conversation, Message
from hub.runtime import broker, events
from hub.runtime.db import session_scope, utcnow
from hub.runtime.settings import get_settings

log = logging.getLogger(__name__)

QUEUE = "inbound"
COMMAND = re.compile(r"cart:(?:add:\d{1,18}|view|checkout)")
MENU_KINDS = ("buttons", "list")
SUCCESS_PATH = "/pay/{number}/done"
CANCEL_PATH = "/pay/{number}/cancelled"


def reply_key(message_id: int) -> str:
    return f"cart-reply-{message_id}"


def enqueue_cart_replies(batch: list[events.Event]) -> None:
    """Every customer message gets a (cheap) look: is it a cart command? One job per commit (batch listener)."""
    broker.enqueue_each(QUEUE, answer_cart_replies, [int(event.data["message_id"]) for event in batch])


def answer_cart_replies(message_ids: list[int]) -> str:
    """The job: `answer_cart_reply` on each of a commit's customer messages, in order."""
    return broker.each(QUEUE, answer_cart_reply, message_ids)


def answer_cart_reply(message_id: int) -> str:
    """The job: answer one customer message if it is a cart command."""
    with session_scope() as session:
        return answer(session=session, message_id=message_id)


def answer(*, session: Session, message_id: int) -> str:
    """Carry out the cart command in a customer's message and queue the answer; the caller commits."""
    message = session.get(Message, message_id)
    if message is None or message.direction != "inbound":
        return "not a customer message"
    if message.kind == "payment":  # Telegram Payments: a pre-checkout query or a successful payment
        paying = session.get(Conversation, message.conversation_id)
        locale = chat.customer_locale(session=session, conversation=paying) if paying else None
        return telegram_pay.handle(session=session, message=message, locale=locale)
    key = reply_key(message_id)
    if session.exec(select(Message.id).where(Message.conversation_id == message.conversation_id,
                                             Message.client_key == key)).first() is not None:
        return "answered already"
    command = "whatsapp order" if message.kind == "order" else command_of(session=session, message=message)
    if command is None:
        return "not a cart command"
    conversation = session.get(Conversation, message.conversation_id)
    assert conversation is not None
    locale = chat.customer_locale(session=session, conversation=conversation)
    if command == chat.CHECKOUT and checkouts_capped(session=session, conversation_id=message.conversation_id):
        log.info("checkout in conversation %s not answered: the hourly cap is reached", message.conversation_id)
        return "not answered: checkouts capped"  # quiet: no stock held, nothing sent
    if message.kind == "order":
        kind, text, payload = whatsapp_order(session=session, conversation=conversation, order=message.payload,
                                             locale=locale)
    else:
        kind, text, payload = perform(session=session, conversation=conversation, command=command, locale=locale)
    try:
        # `system`, not `bot`: the answer to the customer's own tap (add to cart, checkout) goes out in bot and
        # human mode alike; only a bot's conversation is held back when a person has the conversation
        _, created = outbound.queue_reply(session=session, conversation=conversation, author_id=None, text=text,
                                          kind=kind, payload=payload, client_key=key, sender="system")
    except outbound.ReplyRefused as refused:
        session.rollback()
        return f"not answered: {refused}"
    if not created:  # another run answered while this one worked: undo this run's cart change
        session.rollback()
        return "answered already"
    return f"{command} answered"


def checkouts_capped(*, session: Session, conversation_id: int) -> bool:
    """True when the conversation had `HUB_CHECKOUTS_PER_HOUR` orders (checkouts, payment links) in the last
    hour: each holds stock, so a loop or a prankster tapping Checkout must not empty the shelves."""
    since = utcnow() - timedelta(hours=1)
    made = session.exec(select(func.count()).select_from(Order).where(
        Order.conversation_id == conversation_id, col(Order.created_at) >= since)).one()
    return int(made) >= get_settings().checkouts_per_hour


def command_of(*, session: Session, message: Message) -> str | None:
    """The cart command a customer's message carries, if any."""
    payload = message.payload or {}
    for candidate in (payload.get("id"), payload.get("data"), payload.get("payload"), message.text):
        if isinstance(candidate, str) and COMMAND.fullmatch(candidate.strip()):
            return candidate.strip()
    if message.kind != "text" or not message.text:
        return None
    menu = _last_menu(session, message)
    choice = choice_from_reply(message.text, menu)
    if choice is None or not choice.id or not COMMAND.fullmatch(choice.id):
        return None
    return choice.id


def _last_menu(session: Session, message: Message) -> list[Button]:
    """The buttons of the last thing Hub sent before this message, when it was a menu."""
    last = session.exec(
        select(Message)
        .where(Message.conversation_id == message.conversation_id, Message.direction == "outbound",
               col(Message.id) < message.id, col(Message.kind) != "note")
        .order_by(col(Message.id).desc()).limit(1)
    ).first()
    if last is None or last.kind not in MENU_KINDS:
        return []
    return [Button(title=str(item.get("title") or ""), id=item.get("id"), url=item.get("url"))
            for item in chat.menu_of(last.payload)]


def perform(*, session: Session, conversation: Conversation, command: str, locale: str | None) -> chat.Reply:
    """Carry out one command; refusals become a sentence for the customer, not an error."""
    try:
        if command.startswith(chat.ADD):
            return _add(session, conversation, int(command.removeprefix(chat.ADD)), locale)
        if command == chat.CHECKOUT:
            return _checkout(session, conversation, locale)
        return _view(session, conversation, locale)
    except OutOfStock as short:
        return "text", _apology(session, short, locale), {}
    except CatalogError as refused:
        log.info("cart command %s refused: %s", command, refused)
        return "text", chat.say("unavailable", locale), {}


def whatsapp_order(*, session: Session, conversation: Conversation, order: dict[str, Any],
                   locale: str | None) -> chat.Reply:
    """A WhatsApp `order` message from the Meta catalog (product_retailer_id = Hub's SKU): its items go
    into the cart at Hub's own prices, whatever price the message carries."""
    assert conversation.id is not None
    cart = carts.open_cart(session=session, contact_id=conversation.contact_id, conversation_id=conversation.id,
                           currency=chat.currency_for(session=session, conversation=conversation))
    added, unknown = 0, []
    for item in order.get("product_items") or []:
        sku = str(item.get("product_retailer_id") or "")
        quantity = item.get("quantity")
        variant = session.exec(select(Variant).where(Variant.sku == sku)).first() if sku else None
        if variant is None or variant.id is None or not isinstance(quantity, int) or not 0 < quantity < 100:
            unknown.append(sku or "?")
            continue
        try:
            carts.add(session=session, cart=cart, variant_id=variant.id, quantity=quantity)
            added += 1
        except CatalogError as refused:
            log.info("WhatsApp order item %s refused: %s", sku, refused)
            unknown.append(sku)
    if not added:
        return "text", chat.say("unavailable", locale), {}
    return chat.cart_message(carts.view(session=session, cart=cart, locale=locale), lead=chat.say("added", locale))


def _add(session: Session, conversation: Conversation, variant_id: int, locale: str | None) -> chat.Reply:
    assert conversation.id is not None
    cart = carts.open_cart(session=session, contact_id=conversation.contact_id, conversation_id=conversation.id,
                           currency=chat.currency_for(session=session, conversation=conversation))
    carts.add(session=session, cart=cart, variant_id=variant_id)
    return chat.cart_message(carts.view(session=session, cart=cart, locale=locale),
                             lead=chat.say("added", locale))


def _view(session: Session, conversation: Conversation, locale: str | None) -> chat.Reply:
    cart = chat.find_open_cart(session=session, conversation=conversation)
    if cart is None:
        return "text", chat.say("empty", locale), {}
    return chat.cart_message(carts.view(session=session, cart=cart, locale=locale))


def _checkout(session: Session, conversation: Conversation, locale: str | None) -> chat.Reply:
    return checkout_reply(session=session, conversation=conversation, locale=locale)


def checkout_reply(*, session: Session, conversation: Conversation, locale: str | None,
                   agent_id: int | None = None) -> chat.Reply:
    """Check out the conversation's open cart and answer with the way to pay (a Stripe link, the
    sandbox checkout, or a Telegram invoice); `agent_id` is who sent it, for attribution."""
    cart = chat.find_open_cart(session=session, conversation=conversation)
    if cart is None or not carts.view(session=session, cart=cart, locale=locale).lines:
        return "text", chat.say("empty", locale), {}
    order = orders.checkout(session=session, cart=cart, agent_id=agent_id)
    if telegram_pay.pays_on_telegram(session=session, conversation=conversation):
        return telegram_pay.invoice_message(session=session, order=order, locale=locale)
    return chat.order_message(number=order.number, total=money.display(order.total_minor, order.currency, locale),
                              locale=locale, pay_url=payment_url(session=session, order=order))


def payment_url(*, session: Session, order: Order) -> str | None:
    """The order's payment link (Stripe's, or the sandbox checkout without a key), when one could be made."""
    public = get_settings().public_url.rstrip("/")
    try:
        with session.begin_nested():
            link = create_checkout(session=session, order_id=order.id or 0,
                                   success_url=public + SUCCESS_PATH.format(number=order.number),
                                   cancel_url=public + CANCEL_PATH.format(number=order.number))
    except CatalogError as refused:  # the order stands; an agent can send the link later
        log.warning("no payment link for order %s: %s", order.number, refused)
        return None
    return link.url or None


def _apology(session: Session, short: OutOfStock, locale: str | None) -> str:
    variant = session.exec(select(Variant).where(Variant.sku == short.sku)).first()
    product = session.get(Product, variant.product_id) if variant else None
    item = variant_label(product, variant, locale) if product and variant else short.sku
    if short.available > 0:
        return chat.say("only_left", locale, item=item, left=short.available)
    return chat.say("sold_out", locale, item=item)
