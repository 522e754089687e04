"""`make run`'s demo shop: its bot answers opening hours and "where is my order" on every sandbox channel in
three languages, and hands a refund request to the agent who reads the customer's language, with a note."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlmodel import select

from flows.bots import demo, handoff
from hub import composition
from hub.agents.models import User
from hub.channel_records import service as channel_service
from hub.channel_records.models import Channel
from hub.runtime.db import session_scope, utcnow
from hub.runtime.settings import get_settings
from tests.bots.world import Phone, thread

HOURS = [  # channel kind, customer, question, answer
    ("whatsapp_meta", "+85261234501", "請問你們幾點開門？", "我們每天 11:00 至 20:00 營業（香港時間）。"),
    ("whatsapp_twilio", "+819011112222", "営業時間は何時までですか？",
     "毎日11時から20時まで営業しています（香港時間）。"),
    ("sms_twilio", "+14155550199", "What are your opening hours?",
     "We're open every day from 11:00 to 20:00 (Hong Kong time)."),
    ("telegram", "700100901", "営業時間を教えて", "毎日11時から20時まで営業しています（香港時間）。"),
]


def test_the_demo_bot_answers_hours_and_orders_and_hands_refunds_to_the_right_agent(
        backend, client, sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_PUBLIC_URL", sandbox.url)  # the demo's channels have no credentials: the sandbox
    get_settings.cache_clear()
    channel_service.forget_cache()
    composition.load_demo()
    assert demo.announce() is None  # once
    with session_scope() as session:
        channels = {c.kind: c.id for c in session.exec(select(Channel)).all()}
        agents = {u.email: u.id for u in session.exec(select(User)).all()}
    shop = SimpleNamespace(client=client, sandbox=sandbox, channels=channels)

    for kind, customer, question, answer in HOURS:
        phone = Phone(shop, kind, customer, "Demo customer")  # type: ignore[arg-type]
        phone.says(question)
        assert answer in [r.text for r in phone.received()], kind
        asked = {"whatsapp_meta": "查詢訂單", "sms_twilio": "where is my order?"}.get(kind, "注文状況")
        phone.says(asked)
        assert phone.last().text in ("暫時找不到你的訂單。", "I can't find any orders for you yet.",
                                     "ご注文が見つかりませんでした。"), kind

    refund = Phone(shop, "whatsapp_meta", "+85261234502", "黃小姐")  # type: ignore[arg-type]
    refund.says("我想退款，件衫太細")
    conversation = refund.conversation()
    assert conversation.automation_mode == "human" and conversation.assignee_id == agents["mei@hub.local"]
    [note] = [m for m in thread(conversation.id or 0) if m.kind == "note"]
    assert "refund" in (note.text or "") and "我想退款" in (note.text or "")
    with session_scope() as session:  # the demo shop keeps business hours: outside them, when a person answers
        when = handoff._when_open(session, utcnow(), "zh-Hant")
    assert refund.last().text == (f"謝謝！我們的同事會在營業時間（{when}）在這裡回覆你。" if when
                                  else "謝謝！我會請同事接手，他們會盡快在這裡回覆你。")
