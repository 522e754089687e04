"""Coupons at a store's till: looked up with the customer's name and offer, redeemed once (a second till is
refused with the reason), expired, unknown and other-campaign codes refused; the redemption is audited, written
to the outgoing webhooks' outbox and counted as a store visit of its campaign; the customer's page shows the QR."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from catalog.stores import coupons
from catalog.stores.models import Coupon
from hub.audit.models import AuditEntry
from hub.composition import create_app
from hub.runtime.db import session_scope, utcnow
from hub.webhooks_out.models import WebhookDelivery, WebhookEndpoint
from tests.factories import make_user, token_for
from tests.stores.factories import make_contact, make_coupon, make_store

ORIGIN = "https://hub.example.test"


@pytest.fixture
def client(backend):
    make_user("boss@shop.test", role="admin")
    with TestClient(create_app(), base_url=ORIGIN) as test_client:
        yield test_client


@pytest.fixture
def till(client):
    """A store and its staff member's bearer headers."""
    clerk = make_user("clerk@shop.test", role="store")
    store_id = make_store(staff_ids=[clerk.id or 0])
    return store_id, token_for(client, "clerk@shop.test")


def test_a_store_clerk_redeems_a_coupon_once_and_the_second_till_is_told_why(client, till):
    store_id, clerk = till
    code = make_coupon(make_contact())
    with session_scope() as session:
        session.add(WebhookEndpoint(url="https://erp.example.test/hook", secret="s" * 32,
                                    event_types=["coupon.redeemed"]))

    seen = client.get(f"/api/v1/coupons/{code.lower()}", headers=clerk)
    assert seen.status_code == 200
    assert {"code": code, "state": "issued", "customer_name": "陳大文",
            "offer": "10% off / 九折"}.items() <= seen.json().items()

    first = client.post("/api/v1/coupons/redeem", json={"code": code, "store_id": store_id}, headers=clerk)
    assert first.status_code == 200
    assert first.json()["state"] == "redeemed" and first.json()["store_name"] == "Causeway Bay"
    again = client.post("/api/v1/coupons/redeem", json={"code": code, "store_id": store_id}, headers=clerk)
    assert again.status_code == 409
    assert again.json()["refusal"] == "already_redeemed"
    assert again.json()["detail"] == "this coupon was already redeemed"
    assert again.json()["coupon"]["store_name"] == "Causeway Bay"

    with session_scope() as session:
        [delivery] = session.exec(select(WebhookDelivery)).all()
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "coupon.redeemed")).all()
    assert delivery.event_type == "coupon.redeemed"
    assert delivery.payload["data"]["code"] == code and delivery.payload["data"]["store_id"] == store_id
    assert len(audit) == 1
    figures = client.get(f"/api/v1/stores/{store_id}/figures", headers=clerk).json()
    assert figures["redeemed_today"] == 1 and figures["redeemed_total"] == 1


def test_expired_unknown_and_other_campaign_codes_are_refused_with_their_reason(client, till):
    store_id, clerk = till
    contact = make_contact()
    old = make_coupon(contact, code="OLDCODE1", expires_at=utcnow() - timedelta(minutes=1))
    other = make_coupon(contact, code="OTHERCAMP1", campaign_id=2)

    def redeem(code: str, **extra: object):
        return client.post("/api/v1/coupons/redeem", json={"code": code, "store_id": store_id, **extra}, headers=clerk)

    expired = redeem(old)
    assert (expired.status_code, expired.json()["refusal"]) == (409, "expired")
    assert expired.json()["coupon"]["state"] == "expired"
    unknown = redeem("NOSUCHCODE")
    assert (unknown.status_code, unknown.json()["refusal"], unknown.json()["detail"]) == (
        404, "unknown", "no coupon has this code")
    wrong = redeem(other, campaign_id=1)
    assert (wrong.status_code, wrong.json()["refusal"]) == (409, "other_campaign")
    assert redeem(other, campaign_id=2).status_code == 200
    with session_scope() as session:
        assert session.exec(select(Coupon).where(Coupon.code == old)).one().state == "issued"


