"""Every route refuses a body past its limit before auth and parsing, and deeply nested JSON gets 400."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from hub.composition import create_app
from hub.runtime.db import session_scope
from hub.webhooks.models import WebhookEvent
from tests.factories import make_channel

MIB = 1024 * 1024


@pytest.fixture
def client(backend):
    with TestClient(create_app()) as test_client:
        yield test_client


def events_stored() -> int:
    with session_scope() as session:
        return len(session.exec(select(WebhookEvent)).all())


def deep(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


@pytest.mark.parametrize("path", ["/webhooks/stripe", "/api/v1/conversations/1/messages", "/auth/token"])
def test_a_body_over_one_mib_is_refused_before_anything_else(client, path):
    body = json.dumps({"text": "x" * (2 * MIB)}).encode()
    answer = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert "1 MiB" in answer.json()["detail"]


def test_the_product_import_alone_takes_a_larger_upload(client):
    csv = b"sku,title\n" + b"A-1,shirt\n" * (2 * MIB // 10)
    answer = client.post("/api/v1/products/import", files={"file": ("products.csv", csv, "text/csv")})
    assert answer.status_code == 401  # past the body limit: the route asks who is there


@pytest.mark.parametrize("path", ["/api/v1/conversations/1/messages", "/webhooks/stripe"])
def test_deeply_nested_json_gets_400_before_auth_or_signature_checks(client, path):
    answer = client.post(path, content=deep(50_000), headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and "nests deeper" in answer.json()["detail"]


def test_a_signed_but_deeply_nested_meta_webhook_is_refused_and_not_stored(client):
    channel_id = make_channel("whatsapp_meta", config={"phone_number_id": "1", "access_token": "EAAG",
                                                       "app_secret": "s", "verify_token": "vt"}).id
    body = deep(50_000)
    signature = "sha256=" + hmac.new(b"s", body, hashlib.sha256).hexdigest()
    answer = client.post(f"/webhooks/meta/{channel_id}", content=body,
                         headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"})
    assert answer.status_code == 400
    assert events_stored() == 0


def test_ordinary_nesting_and_brackets_inside_strings_pass(client):
    text = "[" * 500 + "{" * 500 + '\\"['
    answer = client.post("/api/v1/conversations/1/messages", json={"text": text, "x": [[[[1]]]]})
    assert answer.status_code == 401  # past the body checks: the route asks who is there


def test_a_streamed_body_without_a_length_is_cut_off_at_the_limit_and_never_reaches_the_route(backend):
    pulled, sent = [], []

    async def endless() -> dict[str, Any]:  # a client that would send 20 MB in 64 KiB chunks, no Content-Length
        pulled.append(1)
        return {"type": "http.request", "body": b"x" * 65536, "more_body": len(pulled) < 320}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/webhooks/stripe", "raw_path": b"/webhooks/stripe",
             "headers": [(b"content-type", b"application/json")], "query_string": b"", "scheme": "http",
             "server": ("testserver", 80), "client": ("127.0.0.1", 1), "root_path": "", "http_version": "1.1",
             "asgi": {"version": "3.0"}}
    asyncio.run(create_app()(scope, endless, send))
    assert sent[0]["status"] == 413
    assert len(pulled) == MIB // 65536 + 1  # read up to the limit, not one chunk more
