"""PostgreSQL going down during ingest and coming back: webhooks get a quick 503 with Retry-After (never a
wait past a provider's patience), every 2xx is a message, and every 503 is accepted when retried."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from hub.composition import create_app
from hub.conversations.models import Message
from hub.jobs.tasks import drain_inbound
from hub.runtime import db
from hub.runtime.db import session_scope
from hub.runtime.settings import get_settings
from tests.conftest import Backend
from tests.core.db_proxy import DatabaseProxy
from tests.factories import make_channel, make_user, telegram_update, token_for

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": "tg-secret", "Content-Type": "application/json"}
PATIENCE = 15.0  # Twilio gives up after 15 s; Hub must answer well before


@pytest.fixture
def proxied(pg_backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Iterator[DatabaseProxy]:
    proxy = DatabaseProxy()
    proxy.start()
    monkeypatch.setenv("HUB_DATABASE_URL", pg_backend.database_url.replace("127.0.0.1:5432",
                                                                           f"127.0.0.1:{proxy.port}"))
    monkeypatch.setenv("HUB_DB_TIMEOUT", "1")
    get_settings.cache_clear()
    db.reset_engines()
    yield proxy
    proxy.close()
    db.reset_engines()


def post(client: TestClient, channel_id: int, update_id: int) -> Any:
    """One webhook, given up on (None) if Hub has not answered within a provider's patience."""
    answers: list[Any] = []
    worker = threading.Thread(target=lambda: answers.append(client.post(
        f"/webhooks/telegram/{channel_id}", content=telegram_update(update_id, text=f"訊息 {update_id}"),
        headers=HEADERS)), daemon=True)
    worker.start()
    worker.join(PATIENCE)
    return answers[0] if answers else None


def test_webhooks_while_postgres_is_down_get_503_then_are_accepted_on_retry(proxied: DatabaseProxy) -> None:
    channel_id = make_channel("telegram", config={"bot_token": "1:abc", "secret_token": "tg-secret"}).id or 0
    make_user("admin@shop.test", role="admin")
    accepted, refused = [], []
    with TestClient(create_app()) as client:
        auth = token_for(client, "admin@shop.test")
        for update_id in range(1, 6):
            answer = post(client, channel_id, update_id)
            assert answer is not None and answer.status_code == 200
            accepted.append(update_id)
        proxied.stop()  # PostgreSQL "dies" mid-ingest
        for update_id in range(6, 12):
            answer = post(client, channel_id, update_id)
            assert answer is not None, "no answer within a provider's patience"
            assert answer.status_code in (200, 503), answer.text
            if answer.status_code == 503:
                assert answer.headers["Retry-After"].isdigit()
                refused.append(update_id)
            else:
                accepted.append(update_id)
        assert refused, "PostgreSQL was down, yet every webhook was acknowledged"
        inbox = client.get("/api/v1/conversations", headers=auth)  # the API too: a 503, not a 500
        assert inbox.status_code == 503 and inbox.headers["Retry-After"].isdigit()
        proxied.start()  # and comes back
        for update_id in refused:  # the provider retries
            answer = post(client, channel_id, update_id)
            assert answer is not None and answer.status_code == 200, answer and answer.text
    drain_inbound()
    with session_scope() as session:
        texts = {m.text for m in session.exec(select(Message).where(Message.direction == "inbound"))}
    assert texts == {f"訊息 {n}" for n in [*accepted, *refused]}
