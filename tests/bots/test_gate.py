"""The hard gate: in `human` mode no bot message goes out, whatever raced it."""

from __future__ import annotations

from datetime import timedelta

from hub.conversations.models import MessageStatus
from hub.outbound import engine
from hub.runtime.db import session_scope
from tests.bots.world import Phone, Shop, run_jobs, thread


def test_an_agent_reply_racing_a_bot_step_means_the_bots_message_is_never_sent(backend, client, sandbox):
    shop = Shop(client, sandbox)
    channel_id = shop.channel("telegram")
    shop.bot([channel_id])
    phone = Phone(shop, "telegram", "700100300", "陳大文")
    phone.says("你好", work=False)
    run_jobs("inbound")  # the bot answers: its menu is queued, its send job waits on the outbound queue
    conversation = phone.conversation()
    [menu] = [m for m in thread(conversation.id or 0) if m.sender == "bot"]
    assert menu.status == MessageStatus.queued.value and phone.received() == []

    reply = client.post(f"/api/v1/conversations/{conversation.id}/messages", headers=shop.agent,
                        json={"text": "你好，我是 Mei，有甚麼可以幫你？"})
    assert reply.status_code == 202, reply.text
    run_jobs()
    assert [r.text for r in phone.received()] == ["你好，我是 Mei，有甚麼可以幫你？"]
    [menu] = [m for m in thread(conversation.id or 0) if m.sender == "bot"]
    assert (menu.status, menu.error_code) == ("failed", "human_mode")
    assert phone.conversation().automation_mode == "human"


def test_the_engine_claims_a_persons_reply_but_not_a_bots_message_in_human_mode(backend, client, sandbox):
    shop = Shop(client, sandbox)
    shop.bot([shop.channel("telegram")])
    phone = Phone(shop, "telegram", "700100301", "Alex")
    phone.says("hello there", work=False)
    run_jobs("inbound")
    conversation = phone.conversation()
    taken = client.put(f"/api/v1/conversations/{conversation.id}/automation", headers=shop.agent,
                       json={"mode": "human"})
    assert taken.status_code == 200 and taken.json()["automation_mode"] == "human"
    with session_scope() as session:
        bot_ids = [m.id for m in thread(conversation.id or 0) if m.sender == "bot"]
        [system] = engine.enqueue(session, [engine.Draft(conversation_id=conversation.id or 0,
                                                         channel_id=conversation.channel_id, text="notice",
                                                         sender="system")])
        claimed = engine.claim(session, [*bot_ids, system[0]], timedelta(seconds=60))
    assert claimed == {system[0]}
    assert {m.error_code for m in thread(conversation.id or 0) if m.sender == "bot"} == {"human_mode"}


def test_an_agent_taking_the_conversation_silences_a_waiting_bot(backend, client, sandbox):
    shop = Shop(client, sandbox)
    shop.bot([shop.channel("telegram")])
    phone = Phone(shop, "telegram", "700100302", "花子")
    phone.says("こんにちは")
    conversation = phone.conversation()
    before = len(phone.received())
    assert client.post(f"/api/v1/conversations/{conversation.id}/assign", headers=shop.agent,
                       json={"assignee_id": shop.mei}).status_code == 200
    phone.says("質問する")
    assert len(phone.received()) == before and phone.conversation().automation_mode == "human"


def test_an_unknown_mode_is_a_clear_422(backend, client, sandbox):
    shop = Shop(client, sandbox)
    shop.channel("telegram")
    phone = Phone(shop, "telegram", "700100303", "Alex")
    phone.says("hello there")
    answer = client.put(f"/api/v1/conversations/{phone.conversation().id}/automation", headers=shop.agent,
                        json={"mode": "robot"})
    assert answer.status_code == 422
