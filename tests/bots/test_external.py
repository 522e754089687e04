"""External bots: signed Chatwoot-shaped events out, replies and handoffs in with the bot's token; a bot that
does not answer in 5 s hands off within 6."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlmodel import select
from standardwebhooks import Webhook

from flows.bots import external
from flows.bots.models import BotHandoff
from hub.runtime.db import session_scope
from hub.runtime.settings import get_settings
from tests.bots.world import Phone, Shop, run_jobs, thread

SECRET = "whsec_" + "c2hvcC1ib3Qtc2VjcmV0LTAxMjM0NTY3ODk="


class BotServer:
    def __init__(self, delay: float = 0.0, status: int = 200) -> None:
        self.delay, self.status, self.seen = delay, status, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers["content-length"]))
                server.seen.append((dict(self.headers), body))
                time.sleep(server.delay)
                self.send_response(server.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/hub"

    def close(self) -> None:
        self.http.shutdown()


@pytest.fixture
def private_urls(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HUB_ALLOW_PRIVATE_URLS", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def connect(shop: Shop, url: str, channel_id: int) -> str:
    answer = shop.client.post("/api/v1/agent-bots", headers=shop.admin, json={
        "name": "Rasa", "url": url, "secret": SECRET, "channel_ids": [channel_id]})
    assert answer.status_code == 201, answer.text
    assert "secret" not in answer.json()
    return str(answer.json()["token"])


def test_the_bot_gets_signed_events_and_answers_with_its_token(backend, client, sandbox, private_urls):
    shop = Shop(client, sandbox)
    channel_id = shop.channel("telegram")
    bot = BotServer()
    try:
        token = connect(shop, bot.url, channel_id)
        phone = Phone(shop, "telegram", "700100400", "花子")
        phone.says("営業時間を教えてください")
        events = [json.loads(body) for _, body in bot.seen]
        created = [e for e in events if e["event"] == "message_created"]
        assert [e["content"] for e in created] == ["営業時間を教えてください"]
        assert created[0]["message_type"] == "incoming" and created[0]["conversation"]["automation_mode"] == "bot"
        headers, body = next((h, b) for h, b in bot.seen if json.loads(b)["event"] == "message_created")
        Webhook(SECRET).verify(body, {k.lower(): v for k, v in headers.items()})  # a signature the bot can check
        conversation_id = created[0]["conversation"]["id"]

        user_token = client.post(f"/api/v1/agent-bots/conversations/{conversation_id}/messages",
                                 headers=shop.admin, json={"content": "x"})
        assert user_token.status_code == 403  # a person's token is not a bot's
        answer = client.post(f"/api/v1/agent-bots/conversations/{conversation_id}/messages",
                             headers={"Authorization": f"Bearer {token}"},
                             json={"content": "毎日11時から20時までです。"})
        assert answer.status_code == 202, answer.text
        run_jobs()
        assert phone.last().text == "毎日11時から20時までです。"
        assert external.answered_in_time(1, conversation_id, created[0]["id"]) == "answered"

        handed = client.post(f"/api/v1/agent-bots/conversations/{conversation_id}/handoff",
                             headers={"Authorization": f"Bearer {token}"}, json={"detail": "wants a refund"})
        assert handed.status_code == 204, handed.text
        run_jobs()
        assert phone.conversation().automation_mode == "human"
        late = client.post(f"/api/v1/agent-bots/conversations/{conversation_id}/messages",
                           headers={"Authorization": f"Bearer {token}"}, json={"content": "still here"})
        assert late.status_code == 409
    finally:
        bot.close()


def test_a_bot_that_does_not_answer_in_5_seconds_hands_off_within_6(backend, client, sandbox, private_urls):
    shop = Shop(client, sandbox)
    channel_id = shop.channel("telegram")
    bot = BotServer(delay=8)
    try:
        connect(shop, bot.url, channel_id)
        phone = Phone(shop, "telegram", "700100401", "陳大文")
        phone.says("我想退貨")
        conversation = phone.conversation()
        assert conversation.automation_mode == "human" and conversation.assignee_id == shop.mei
        [asked] = [m for m in thread(conversation.id or 0) if m.direction == "inbound"]
        with session_scope() as session:
            [handoff] = session.exec(select(BotHandoff)).all()
            assert handoff.reason == "timeout"
            assert 5 <= (handoff.created_at - asked.created_at).total_seconds() < 6  # handed off within 6 s
        assert phone.last().text == "謝謝！我會請同事接手，他們會盡快在這裡回覆你。"
        [note] = [m for m in thread(conversation.id or 0) if m.kind == "note"]
        assert "我想退貨" in (note.text or "")  # nothing lost: the agent sees what the customer asked
    finally:
        bot.close()


def test_a_bot_that_takes_the_event_but_never_replies_hands_off(backend, client, sandbox, private_urls):
    shop = Shop(client, sandbox)
    channel_id = shop.channel("telegram")
    bot = BotServer()
    try:
        connect(shop, bot.url, channel_id)
        phone = Phone(shop, "telegram", "700100402", "Alex")
        phone.says("where is my parcel?")
        created = [json.loads(b) for _, b in bot.seen if json.loads(b)["event"] == "message_created"][0]
        assert external.answered_in_time(1, created["conversation"]["id"], created["id"]) == "handed_off"
        assert phone.conversation().automation_mode == "human"
    finally:
        bot.close()


def test_a_bot_that_errors_hands_off(backend, client, sandbox, private_urls):
    shop = Shop(client, sandbox)
    channel_id = shop.channel("telegram")
    bot = BotServer(status=500)
    try:
        connect(shop, bot.url, channel_id)
        phone = Phone(shop, "telegram", "700100403", "Alex")
        phone.says("hello there")
        with session_scope() as session:
            assert [h.reason for h in session.exec(select(BotHandoff)).all()] == ["error"]
    finally:
        bot.close()
