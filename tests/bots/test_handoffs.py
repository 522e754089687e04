"""The other ways a bot hands off: a loop, a failing step, running out of tries collecting a value."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from flows.bots import knowledge
from flows.bots.models import BotHandoff
from flows.journeys import service as journeys
from hub.runtime.db import session_scope
from tests.bots.world import Phone, Shop


def _t(text: str) -> dict[str, str]:
    return {"en": text, "zh-Hant": text, "ja": text}


def publish(shop: Shop, channel_id: int, nodes: list[dict[str, Any]], edges: list[tuple[str, str, str]]) -> int:
    definition = {"trigger": {"type": "bot", "config": {}}, "start": nodes[0]["id"], "nodes": nodes,
                  "edges": [{"from": a, "port": p, "to": b} for a, p, b in edges]}
    with session_scope() as session:
        flow = journeys.create(session=session, name="Test bot", definition=definition)
        journeys.publish(session=session, flow_id=flow.id or 0)
        flow_id = flow.id
    made = shop.client.post("/api/v1/bots", headers=shop.marketer,
                            json={"name": "Test bot", "flow_id": flow_id, "channel_ids": [channel_id]})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def reasons() -> list[str]:
    with session_scope() as session:
        return [h.reason for h in session.exec(select(BotHandoff)).all()]


def test_the_same_step_a_third_time_is_a_loop_and_hands_off(backend, client, sandbox):
    shop = Shop(client, sandbox)
    channel_id = shop.channel("telegram")
    menu = {"id": "m", "type": "bot_menu", "config": {"text": _t("Again?"), "options": [
        {"id": "again", "title": _t("Again")}]}}
    publish(shop, channel_id, [menu], [("m", "option:again", "m")])
    phone = Phone(shop, "telegram", "700100500", "Alex")
    phone.says("hello there")
    phone.taps("Again")
    assert reasons() == []
    phone.taps("Again")
    assert reasons() == ["loop"]
    assert phone.conversation().automation_mode == "human"


def test_a_failing_step_hands_off_instead_of_leaving_the_customer_waiting(backend, client, sandbox,
                                                                         monkeypatch: pytest.MonkeyPatch):
    shop = Shop(client, sandbox)
    channel_id = shop.channel("telegram")
    publish(shop, channel_id, [{"id": "f", "type": "bot_faq", "config": {}}, {"id": "e", "type": "end", "config": {}}],
            [("f", "answered", "e")])

    def broken(**_: Any) -> None:
        raise RuntimeError("the knowledge base is unreadable")

    monkeypatch.setattr(knowledge, "match", broken)
    phone = Phone(shop, "telegram", "700100501", "陳大文")
    phone.says("營業時間幾點？")
    assert reasons() == ["error"]
    assert phone.last().text == "謝謝！我會請同事接手，他們會盡快在這裡回覆你。"


def test_collect_asks_again_in_the_customers_language_then_hands_off(backend, client, sandbox):
    shop = Shop(client, sandbox)
    channel_id = shop.channel("telegram")
    bot_id = publish(shop, channel_id, [
        {"id": "c", "type": "bot_collect", "config": {"field": "email", "retries": 1, "prompt": {
            "en": "Your email?", "zh-Hant": "請提供電郵地址。", "ja": "メールアドレスを教えてください。"}}},
        {"id": "e", "type": "end", "config": {}}], [("c", "valid", "e")])
    phone = Phone(shop, "telegram", "700100502", "花子")
    phone.says("領収書がほしいです")
    assert phone.last().text == "メールアドレスを教えてください。"
    phone.says("hanako@example")
    assert phone.last().text == "有効なメールアドレスではないようです。もう一度お願いします。"
    phone.says("まだです")
    assert reasons() == ["gave_up"]
    ok = Phone(shop, "telegram", "700100503", "Mei")
    ok.says("I need a receipt please")
    ok.says("mei@example.com")
    assert reasons() == ["gave_up"]
    from flows.bots import service

    with session_scope() as session:
        assert service.collected(session=session, bot_id=bot_id,
                                 conversation_id=ok.conversation().id or 0)["collected"] == {"email": "mei@example.com"}


def test_the_same_message_handled_twice_moves_the_bot_once(backend, client, sandbox):
    from flows.bots import dispatch
    from tests.bots.world import thread

    shop = Shop(client, sandbox)
    shop.bot([shop.channel("telegram")])
    phone = Phone(shop, "telegram", "700100504", "Alex")
    phone.says("hello there")
    phone.taps("Ask a question")
    before = len(phone.received())
    [tap] = [m for m in thread(phone.conversation().id or 0) if m.direction == "inbound"][-1:]
    assert dispatch.answer(tap.id or 0) == "seen"  # a job delivered twice
    phone.says("What are your opening hours?")
    assert len(phone.received()) > before and "We're open every day" in "".join(
        r.text or "" for r in phone.received())


def test_the_first_response_clock_starts_at_the_bots_handoff():
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from reports import record

    start = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    thread = [SimpleNamespace(direction="inbound", occurred_at=start, sender="reply", author_id=None, id=1),
              SimpleNamespace(direction="outbound", occurred_at=start + timedelta(minutes=1), sender="bot",
                              author_id=None, id=2),
              SimpleNamespace(direction="outbound", occurred_at=start + timedelta(minutes=30), sender="reply",
                              author_id=7, id=3)]
    clock = record._Clock("UTC", None, ())
    facts = record._replies({"conversation_id": 1}, thread, clock, None, handed_off_at=start + timedelta(minutes=25))
    [first] = [f for f in facts if f["kind"] == "conversation.first_response"]
    assert first["seconds"] == 5 * 60  # from the handoff, not from the customer's first message to the bot
