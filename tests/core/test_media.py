"""Customers' media: fetched by a job with the provider's auth, checked, stored, served to allowed agents."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from channels import IdentityRef, InboundMessage
from hub.composition import create_app
from hub.conversations.models import Message
from hub.ingest.service import receive
from hub.jobs.tasks import fetch_media
from hub.runtime.db import session_scope, utcnow
from hub.runtime.settings import get_settings
from tests.factories import make_channel, make_team, make_user, token_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ACCOUNT, TOKEN = "AC" + "1" * 32, "twilio-auth-token"


class MediaHost:
    """Serves media like Twilio's media URLs: basic auth with the account SID and auth token."""

    def __init__(self) -> None:
        files = {"/photo.png": ("image/png", PNG), "/fake.jpg": ("image/jpeg", b"<html><script>x</script></html>"),
                 "/big.png": ("image/png", PNG + b"\x00" * 4096)}
        expected = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.end_headers()
                    return
                content_type, body = files[self.path]
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def media_host() -> Iterator[MediaHost]:
    host = MediaHost()
    yield host
    host.server.shutdown()


def mms(channel_id: int, host: MediaHost, paths: list[str]) -> int:
    media = [{"url": host.url + path, "content_type": "image/png" if path.endswith(".png") else "image/jpeg"}
             for path in paths]
    with session_scope() as session:
        message = receive(session=session, channel_id=channel_id, inbound=InboundMessage(
            provider_message_id="MM" + "0" * 32, identities=(IdentityRef("phone", "+14155550123"),), kind="image",
            text="這件有冇細碼？", sent_at=utcnow(), payload={"media": media}))
        assert message is not None
        return message.id or 0


def attachments(message_id: int) -> list[dict]:
    with session_scope() as session:
        return session.get(Message, message_id).payload["attachments"]


def test_media_is_fetched_checked_and_served_only_to_allowed_agents(backend, media_host):
    team = make_team("HK")
    channel = make_channel("sms_twilio", config={"account_sid": ACCOUNT, "auth_token": TOKEN,
                                                 "api_base": media_host.url, "from_number": "+15550001111"},
                           team_ids=[team])
    make_user("mei@shop.test", team_ids=[team])
    make_user("other@shop.test", team_ids=[make_team("JP")])
    message_id = mms(channel.id, media_host, ["/photo.png", "/fake.jpg"])
    assert fetch_media(message_id) == "done"
    stored, refused = attachments(message_id)
    assert (stored["status"], stored["content_type"], stored["size"]) == ("stored", "image/png", len(PNG))
    assert refused["status"] == "failed" and "markup" in refused["error"]
    assert fetch_media(message_id) == "done"  # again: nothing changes
    assert attachments(message_id) == [stored, refused]
    with TestClient(create_app()) as client:
        answer = client.get(f"/api/v1/messages/{message_id}/attachments/0", headers=token_for(client, "mei@shop.test"))
        assert answer.status_code == 200 and answer.content == PNG
        assert answer.headers["content-type"] == "image/png"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-security-policy"].startswith("sandbox")
        assert client.get(f"/api/v1/messages/{message_id}/attachments/1",
                          headers=token_for(client, "mei@shop.test")).status_code == 404
        assert client.get(f"/api/v1/messages/{message_id}/attachments/0",
                          headers=token_for(client, "other@shop.test")).status_code == 404


def test_files_over_the_size_limit_are_refused(backend, media_host, monkeypatch):
    monkeypatch.setenv("HUB_MEDIA_MAX_BYTES", "1024")
    get_settings.cache_clear()
    channel = make_channel("sms_twilio", config={"account_sid": ACCOUNT, "auth_token": TOKEN,
                                                 "api_base": media_host.url, "from_number": "+15550001111"})
    message_id = mms(channel.id, media_host, ["/big.png"])
    fetch_media(message_id)
    [entry] = attachments(message_id)
    assert entry["status"] == "failed" and "limit" in entry["error"]
