"""The bot console: a marketer chats with a channel's bot and sees its answers as that channel renders them;
nothing reaches the provider."""

from __future__ import annotations

from tests.bots.world import Shop, run_jobs


def test_a_marketer_chats_with_the_bot_in_the_channels_rendering(backend, client, sandbox):
    shop = Shop(client, sandbox)
    sms = shop.channel("sms_twilio")
    shop.bot([sms])
    said = client.post("/api/v1/bot-console", headers=shop.marketer, json={"channel_id": sms, "text": "hello there"})
    assert said.status_code == 202, said.text
    conversation_id = said.json()["conversation_id"]
    run_jobs()
    lines = client.get(f"/api/v1/bot-console?conversation_id={conversation_id}", headers=shop.marketer).json()["lines"]
    menu = lines[-1]
    assert menu["direction"] == "out" and menu["text"].startswith("Hi! How can I help?")
    assert "1. Ask a question" in menu["text"] and not menu["native"]  # SMS: a numbered menu
    client.post("/api/v1/bot-console", headers=shop.marketer, json={"channel_id": sms, "button": "opt:faq"})
    run_jobs()
    lines = client.get(f"/api/v1/bot-console?conversation_id={conversation_id}", headers=shop.marketer).json()["lines"]
    assert lines[-1]["text"] == "What would you like to know?"
    assert sandbox.state.messages(sms, direction="out") == []  # nothing went to the provider
    assert client.get(f"/api/v1/bot-console?conversation_id={conversation_id}",
                      headers=shop.admin).status_code == 404  # another person's console
    assert client.post("/api/v1/bot-console", headers=shop.agent, json={"channel_id": sms, "text": "x"}
                       ).status_code == 403
    assert client.post("/api/v1/bot-console", headers=shop.marketer, json={"channel_id": sms}).status_code == 422
