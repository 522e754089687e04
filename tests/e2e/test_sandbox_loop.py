"""The whole loop on a real server: a customer writes from the sandbox phone, an agent replies through
the API, the reply reaches the provider's API in its wire format, and the provider's signed receipts
come back through Hub's webhooks and move the message to its last status."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from sqlmodel import select

from channels.sandbox import SandboxState
from hub.composition import create_app
from hub.conversations.models import Conversation, Message
from hub.jobs import tasks
from hub.runtime.db import session_scope
from hub.runtime.settings import get_settings
from tests.conftest import wait_for
from tests.factories import make_channel, make_user, token_for

CUSTOMER = {"meta": "+85291234567", "twilio": "+85291234567", "telegram": "700100200"}


@dataclass
class RunningHub:
    url: str
    sandbox: SandboxState
    client: httpx.Client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def hub_server(backend, monkeypatch) -> Iterator[RunningHub]:
    """Hub on a real port, its public URL pointing at itself, so the sandbox's receipts reach its webhooks."""
    port = free_port()
    monkeypatch.setenv("HUB_PUBLIC_URL", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    app = create_app()
    app.state.sandbox.receipt_delay = 0.05
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=10, interval=0.02)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield RunningHub(f"http://127.0.0.1:{port}", app.state.sandbox, client)
    finally:
        server.should_exit = True
        thread.join(10)


def conversation_of(channel_id: int) -> int:
    def found() -> int | None:
        tasks.drain_inbound()
        with session_scope() as session:
            row = session.exec(select(Conversation).where(Conversation.channel_id == channel_id)).first()
            return row.id if row else None

    return int(wait_for(found, timeout=10))


def status_of(message_id: int) -> str:
    tasks.drain_inbound()
    with session_scope() as session:
        return session.get(Message, message_id).status


@pytest.mark.parametrize("kind, provider, config, last_status", [
    ("whatsapp_meta", "meta", {}, "read"),
    ("whatsapp_twilio", "twilio", {"from_number": "whatsapp:+14155238886"}, "read"),
    ("sms_twilio", "twilio", {"from_number": "+15005550006"}, "delivered"),
    ("telegram", "telegram", {}, "sent"),
])
def test_a_reply_reaches_the_provider_and_its_receipts_come_back(hub_server, kind, provider, config, last_status):
    channel = make_channel(kind, config=config)
    make_user("agent@shop.test", role="admin")
    wrote = hub_server.client.post(f"/sandbox/phone/{channel.id}/send",
                                   json={"from": CUSTOMER[provider], "name": "陳大文", "text": "請問有冇貨？"})
    assert wrote.status_code == 200, wrote.text
    conversation_id = conversation_of(channel.id)
    headers = token_for(hub_server.client, "agent@shop.test")
    reply = hub_server.client.post(f"/api/v1/conversations/{conversation_id}/messages", headers=headers,
                                   json={"text": "有，明天到貨 🙂"})
    assert reply.status_code == 202 and reply.json()["status"] == "queued"
    message_id = reply.json()["id"]
    assert tasks.send_message(message_id) == "sent"
    seen = hub_server.client.get(f"/sandbox/phone/{channel.id}/messages").json()["messages"]
    shop = [m for m in seen if m["direction"] == "out"]
    assert [m["text"] for m in shop] == ["有，明天到貨 🙂"]
    wait_for(lambda: status_of(message_id) == last_status, timeout=10, interval=0.1)


