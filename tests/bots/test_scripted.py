"""Scripted conversations with the shop assistant on each channel kind, in the customer's language: webhooks
in as the providers sign them, the sandbox's wire format out."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from flows.bots.models import BotConversation, BotHandoff
from hub.conversations.models import Conversation
from hub.runtime.db import session_scope
from tests.bots.world import Phone, Shop, thread

SCRIPTS = {
    # kind, customer, name, greeting, menu text, FAQ title, prompt, question, answer, helped, yes
    "telegram": ("telegram", "700100200", "花子 鈴木", "こんにちは", "こんにちは！ご用件をお選びください。", "質問する",
                 "ご質問をどうぞ。", "営業時間は何時までですか？", "毎日11時から20時まで営業しています（香港時間）。",
                 "お役に立ちましたか？", "はい"),
    "whatsapp_meta": ("whatsapp_meta", "+85291234567", "陳大文", "你好", "你好！有甚麼可以幫到你？", "查詢問題",
                      "請問想查詢甚麼？", "請問你們幾點開門？", "我們每天 11:00 至 20:00 營業（香港時間）。",
                      "這個答案有幫助嗎？", "有，謝謝"),
    "sms_twilio": ("sms_twilio", "+85291234599", "Alex Wong", "hello there", "Hi! How can I help?", "1",
                   "What would you like to know?", "What are your opening hours?",
                   "We're open every day from 11:00 to 20:00 (Hong Kong time).", "Did that help?", "1"),
}


@pytest.mark.parametrize("kind", sorted(SCRIPTS))
def test_menu_then_faq_then_satisfied_in_the_customers_language(backend, client, sandbox, kind):
    _, customer, name, hello, menu, faq, prompt, question, answer, helped, yes = SCRIPTS[kind]
    shop = Shop(client, sandbox)
    bot_id = shop.bot([shop.channel(kind)])
    phone = Phone(shop, kind, customer, name)

    phone.says(hello)
    shown = phone.last()
    if kind == "sms_twilio":  # no buttons on SMS: a numbered menu, answered by number
        assert shown.text.startswith(menu) and "1. Ask a question" in shown.text and "2. Where's my order" in shown.text
        phone.says(faq)
    else:  # native buttons: an inline keyboard on Telegram, a list behind one button on WhatsApp (five choices)
        assert shown.text == menu and faq in [b.title for b in shown.buttons] and len(shown.buttons) == 5
        if kind == "whatsapp_meta":
            assert shown.wire["interactive"]["type"] == "list" and shown.list_label == "選擇"
        phone.taps(faq)
    assert phone.last().text == prompt
    phone.says(question)
    said = [r.text or "" for r in phone.received()]
    assert answer in said  # the knowledge base's answer in the customer's language
    assert phone.last().text.startswith(helped)
    if kind == "sms_twilio":
        phone.says(yes)
    else:
        phone.taps(yes)
    before = len(phone.received())
    conversation = phone.conversation()
    assert conversation.automation_mode == "bot" and conversation.assignee_id is None  # nobody was needed
    with session_scope() as session:
        assert session.exec(select(BotHandoff)).first() is None
        handled = session.get(BotConversation, (bot_id, conversation.id))
        assert handled is not None and not handled.handed_off
    bot_messages = [m for m in thread(conversation.id or 0) if m.direction == "outbound"]
    assert {m.sender for m in bot_messages} == {"bot"} and all(m.status == "sent" for m in bot_messages)
    assert len(phone.received()) == before

    resolved = client.post(f"/api/v1/conversations/{conversation.id}/status", headers=shop.agent,
                           json={"status": "resolved"})
    assert resolved.status_code == 200, resolved.text
    stats = client.get(f"/api/v1/bots/{bot_id}/stats", headers=shop.marketer).json()
    assert (stats["conversations"], stats["contained"], stats["containment_rate"], stats["handoffs"]) == (1, 1, 1.0, 0)


def test_where_is_my_order_shows_a_verified_customers_orders_and_refuses_an_unverified_one(backend, client,
                                                                                          sandbox):
    from tests.bots.orders import order_for

    shop = Shop(client, sandbox)
    channel_id = shop.channel("telegram")
    shop.bot([channel_id])
    verified = Phone(shop, "telegram", "700100201", "陳大文")
    verified.says("你好")
    number = order_for(verified.conversation(), channel_id=channel_id)  # bought in this chat: it is theirs
    other = Phone(shop, "telegram", "700100202", "李小明")
    other.says("你好")
    order_for(other.conversation(), channel_id=None)  # bought elsewhere (the shop's site): not shown here

    verified.says("我的訂單到了哪裡？")  # free text that names the menu's option chooses it
    assert verified.last().text.startswith(f"訂單 {number}：已付款，準備中")
    other.says("查詢訂單")
    assert other.last().text.startswith("為保障你的私隱，我只能顯示在這個對話中下的訂單。")
    assert number not in "".join(r.text or "" for r in other.received())


def test_asking_for_a_person_hands_off_assigned_with_a_note_and_the_bot_stays_silent(backend, client, sandbox):
    shop = Shop(client, sandbox)
    channel_id = shop.channel("telegram")
    bot_id = shop.bot([channel_id])
    phone = Phone(shop, "telegram", "700100203", "陳大文")
    phone.says("我想問下件外套有冇M碼")
    phone.says("人工")
    assert phone.last().text == "謝謝！我會請同事接手，他們會盡快在這裡回覆你。"
    conversation = phone.conversation()
    assert conversation.automation_mode == "human" and conversation.assignee_id == shop.mei
    assert conversation.handed_off_at is not None
    notes = [m for m in thread(conversation.id or 0) if m.kind == "note"]
    assert len(notes) == 1 and "人工" in (notes[0].text or "") and "zh-Hant" in (notes[0].text or "")
    with session_scope() as session:
        [handoff] = session.exec(select(BotHandoff)).all()
        assert (handoff.reason, handoff.assignee_id) == ("asked", shop.mei)
    before = len(phone.received())
    phone.says("喂？")
    phone.says("有冇人？")
    assert len(phone.received()) == before  # no bot message after the handoff
    stats = client.get(f"/api/v1/bots/{bot_id}/stats", headers=shop.marketer).json()
    assert stats["handoffs_by_reason"] == {"asked": 1} and stats["contained"] == 0


def test_a_refund_request_goes_to_the_returns_team_with_what_the_bot_knew(backend, client, sandbox):
    shop = Shop(client, sandbox)
    channel_id = shop.channel("whatsapp_meta")
    shop.bot([channel_id])
    phone = Phone(shop, "whatsapp_meta", "+819012345678", "鈴木 花子")
    phone.says("返品したいのですが")
    assert phone.last().text == "ありがとうございます。担当者におつなぎします。まもなくこちらで返信いたします。"
    conversation = phone.conversation()
    assert (conversation.team_id, conversation.assignee_id) == (shop.returns, shop.aya)
    [note] = [m for m in thread(conversation.id or 0) if m.kind == "note"]
    assert "refund" in (note.text or "") and "返品したいのですが" in (note.text or "")


def test_the_agent_hands_back_and_the_bot_resumes(backend, client, sandbox):
    shop = Shop(client, sandbox)
    channel_id = shop.channel("telegram")
    shop.bot([channel_id])
    phone = Phone(shop, "telegram", "700100204", "Alex")
    phone.says("agent")
    conversation = phone.conversation()
    reply = client.post(f"/api/v1/conversations/{conversation.id}/messages", headers=shop.agent,
                        json={"text": "Hi Alex, Mei here. Sorted your address."})
    assert reply.status_code == 202, reply.text
    from tests.bots.world import run_jobs

    run_jobs()
    back = client.put(f"/api/v1/conversations/{conversation.id}/automation", headers=shop.agent,
                      json={"mode": "bot"})
    assert back.status_code == 200 and back.json()["automation_mode"] == "bot"
    phone.says("What are your opening hours?")
    assert "We're open every day from 11:00 to 20:00 (Hong Kong time)." in [r.text for r in phone.received()]
    assert phone.last().text.startswith("Did that help?")
    with session_scope() as session:
        assert session.get(Conversation, conversation.id).automation_mode == "bot"
        handoffs = session.exec(select(BotHandoff).where(col(BotHandoff.conversation_id) == conversation.id)).all()
        assert len(handoffs) == 1
