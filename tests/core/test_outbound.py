"""Replies: stored as queued, sent by a job exactly once, retried on transient errors only."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from hub.conversations import outbound
from hub.conversations.models import Conversation, Message
from hub.ingest.service import receive
from hub.jobs import tasks
from hub.runtime.db import session_scope
from tests.factories import inbound, make_channel


class BotApi:
    """A Telegram Bot API stand-in on a real port that counts sendMessage calls."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.replies: list[tuple[int, dict]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length).decode()
                fields = json.loads(raw) if raw.startswith("{") else dict(parse_qsl(raw))
                api.calls.append({"path": self.path, **fields})
                status, body = api.replies.pop(0) if api.replies else (200, {"ok": True, "result": {
                    "message_id": len(api.calls), "date": 1763830000, "text": "ok",
                    "chat": {"id": 700100200, "type": "private"}}})
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def sends(self) -> list[dict]:
        return [c for c in self.calls if c["path"].endswith("/sendMessage")]


@pytest.fixture
def bot_api() -> Iterator[BotApi]:
    api = BotApi()
    yield api
    api.server.shutdown()


def queued_reply(bot_api: BotApi, text: str = "在庫あります！") -> int:
    channel = make_channel("telegram", config={"bot_token": "123:ABC", "secret_token": "s3cret",
                                               "api_base": bot_api.url})
    with session_scope() as session:
        from dataclasses import replace

        from channels import IdentityRef

        first = receive(session=session, channel_id=channel.id,
                        inbound=replace(inbound("1"), identities=(IdentityRef("telegram", "700100200"),)))
        conversation = session.get(Conversation, first.conversation_id)
        message, _ = outbound.queue_reply(session=session, conversation=conversation, author_id=None, text=text)
        return message.id


def message(message_id: int) -> Message:
    with session_scope() as session:
        return session.get(Message, message_id)


def test_a_job_that_runs_twice_sends_once(backend, bot_api):
    message_id = queued_reply(bot_api)
    assert tasks.send_message(message_id) == "sent"
    assert tasks.send_message(message_id) == "skipped"
    assert len(bot_api.sends()) == 1
    sent = message(message_id)
    assert sent.status == "sent" and sent.provider_message_id and sent.sent_at is not None
    assert bot_api.sends()[0]["text"] == "在庫あります！"


def test_a_transient_error_requeues_with_backoff_and_a_permanent_one_fails_with_the_reason(backend, bot_api):
    message_id = queued_reply(bot_api)
    bot_api.replies.append((429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
                                  "parameters": {"retry_after": 7}}))
    assert tasks.send_message(message_id) == "queued"
    held = message(message_id)
    assert held.status == "queued" and held.lease_until is not None  # held for the backoff
    assert tasks.send_message(message_id) == "skipped"  # not before the backoff ends
    with session_scope() as session:
        row = session.get(Message, message_id)
        row.lease_until = None
        session.add(row)
    blocked = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
    bot_api.replies.append((403, blocked))
    assert tasks.send_message(message_id) == "failed"
    failed = message(message_id)
    assert failed.status == "failed" and "blocked" in (failed.error_reason or "")
    assert len(bot_api.sends()) == 2


def test_a_send_interrupted_by_a_dead_worker_is_unknown_not_sent_twice(backend, bot_api):
    from datetime import timedelta

    from hub import outbound as engine
    from hub.runtime.db import utcnow

    message_id = queued_reply(bot_api)
    with session_scope() as session:
        assert engine.claim(session, [message_id], outbound.SEND_LEASE) == {message_id}
        row = session.get(Message, message_id)
        row.lease_until = utcnow() - timedelta(seconds=1)  # the worker died mid-send
        session.add(row)
    assert tasks.sweep()["interrupted"] == 1
    interrupted = message(message_id)
    assert interrupted.status == "unknown" and interrupted.error_code == "interrupted"
    assert tasks.send_message(message_id) == "skipped"
    assert bot_api.sends() == []
