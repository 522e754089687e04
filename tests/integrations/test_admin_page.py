"""The integrations admin page: an admin makes a key (shown once), revokes it, adds an endpoint, reads its
delivery log and replays a delivery, in their language; others are refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from hub.agents.models import User
from hub.composition import create_app
from hub.runtime.db import session_scope, utcnow
from hub.runtime.settings import get_settings
from hub.webhooks_out.models import WebhookDelivery
from tests.factories import PASSWORD, make_channel, make_user
from tests.integrations.receiver import Receiver
from tests.integrations.test_webhooks_out import customer_writes, run_due


@pytest.fixture
def browser(backend):
    make_user("boss@shop.test", role="admin")
    make_user("ann@shop.test")
    with TestClient(create_app(), base_url=get_settings().public_url) as client:
        yield client


def sign_in(browser, email):
    browser.post("/login", data={"email": email, "password": PASSWORD})
    page = browser.get("/admin/integrations")
    return page, (page.text.split('name="csrf-token" content="')[1].split('"')[0] if page.status_code == 200 else "")


def test_an_admin_makes_and_revokes_a_key_on_the_page(browser):
    page, csrf = sign_in(browser, "boss@shop.test")
    assert page.status_code == 200 and "contacts:read" in page.text
    made = browser.post("/admin/integrations/api-keys", data={"name": "Till 1", "scopes": ["pos:write"],
                                                                "csrf_token": csrf})
    assert made.status_code == 200
    secret = made.text.split('id="new-key-secret">')[1].split("<")[0]
    assert secret.startswith("hub_live_")
    again = browser.get("/admin/integrations").text
    assert "Till 1" in again and secret not in again  # shown once
    key_id = again.split("/admin/integrations/api-keys/")[1].split("/")[0]
    revoked = browser.post(f"/admin/integrations/api-keys/{key_id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 200 and "API key revoked" in revoked.text
    assert browser.post("/admin/integrations/api-keys", data={"name": "x", "scopes": ["pos:write"]}
                        ).status_code == 403  # no CSRF token


def test_the_page_shows_the_delivery_log_and_replays(browser, backend):
    channel = make_channel("whatsapp_meta", "WA")
    page, csrf = sign_in(browser, "boss@shop.test")
    with Receiver(failures=1) as shop:
        saved = browser.post("/admin/integrations/webhook-endpoints",
                             data={"url": shop.url, "event_types": ["message.received"], "description": "ERP",
                                   "csrf_token": csrf})
        assert saved.status_code == 200 and "Webhook endpoint saved" in saved.text and "whsec_" in saved.text
        customer_writes(channel.id, "wamid.P1")
        assert run_due(utcnow()) == ["failed"]
        with session_scope() as session:
            delivery = session.exec(select(WebhookDelivery)).one()
        log = browser.get(f"/admin/integrations?endpoint={delivery.endpoint_id}").text
        assert "database busy" in log and "500" in log
        replayed = browser.post(f"/admin/integrations/webhook-deliveries/{delivery.id}/replay",
                                data={"csrf_token": csrf})
        assert replayed.status_code == 200 and "Delivery queued again" in replayed.text
        assert "delivered" in run_due(utcnow())
    assert len(shop.requests) == 2


def test_agents_are_refused_and_japanese_admins_read_japanese(browser):
    page, _ = sign_in(browser, "ann@shop.test")
    assert page.status_code == 403
    browser.post("/logout")
    with session_scope() as session:
        boss = session.exec(select(User).where(User.email == "boss@shop.test")).one()
        boss.locale = "ja"
        session.add(boss)
    fresh = TestClient(browser.app, base_url=get_settings().public_url)
    page, _ = sign_in(fresh, "boss@shop.test")
    assert page.status_code == 200 and "APIキー" in page.text and 'lang="ja"' in page.text
