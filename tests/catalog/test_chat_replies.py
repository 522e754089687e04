"""Cart commands from customers: taps, callbacks and SMS menu numbers change the cart and answer once."""

from datetime import UTC, datetime

from sqlmodel import select

from catalog import chat, chat_replies, service
from catalog.errors import CatalogError
from catalog.models import Cart, CartItem
from channels import IdentityRef, InboundMessage
from channels.text import numbered_menu
from hub import composition
from hub.conversations import outbound
from hub.conversations.models import Conversation, Message
from hub.ingest.service import receive
from hub.runtime import events
from hub.runtime.db import session_scope
from tests.catalog.factories import make_product
from tests.factories import make_channel


def says(channel_id, provider_id, *, identity, text=None, kind="text", payload=None, locale="zh_Hant"):
    """A customer's message stored as the webhook job would store it; returns (message id, conversation id)."""
    inbound = InboundMessage(provider_message_id=provider_id, identities=(identity,), kind=kind, text=text,
                             payload=payload or {}, sent_at=datetime.now(UTC), profile_name="陳大文", locale=locale)
    with session_scope() as session:
        message = receive(session=session, channel_id=channel_id, inbound=inbound)
        return message.id, message.conversation_id


def replies(conversation_id):
    with session_scope() as session:
        return list(session.exec(select(Message).where(Message.conversation_id == conversation_id,
                                                       Message.direction == "outbound").order_by(Message.id)))


def cart_items(conversation_id):
    with session_scope() as session:
        carts = session.exec(select(Cart).where(Cart.conversation_id == conversation_id)).all()
        return {(item.variant_id, item.quantity) for cart in carts if cart.status == "open"
                for item in session.exec(select(CartItem).where(CartItem.cart_id == cart.id))}


def test_an_add_to_cart_tap_adds_once_and_answers_once_even_when_the_job_runs_twice(backend):
    variant_id = make_product()["SHIRT-M"]
    channel = make_channel("telegram", "Shop bot")
    tap = f"cart:add:{variant_id}"
    message_id, conversation_id = says(channel.id, "callback:1", identity=IdentityRef("telegram", "700100200"),
                                       kind="callback", text=tap, payload={"data": tap})
    assert chat_replies.answer_cart_reply(message_id) == f"{tap} answered"
    assert chat_replies.answer_cart_reply(message_id) == "answered already"
    assert cart_items(conversation_id) == {(variant_id, 1)}
    [reply] = replies(conversation_id)
    assert reply.client_key == f"cart-reply-{message_id}" and reply.kind == "buttons" and reply.author_id is None
    assert reply.text.startswith("已加入購物車。") and "1 × 絲質襯衫 (M)  HK$128.50" in reply.text
    assert reply.text.endswith("合計: HK$128.50")
    assert [b["id"] for b in reply.payload["buttons"]] == ["cart:checkout", "cart:view"]


def test_a_whatsapp_list_reply_in_japanese_prices_the_cart_in_yen(backend):
    variant_id = make_product()["SHIRT-M"]
    channel = make_channel("webchat", "Shop site")
    message_id, conversation_id = says(channel.id, "w1", identity=IdentityRef("webchat", "visitor-1"),
                                       kind="button_reply", text="カートに入れる", locale="ja",
                                       payload={"id": f"cart:add:{variant_id}", "title": "カートに入れる"})
    chat_replies.answer_cart_reply(message_id)
    [reply] = replies(conversation_id)
    assert "1 × シルクシャツ (M)  ￥2,400" in reply.text


def test_on_sms_a_bare_number_picks_that_row_of_the_last_menu(backend):
    ids = make_product(variants={"SHIRT-M": {"HKD": 12850}, "SHIRT-L": {"HKD": 13850}})
    channel = make_channel("sms_twilio", "SMS")
    phone = IdentityRef("phone", "+85291234567")
    _, conversation_id = says(channel.id, "SM1", identity=phone, text="有冇恤衫？")
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        kind, text, payload = chat.product_message(session=session, variant_ids=[ids["SHIRT-M"], ids["SHIRT-L"]],
                                                   locale="zh_Hant", currency="HKD")
        menu, _ = outbound.queue_reply(session=session, conversation=conversation, author_id=None, text=text,
                                       kind=kind, payload=payload)
        shown = numbered_menu(menu.text, outbound.as_outbound(menu, phone).buttons)
    assert "2. 絲質襯衫 (L) (HK$138.50)" in shown  # what the customer reads on SMS
    message_id, _ = says(channel.id, "SM2", identity=phone, text="２")
    chat_replies.answer_cart_reply(message_id)
    assert cart_items(conversation_id) == {(ids["SHIRT-L"], 1)}
    # the answer is itself a menu: "1" now means Checkout
    message_id, _ = says(channel.id, "SM3", identity=phone, text="1")
    assert chat_replies.answer_cart_reply(message_id) == "cart:checkout answered"
    assert "HK$138.50" in replies(conversation_id)[-1].text