def test_a_429_storm_is_retried_without_duplicates(hub_server):
    channel = make_channel("whatsapp_meta")
    make_user("agent@shop.test", role="admin")
    hub_server.client.post(f"/sandbox/phone/{channel.id}/send", json={"from": CUSTOMER["meta"], "text": "hi"})
    conversation_id = conversation_of(channel.id)
    headers = token_for(hub_server.client, "agent@shop.test")
    message_id = hub_server.client.post(f"/api/v1/conversations/{conversation_id}/messages", headers=headers,
                                        json={"text": "one message, once"}).json()["id"]
    hub_server.sandbox.fail_next(channel.id, status=429, retry_after=0, times=3)
    outcomes = []
    for _ in range(6):
        outcomes.append(tasks.send_message(message_id))
        with session_scope() as session:  # skip the backoff wait
            row = session.get(Message, message_id)
            row.lease_until = None
            session.add(row)
    assert outcomes[:4] == ["queued", "queued", "queued", "sent"] and set(outcomes[4:]) == {"skipped"}
    seen = hub_server.client.get(f"/sandbox/phone/{channel.id}/messages").json()["messages"]
    assert [m["text"] for m in seen if m["direction"] == "out"] == ["one message, once"]


def test_twilio_whatsapp_buttons_go_out_natively_and_the_tap_lands_in_the_thread(hub_server):
    channel = make_channel("whatsapp_twilio", config={"from_number": "whatsapp:+14155238886"})
    make_user("agent@shop.test", role="admin")
    hub_server.client.post(f"/sandbox/phone/{channel.id}/send", json={"from": CUSTOMER["twilio"], "text": "退貨？"})
    conversation_id = conversation_of(channel.id)
    headers = token_for(hub_server.client, "agent@shop.test")
    reply = hub_server.client.post(f"/api/v1/conversations/{conversation_id}/messages", headers=headers, json={
        "kind": "buttons", "text": "要安排退貨嗎？",
        "payload": {"buttons": [{"title": "要", "id": "return-yes"}, {"title": "不用", "id": "return-no"}]}})
    assert reply.status_code == 202, reply.text
    assert tasks.send_message(reply.json()["id"]) == "sent"
    [shown] = [m for m in hub_server.client.get(f"/sandbox/phone/{channel.id}/messages").json()["messages"]
               if m["direction"] == "out"]
    assert shown["text"] == "要安排退貨嗎？"  # not "1. 要\n2. 不用": WhatsApp's own buttons
    assert [(b["title"], b["id"]) for b in shown["buttons"]] == [("要", "return-yes"), ("不用", "return-no")]

    tapped = hub_server.client.post(f"/sandbox/phone/{channel.id}/send",
                                    json={"from": CUSTOMER["twilio"], "button_id": "return-no"})
    assert tapped.status_code == 200, tapped.text

    def tap() -> Message | None:
        tasks.drain_inbound()
        with session_scope() as session:
            return session.exec(select(Message).where(Message.conversation_id == conversation_id,
                                                      Message.kind == "button_reply")).first()

    message = wait_for(tap, timeout=10)
    assert message.text == "不用" and message.payload["id"] == "return-no"


def test_a_menu_of_more_than_three_choices_opens_from_a_button_named_in_the_customers_language(hub_server):
    channel = make_channel("whatsapp_meta")
    make_user("agent@shop.test", role="admin")
    hub_server.client.post(f"/sandbox/phone/{channel.id}/send",
                           json={"from": "+819012345678", "text": "サイズはありますか"})
    conversation_id = conversation_of(channel.id)
    headers = token_for(hub_server.client, "agent@shop.test")
    sizes = [{"title": size, "id": f"size-{size}"} for size in ("S", "M", "L", "XL")]
    reply = hub_server.client.post(f"/api/v1/conversations/{conversation_id}/messages", headers=headers, json={
        "kind": "buttons", "text": "サイズをお選びください", "payload": {"buttons": sizes}})
    assert reply.status_code == 202, reply.text
    assert tasks.send_message(reply.json()["id"]) == "sent"
    [shown] = [m for m in hub_server.client.get(f"/sandbox/phone/{channel.id}/messages").json()["messages"]
               if m["direction"] == "out"]
    assert [b["title"] for b in shown["buttons"]] == ["S", "M", "L", "XL"]
    assert shown["list_label"] == "選択する"  # not "Options": four choices are a list behind one button
