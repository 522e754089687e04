"""Shopify's orders/paid and refunds/create webhooks: HMAC-checked, stored before the 2xx, turned into a paid
order of the contact with that phone, then refunded; repeats change nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from catalog import shopify_orders
from catalog.models import Order, OrderLine
from hub.composition import create_app
from hub.contacts.models import Contact
from hub.ingest.service import receive
from hub.runtime.db import session_scope
from hub.runtime.inbox import RawEvent
from tests.factories import inbound, make_channel, make_user, token_for

SECRET = "shpss_0123456789abcdef"
PAID = {"id": 820982911946154508, "email": "taiman@example.com", "currency": "HKD", "total_price": "592.00",
        "phone": None, "customer": {"phone": "+852 9111 0000", "first_name": "大文", "last_name": "陳"},
        "line_items": [{"sku": "SILK-M", "title": "Silk shirt", "quantity": 2, "price": "296.00"}]}
REFUND = {"id": 509562969, "order_id": 820982911946154508, "note": "wrong size"}


def signed(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
def client(backend):
    make_user("boss@shop.test", role="admin")
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def store_id(client):
    store = {"name": "Online", "shop_domain": "shop.myshopify.com", "secret": SECRET}
    answer = client.post("/api/v1/shopify-stores", json=store, headers=token_for(client, "boss@shop.test"))
    assert answer.status_code == 201 and "secret" not in answer.json()
    return answer.json()["id"]


def post(client, store_id, topic, payload, webhook_id, signature=None):
    body = json.dumps(payload).encode()
    return client.post(f"/webhooks/shopify/{store_id}", content=body, headers={
        "X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Hmac-Sha256": signed(body) if signature is None else signature, "Content-Type": "application/json"})


def process_all():
    with session_scope() as session:
        ids = [row.id for row in session.exec(select(RawEvent).where(RawEvent.provider == "shopify"))]
    return [shopify_orders.process_event(i) for i in ids]


def test_a_paid_shopify_order_belongs_to_the_customer_and_a_refund_follows(client, store_id):
    channel = make_channel("whatsapp_meta", "WA")
    with session_scope() as session:
        receive(session=session, channel_id=channel.id, inbound=inbound("wamid.S1", "+85291110000", "hi"))
        contact_id = session.exec(select(Contact.id)).one()
    assert post(client, store_id, "orders/paid", PAID, "wh-1").status_code == 200
    assert post(client, store_id, "orders/paid", PAID, "wh-1").status_code == 200  # Shopify retries
    assert process_all() == ["recorded"]
    with session_scope() as session:
        order = session.exec(select(Order)).one()
        assert (order.status, order.currency, order.total_minor, order.payment_provider) == ("paid", "HKD", 59200,
                                                                                               "shopify")
        line = session.exec(select(OrderLine)).one()
        assert (line.sku, line.quantity, line.unit_minor) == ("SILK-M", 2, 29600)
        assert len(session.exec(select(Contact)).all()) == 1  # the chat's customer, matched by phone
        assert order.contact_id == contact_id
    assert post(client, store_id, "orders/paid", PAID, "wh-2").status_code == 200  # the same order again
    assert post(client, store_id, "refunds/create", REFUND, "wh-3").status_code == 200
    assert sorted(process_all()) == ["done", "duplicate", "refunded"]
    with session_scope() as session:
        assert session.exec(select(Order)).one().status == "refunded"


def test_a_bad_signature_or_unknown_store_gets_403_and_nothing_is_stored(client, store_id):
    assert post(client, store_id, "orders/paid", PAID, "wh-9", signature=signed(b"other")).status_code == 403
    assert post(client, store_id, "orders/paid", PAID, "wh-9", signature="").status_code == 403
    assert post(client, store_id + 1, "orders/paid", PAID, "wh-9").status_code == 403
    assert post(client, store_id, "products/update", {"id": 1}, "wh-10").json().get("ignored") is True
    with session_scope() as session:
        assert session.exec(select(RawEvent)).all() == []


def test_an_orders_key_reads_the_shopify_order(client, store_id):
    admin = token_for(client, "boss@shop.test")
    key = client.post("/api/v1/api-keys", json={"name": "BI", "scopes": ["orders:read"]}, headers=admin).json()
    assert post(client, store_id, "orders/paid", PAID, "wh-20").status_code == 200
    process_all()
    with session_scope() as session:
        order = session.exec(select(Order)).one()
    bearer = {"Authorization": f"Bearer {key['secret']}"}
    answer = client.get(f"/api/v1/orders/{order.id}", headers=bearer)
    assert answer.status_code == 200 and answer.json()["total_minor"] == 59200
    assert client.get(f"/api/v1/contacts/{order.contact_id}/orders", headers=bearer).json()[0]["id"] == order.id
    assert client.get("/api/v1/contacts", headers=bearer).status_code == 403