def test_checking_out_the_last_item_twice_apologises_to_the_second_customer(backend):
    variant_id = make_product(stock=1)["SHIRT-M"]
    channel = make_channel("webchat", "Shop site")  # a Stripe link (a Telegram bot sends an invoice)
    tap = f"cart:add:{variant_id}"
    conversations = []
    for user, locale in (("1", "zh_Hant"), ("2", "ja")):
        visitor = IdentityRef("webchat", f"visitor-{user}")
        message_id, conversation_id = says(channel.id, f"callback:add{user}", identity=visitor,
                                           kind="callback", text=tap, payload={"data": tap}, locale=locale)
        chat_replies.answer_cart_reply(message_id)
        conversations.append(conversation_id)
    for user in ("1", "2"):
        message_id, _ = says(channel.id, f"callback:checkout{user}", identity=IdentityRef("webchat", f"visitor-{user}"),
                             kind="callback", text="cart:checkout", payload={"data": "cart:checkout"})
        chat_replies.answer_cart_reply(message_id)
    first, second = (replies(conversation_id)[-1] for conversation_id in conversations)
    with session_scope() as session:
        [order] = service.recent_orders(session=session, contact_id=session.get(
            Conversation, conversations[0]).contact_id)
        assert order.total_minor == 12850 and order.currency == "HKD"
    assert first.text.startswith(f"訂單 {order.number}：HK$128.50。")
    [pay] = first.payload["buttons"]  # Stripe, or its sandbox page without a key
    assert first.kind == "buttons" and pay["title"] == "立即付款" and pay["url"].startswith("http")
    assert second.kind == "text" and second.text == "申し訳ありません。シルクシャツ (M) は売り切れです。"
    assert cart_items(conversations[1]) == {(variant_id, 1)}  # the second cart is left as it was


def refuse_checkout(**_: object) -> None:
    raise CatalogError("payments are not set up")


def test_without_a_payment_link_the_order_number_and_total_are_answered(backend, monkeypatch):
    monkeypatch.setattr(chat_replies, "create_checkout", refuse_checkout)
    variant_id = make_product()["SHIRT-M"]
    channel = make_channel("webchat", "Shop site")  # a Stripe link (a Telegram bot sends an invoice)
    for n, data in enumerate((f"cart:add:{variant_id}", "cart:checkout")):
        message_id, conversation_id = says(channel.id, f"callback:{n}", identity=IdentityRef("webchat", "visitor-5"),
                                           kind="callback", text=data, payload={"data": data}, locale="en")
        chat_replies.answer_cart_reply(message_id)
    last = replies(conversation_id)[-1]
    assert last.kind == "text" and last.text.endswith(": HK$128.50.\nWe will send you a way to pay shortly.")


def test_other_messages_and_agent_messages_are_left_alone(backend):
    channel = make_channel("telegram", "Shop bot")
    message_id, conversation_id = says(channel.id, "m1", identity=IdentityRef("telegram", "9"), text="2")
    assert chat_replies.answer_cart_reply(message_id) == "not a cart command"  # no menu was sent before
    message_id, _ = says(channel.id, "m2", identity=IdentityRef("telegram", "9"), text="cart:view")
    assert chat_replies.answer_cart_reply(message_id) == "cart:view answered"
    assert replies(conversation_id)[-1].text == "你的購物車是空的。"
    assert chat_replies.answer_cart_reply(replies(conversation_id)[-1].id) == "not a customer message"


def test_every_customer_message_enqueues_the_cart_reply_job(backend, monkeypatch):
    enqueued = []
    monkeypatch.setattr(chat_replies.broker, "enqueue_each", lambda *args: enqueued.append(args))
    composition.wire()
    channel = make_channel("telegram", "Shop bot")
    message_id, _ = says(channel.id, "m1", identity=IdentityRef("telegram", "9"), text="hello")
    assert ("inbound", chat_replies.answer_cart_replies, [message_id]) in enqueued
    events.clear()


def test_a_whatsapp_catalog_order_fills_the_cart_at_hubs_own_prices(backend):
    from pathlib import Path

    from channels.meta.parse import parse_body
    from hub.runtime.db import utcnow

    body = (Path(__file__).resolve().parents[1] / "fixtures" / "meta" / "order.json").read_bytes()
    [inbound] = parse_body(body).messages  # recorded: 2 x SKU-TEA-001 at "88" and 1 x SKU-MUG-002 at "120"
    ids = make_product("tea", {"en": "Oolong tea", "zh_Hant": "烏龍茶"},
                       variants={"SKU-TEA-001": {"HKD": 9900}, "SKU-MUG-002": {"HKD": 15000}})
    channel = make_channel("whatsapp_meta", "WhatsApp HK")
    with session_scope() as session:
        message = receive(session=session, channel_id=channel.id, inbound=inbound)
        message_id, conversation_id = message.id, message.conversation_id
        session.get(Conversation, conversation_id).last_inbound_at = utcnow()
    assert chat_replies.answer_cart_reply(message_id) == "whatsapp order answered"
    assert cart_items(conversation_id) == {(ids["SKU-TEA-001"], 2), (ids["SKU-MUG-002"], 1)}
    [reply] = replies(conversation_id)
    assert reply.text.endswith("HK$348.00")  # 2 x 99.00 + 150.00 from Hub's catalog, not the message's prices
