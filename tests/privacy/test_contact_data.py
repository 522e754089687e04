"""A contact's export (one zip) and erasure (admins only): nothing that names them is left behind."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import select

from catalog.models import Order
from catalog.payments.models import StripeCheckout
from hub.audit.models import AuditEntry
from hub.composition import create_app
from hub.conversations.models import Conversation, Message
from hub.ingest.service import receive
from hub.media import service as media
from hub.runtime.db import get_engine, session_scope, utcnow
from hub.webhooks.models import WebhookEvent
from tests.catalog.factories import Customer, make_product, order_from_cart
from tests.factories import inbound, make_channel, make_team, make_user, token_for

PHONE, OTHER = "+85291110000", "+85292220000"
PHOTO = b"\x89PNG\r\n\x1a\n" + b"photo of a parcel" * 10


@pytest.fixture
def shop(backend):
    team = make_team("A")
    channel = make_channel("whatsapp_meta", team_ids=[team])
    make_user("boss@shop.test", role="admin")
    make_user("a@shop.test", team_ids=[team])
    with session_scope() as session:
        mine = receive(session=session, channel_id=channel.id,
                       inbound=inbound("wamid.1", PHONE, "我的地址是九龍塘達之路", "陳大文"))
        theirs = receive(session=session, channel_id=channel.id,
                         inbound=inbound("wamid.2", OTHER, "我的地址是九龍塘另一條路", "李小明"))
        assert mine is not None and theirs is not None
        key = media.save(PHOTO)
        mine.payload = {**mine.payload, "attachments": [{"index": 0, "status": "stored", "key": key,
                                                         "content_type": "image/png"}]}
        session.add(mine)
        for n, phone in enumerate((PHONE, OTHER)):  # the raw bodies, as Meta sends them (wa_id without +)
            body = json.dumps({"entry": [{"changes": [{"value": {"contacts": [{"wa_id": phone[1:]}]}}]}]})
            session.add(WebhookEvent(provider="meta", channel_id=channel.id, event_id=f"e{n}", body=body.encode()))
        contact_id = session.get(Conversation, mine.conversation_id).contact_id
    variant = make_product()["SHIRT-M"]
    order_id = order_from_cart(Customer(contact_id, mine.conversation_id, channel.id), {variant: 2})
    with session_scope() as session:  # paid through Stripe: its events name the customer
        session.add(StripeCheckout(order_id=order_id, session_id="cs_test_chan", url="https://pay.test/1",
                                   success_url="https://shop.test/ok", cancel_url="https://shop.test/no",
                                   expires_at=utcnow()))
        session.add(WebhookEvent(provider="stripe", event_id="evt_1", endpoint="checkout.session.completed",
                                 body=b'{"id": "cs_test_chan", "customer_details": {"email": "chan@mail.test"}}'))
        session.add(WebhookEvent(provider="stripe", event_id="evt_2", endpoint="checkout.session.completed",
                                 body=b'{"id": "cs_test_lee"}'))
    with TestClient(create_app()) as client:
        yield {"client": client, "contact_id": contact_id, "order_id": order_id, "key": key,
               "admin": token_for(client, "boss@shop.test"), "agent": token_for(client, "a@shop.test")}


def test_an_admin_exports_everything_hub_holds_about_a_contact(shop):
    client, contact_id = shop["client"], shop["contact_id"]
    assert client.get(f"/api/v1/contacts/{contact_id}/export", headers=shop["agent"]).status_code == 403
    answer = client.get(f"/api/v1/contacts/{contact_id}/export", headers=shop["admin"])
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    data = json.loads(archive.read("contact.json"))
    assert data["contact"]["name"] == "陳大文"
    assert [i["phone"] for i in data["identities"]] == [PHONE]
    [conversation] = data["conversations"]
    assert conversation["messages"][0]["text"] == "我的地址是九龍塘達之路"
    assert "李小明" not in json.dumps(data, ensure_ascii=False)
    assert data["orders"][0]["lines"][0]["quantity"] == 2
    assert archive.read(f"media/{shop['key']}") == PHOTO
    with session_scope() as session:
        assert session.exec(select(AuditEntry.action).where(AuditEntry.target_id == str(contact_id))).all() == [
            "contact.export"]


def test_erasure_leaves_nothing_that_names_the_contact(shop):
    client, contact_id = shop["client"], shop["contact_id"]
    assert client.delete(f"/api/v1/contacts/{contact_id}", headers=shop["agent"]).status_code == 403
    assert client.delete(f"/api/v1/contacts/{contact_id}", headers=shop["admin"]).status_code == 204

    found = client.get("/api/v1/conversations", params={"q": "達之路"}, headers=shop["admin"]).json()["items"]
    assert found == []
    assert len(client.get("/api/v1/conversations", params={"q": "九龍塘"}, headers=shop["admin"]).json()["items"]) == 1
    contacts = client.get("/api/v1/contacts", headers=shop["admin"]).text
    assert "陳大文" not in contacts and PHONE not in contacts and "李小明" in contacts
    assert client.get(f"/api/v1/contacts/{contact_id}", headers=shop["admin"]).status_code == 404
    with get_engine().connect() as conn:
        texts = [row[0] for row in conn.execute(text("SELECT text FROM message"))]
        bodies = [bytes(row[0]) for row in conn.execute(text("SELECT body FROM webhook_event WHERE provider = 'meta'"))]
        names = [row[0] for row in conn.execute(text("SELECT name FROM contact"))]
        phones = [row[0] for row in conn.execute(text("SELECT value FROM channel_identity"))]
        lines = conn.execute(text("SELECT count(*) FROM order_line")).scalar_one()
        stripe = [row[0] for row in conn.execute(text("SELECT event_id FROM webhook_event WHERE provider = 'stripe'"))]
    assert texts == ["我的地址是九龍塘另一條路"]
    assert len(bodies) == 1 and PHONE[1:].encode() not in bodies[0] and OTHER[1:].encode() in bodies[0]
    assert "陳大文" not in names and phones == [OTHER]
    assert not media.path_for(shop["key"]).exists()
    assert stripe == ["evt_2"]
    with session_scope() as session:
        order = session.get(Order, shop["order_id"])
        assert order is not None and order.total_minor == 2 * 12850 and order.currency == "HKD"
        assert order.conversation_id is None and order.payment_ref is None and lines == 0
        [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "contact.erase")).all()
        assert entry.target_id == str(contact_id) and entry.details["messages"] == 1
        assert "陳大文" not in json.dumps(entry.details, ensure_ascii=False)
        assert session.exec(select(Message)).all()[0].text == "我的地址是九龍塘另一條路"
    assert client.get(f"/api/v1/contacts/{contact_id}/export", headers=shop["admin"]).status_code == 404