def test_store_staff_see_only_their_stores_and_the_redemption_page(client, till):
    store_id, clerk = till
    elsewhere = make_store("Shibuya", timezone="Asia/Tokyo")
    code = make_coupon(make_contact())
    listed = client.get("/api/v1/stores", headers=clerk).json()
    assert [store["name"] for store in listed] == ["Causeway Bay"]
    refused = client.post("/api/v1/coupons/redeem", json={"code": code, "store_id": elsewhere}, headers=clerk)
    assert refused.status_code == 403
    assert client.get(f"/api/v1/stores/{elsewhere}/figures", headers=clerk).status_code == 404
    for path in ("/api/v1/conversations", "/api/v1/contacts", "/api/v1/campaigns", "/api/v1/reports/sales",
                 "/api/v1/products"):
        assert client.get(path, headers=clerk).status_code == 403, path
    assert client.post("/api/v1/stores", json={"name": "Mine"}, headers=clerk).status_code == 403
    assert client.get("/api/v1/me", headers=clerk).json()["role"] == "store"

    signed_in = client.post("/login", data={"email": "clerk@shop.test", "password": "correct horse battery"},
                            headers={"Origin": ORIGIN}, follow_redirects=False)
    assert signed_in.headers["location"] == "/store"
    for page in ("/", "/reports", "/campaigns", "/admin"):
        answer = client.get(page, follow_redirects=True)
        assert answer.url.path == "/store", page
    desk = client.get("/store")
    assert desk.status_code == 200 and "Causeway Bay" in desk.text and "Shibuya" not in desk.text


def test_admins_create_and_change_stores_with_clear_refusals(client):
    admin = token_for(client, "boss@shop.test")
    clerk = make_user("clerk@shop.test", role="store")
    made = client.post("/api/v1/stores", json={"name": "銅鑼灣店", "address": "軒尼詩道500號",
                                               "timezone": "Asia/Hong_Kong", "staff_ids": [clerk.id]}, headers=admin)
    assert made.status_code == 201 and made.json()["staff_ids"] == [clerk.id]
    bad_zone = client.post("/api/v1/stores", json={"name": "X", "timezone": "Mars/Olympus"}, headers=admin)
    assert bad_zone.status_code == 422 and "IANA" in bad_zone.json()["detail"]
    twice = client.post("/api/v1/stores", json={"name": "銅鑼灣店"}, headers=admin)
    assert twice.status_code == 422 and "exists already" in twice.json()["detail"]
    changed = client.patch(f"/api/v1/stores/{made.json()['id']}", json={"active": False, "staff_ids": []},
                           headers=admin)
    assert changed.status_code == 200 and {"active": False, "staff_ids": []}.items() <= changed.json().items()
    assert client.patch("/api/v1/stores/999", json={"name": "Y"}, headers=admin).status_code == 404
    assert client.post("/api/v1/stores", json={"name": "Z", "staff_ids": [999]}, headers=admin).status_code == 422


def test_the_customers_page_shows_the_qr_code_in_their_language_behind_a_signature(client):
    contact = make_contact(phone="+819012345678", name="佐藤")
    code = make_coupon(contact, code="BDAY20ABCD")
    url = coupons.page_url(code)
    page = client.get(url.split("127.0.0.1:8000", 1)[-1] if "127.0.0.1:8000" in url else "/c/" + url.split("/c/")[1])
    assert page.status_code == 200
    assert "<svg" in page.text and "BDAY20ABCD" in page.text
    assert 'lang="ja"' in page.text and "レジでこのコードをお見せください。" in page.text
    assert "script" not in page.text.lower()
    assert client.get(f"/c/{code}/wrong-signature").status_code == 404
    assert client.get(f"/c/NOSUCH/{coupons.signature('NOSUCH')}").status_code == 404
