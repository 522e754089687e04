"""SSRF: media fetches and api_base refuse loopback, private, link-local and metadata addresses on every hop,
and provider credentials go only to the provider's hosts. `HUB_ALLOW_PRIVATE_URLS` is off in these tests.

127.0.0.2 and 127.0.0.3 stand in for hosts on the internet (the guard is told they are public); 127.0.0.1
is the internal service an attacker aims at (say, the cloud metadata service).
"""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from channels import IdentityRef, InboundMessage, netguard
from hub.composition import create_app
from hub.conversations.models import Message
from hub.ingest.service import receive
from hub.jobs.tasks import fetch_media
from hub.runtime.db import session_scope, utcnow
from hub.runtime.settings import get_settings
from tests.factories import make_channel, make_user, token_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ACCOUNT, TOKEN = "AC" + "1" * 32, "twilio-auth-token"
BASIC = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
STAND_INS = {"127.0.0.2", "127.0.0.3"}
INTERNAL_NAME = "metadata.internal.test"


class Host:
    """An HTTP server on one loopback address: `routes[path]` is (status, headers, body); every request is kept."""

    def __init__(self, address: str, routes: dict[str, tuple[int, dict[str, str], bytes]]) -> None:
        self.routes, self.requests = routes, []
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                requests.append((self.path, self.headers.get("Authorization")))
                status, headers, body = routes.get(self.path, (404, {}, b""))
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((address, 0), Handler)
        self.url = f"http://{address}:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def hosts(backend, monkeypatch) -> Iterator[dict[str, Host]]:
    monkeypatch.setenv("HUB_ALLOW_PRIVATE_URLS", "false")
    get_settings.cache_clear()
    original = netguard.is_public_address
    monkeypatch.setattr(netguard, "is_public_address", lambda address: address in STAND_INS or original(address))
    monkeypatch.setattr(netguard, "DefaultResolver", StubResolver)
    internal = Host("127.0.0.1", {"/latest/meta-data/iam": (200, {"Content-Type": "image/png"}, PNG)})
    storage = Host("127.0.0.3", {"/photo.png": (200, {"Content-Type": "image/png"}, PNG)})
    steal = f"{internal.url}/latest/meta-data/iam"
    by_name = f"http://{INTERNAL_NAME}:{internal.server.server_port}/latest/meta-data/iam"
    twilio = Host("127.0.0.2", {
        "/to-internal": (302, {"Location": steal}, b""),
        "/to-internal-name": (302, {"Location": by_name}, b""),
        "/to-storage": (302, {"Location": f"{storage.url}/photo.png"}, b""),
    })
    made = {"internal": internal, "twilio": twilio, "storage": storage}
    yield made
    for host in made.values():
        host.server.shutdown()


class StubResolver:
    """DNS where `metadata.internal.test` points at 127.0.0.1 (as an attacker's DNS could)."""

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict[str, Any]]:
        address = "127.0.0.1" if host == INTERNAL_NAME else host
        return [{"hostname": host, "host": address, "port": port, "family": socket.AF_INET, "proto": 0, "flags": 0}]

    async def close(self) -> None:
        pass


def twilio_channel(api_base: str) -> int:
    with_base = {"account_sid": ACCOUNT, "auth_token": TOKEN, "from_number": "+15550001111", "api_base": api_base}
    return make_channel("sms_twilio", config=with_base).id or 0


def mms(channel_id: int, url: str, sid: str = "MM" + "0" * 32) -> int:
    with session_scope() as session:
        message = receive(session=session, channel_id=channel_id, inbound=InboundMessage(
            provider_message_id=sid, identities=(IdentityRef("phone", "+14155550123"),), kind="image",
            text="photo", sent_at=utcnow(), payload={"media": [{"url": url, "content_type": "image/png"}]}))
        assert message is not None
        return message.id or 0


def attachment(message_id: int) -> dict[str, Any]:
    with session_scope() as session:
        [entry] = session.get(Message, message_id).payload["attachments"]
        return entry


@pytest.mark.parametrize("path", ["/to-internal", "/to-internal-name"])
def test_a_media_url_redirecting_to_an_internal_address_is_not_followed(hosts, path):
    message_id = mms(twilio_channel(hosts["twilio"].url), hosts["twilio"].url + path)
    fetch_media(message_id)
    entry = attachment(message_id)
    assert entry["status"] == "failed" and "refused" in entry["error"]
    assert hosts["internal"].requests == []  # the metadata service was never asked
    make_user("mei@shop.test")
    with TestClient(create_app()) as client:
        answer = client.get(f"/api/v1/messages/{message_id}/attachments/0", headers=token_for(client, "mei@shop.test"))
        assert answer.status_code == 404


def test_a_media_url_naming_an_internal_address_is_not_fetched(hosts):
    message_id = mms(twilio_channel(hosts["twilio"].url), f"{hosts['internal'].url}/latest/meta-data/iam")
    fetch_media(message_id)
    assert attachment(message_id)["status"] == "failed"
    assert hosts["internal"].requests == []


def test_twilio_basic_auth_goes_to_twilio_only_not_to_where_a_media_url_points(hosts):
    channel_id = twilio_channel(hosts["twilio"].url)
    elsewhere = mms(channel_id, f"{hosts['storage'].url}/photo.png")  # a media URL on someone else's host
    fetch_media(elsewhere)
    redirected = mms(channel_id, f"{hosts['twilio'].url}/to-storage", sid="MM" + "1" * 32)  # Twilio's, to storage
    fetch_media(redirected)
    assert hosts["storage"].requests == [("/photo.png", None), ("/photo.png", None)]
    assert hosts["twilio"].requests == [("/to-storage", BASIC)]
    assert attachment(redirected)["status"] == "stored"


@pytest.mark.parametrize("api_base", ["http://127.0.0.1:9", "http://169.254.169.254", "http://[::1]:8080",
                                      "http://localhost:8000", "http://10.0.0.8", f"http://{INTERNAL_NAME}"])
def test_an_api_base_on_an_internal_address_is_refused_when_the_channel_is_saved(hosts, api_base):
    make_user("boss@shop.test", role="admin")
    with TestClient(create_app()) as client:
        answer = client.post("/api/v1/channels", headers=token_for(client, "boss@shop.test"), json={
            "kind": "telegram", "name": "bot", "config": {"bot_token": "1:abc", "secret_token": "s",
                                                          "api_base": api_base}})
    assert answer.status_code == 422 and "api_base is refused" in answer.json()["detail"]


def test_private_addresses_are_allowed_only_when_the_operator_says_so(hosts, monkeypatch):
    monkeypatch.setenv("HUB_ALLOW_PRIVATE_URLS", "true")
    get_settings.cache_clear()
    message_id = mms(twilio_channel(hosts["twilio"].url), hosts["twilio"].url + "/to-internal")
    fetch_media(message_id)
    assert attachment(message_id)["status"] == "stored"  # the sandbox and provider fakes on loopback work
