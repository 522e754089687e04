"""The loyalty API: a contact's points for whoever sees their conversations, adjustments and the program for
admins, and the listeners that earn and reverse as orders are paid and refunded."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from catalog import orders, service
from hub.audit.models import AuditEntry
from hub.composition import create_app
from hub.jobs.worker import HubWorker
from hub.runtime import broker
from hub.runtime.db import session_scope
from tests.factories import make_channel, make_team, make_user, token_for
from tests.loyalty.factories import make_customer, paid_order, shirt


def run_jobs() -> None:
    HubWorker([broker.queue(name) for name in broker.QUEUES], connection=broker.connection()).work(burst=True)


@pytest.fixture
def client(backend):
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def shop(client):
    """Team A has the WhatsApp channel and its customer; team B another channel. HKD earns a point a dollar."""
    team_a, team_b = make_team("A"), make_team("B")
    whatsapp = make_channel("whatsapp_meta", "WA", team_ids=[team_a])
    make_channel("sms_twilio", "SMS", team_ids=[team_b])
    make_user("a@shop.test", team_ids=[team_a])
    make_user("b@shop.test", team_ids=[team_b])
    make_user("boss@shop.test", role="admin")
    admin = token_for(client, "boss@shop.test")
    assert client.put("/api/v1/loyalty/rules/hkd", json={"points": 1, "spend_minor": 100},
                      headers=admin).status_code == 200
    return {"customer": make_customer(channel_id=whatsapp.id), "a": token_for(client, "a@shop.test"),
            "b": token_for(client, "b@shop.test"), "admin": admin}


def test_paid_and_refunded_orders_show_in_the_contacts_points(client, shop):
    customer = shop["customer"]
    order_id = paid_order(customer, shirt(), quantity=2)
    run_jobs()
    loyalty = client.get(f"/api/v1/contacts/{customer.contact_id}/loyalty", headers=shop["a"]).json()
    assert loyalty["balance"] == 257
    assert [(e["kind"], e["points"]) for e in loyalty["entries"]] == [("earn", 257)]
    with session_scope() as session:
        service.refund(session=session, order_id=order_id, reason="returned")
    run_jobs()
    loyalty = client.get(f"/api/v1/contacts/{customer.contact_id}/loyalty", headers=shop["a"]).json()
    assert loyalty["balance"] == 0
    assert loyalty["entries"][0]["kind"] == "reverse"


def test_a_partial_stripe_refund_takes_back_its_share_once(client, shop):
    customer = shop["customer"]
    order_id = paid_order(customer, shirt(), quantity=4)  # HKD 514.00
    run_jobs()
    for _ in range(2):  # Stripe's charge.refunded for a quarter, delivered twice
        with session_scope() as session:
            orders.record_partial_refund(session=session, order_id=order_id, refunded_minor=12850)
        run_jobs()
    loyalty = client.get(f"/api/v1/contacts/{customer.contact_id}/loyalty", headers=shop["a"]).json()
    assert loyalty["balance"] == 514 - 128
    assert [(e["kind"], e["points"]) for e in loyalty["entries"]] == [("reverse", -128), ("earn", 514)]


def test_agents_see_only_the_points_of_their_teams_customers(client, shop):
    contact = shop["customer"].contact_id
    assert client.get(f"/api/v1/contacts/{contact}/loyalty", headers=shop["a"]).status_code == 200
    assert client.get(f"/api/v1/contacts/{contact}/loyalty", headers=shop["b"]).status_code == 404
    assert client.get("/api/v1/contacts/999999/loyalty", headers=shop["admin"]).status_code == 404
    assert client.get(f"/api/v1/contacts/{contact}/loyalty").status_code == 401


def test_only_admins_adjust_with_a_reason_and_the_balance_never_goes_negative(client, shop):
    contact = shop["customer"].contact_id
    url = f"/api/v1/contacts/{contact}/loyalty/adjustments"
    assert client.post(url, json={"points": 50, "reason": "sorry"}, headers=shop["a"]).status_code == 403
    made = client.post(url, json={"points": 50, "reason": "遅延のお詫び", "idempotency_key": "k-1"},
                       headers=shop["admin"])
    assert made.status_code == 201 and made.json()["balance"] == 50 and made.json()["created"] is True
    again = client.post(url, json={"points": 50, "reason": "遅延のお詫び", "idempotency_key": "k-1"},
                        headers=shop["admin"])
    assert again.json()["created"] is False and again.json()["balance"] == 50
    refused = client.post(url, json={"points": -80, "reason": "gift"}, headers=shop["admin"])
    assert refused.status_code == 409 and "50 points" in refused.json()["detail"]
    assert client.post(url, json={"points": 0, "reason": "nothing"}, headers=shop["admin"]).status_code == 422
    assert client.post(url, json={"points": 5, "reason": ""}, headers=shop["admin"]).status_code == 422
    assert client.post(url, json={"points": "many", "reason": "x"}, headers=shop["admin"]).status_code == 422
    with session_scope() as session:
        [audit] = session.exec(select(AuditEntry).where(AuditEntry.action == "loyalty.adjust")).all()
    assert audit.details["reason"] == "遅延のお詫び"


def test_admins_keep_rules_tiers_and_settings(client, shop):
    admin, contact = shop["admin"], shop["customer"].contact_id
    assert client.get("/api/v1/loyalty/program", headers=shop["a"]).status_code == 403
    assert client.put("/api/v1/loyalty/rules/XYZ", json={"points": 1, "spend_minor": 100},
                      headers=admin).status_code == 422
    assert client.put("/api/v1/loyalty/rules/JPY", json={"points": 1, "spend_minor": 0},
                      headers=admin).status_code == 422
    gold = client.post("/api/v1/loyalty/tiers", json={"name": "Gold", "threshold": 40, "benefits": ["10% off"]},
                       headers=admin)
    assert gold.status_code == 201
    assert client.post("/api/v1/loyalty/tiers", json={"name": "Gold", "threshold": 90},
                       headers=admin).status_code == 422
    client.post(f"/api/v1/contacts/{contact}/loyalty/adjustments", json={"points": 50, "reason": "welcome"},
                headers=admin)
    loyalty = client.get(f"/api/v1/contacts/{contact}/loyalty", headers=shop["a"]).json()
    assert loyalty["tier"] == {"id": gold.json()["id"], "name": "Gold", "threshold": 40, "benefits": ["10% off"]}
    assert client.put(f"/api/v1/loyalty/tiers/{gold.json()['id']}", json={"name": "Gold", "threshold": 60},
                      headers=admin).status_code == 200
    assert client.get(f"/api/v1/contacts/{contact}/loyalty", headers=shop["a"]).json()["tier"] is None
    assert client.put("/api/v1/loyalty/tiers/9999", json={"name": "X", "threshold": 1},
                      headers=admin).status_code == 404
    saved = client.put("/api/v1/loyalty/program", json={"expiry_days": 180, "allow_negative": True}, headers=admin)
    assert saved.json()["expiry_days"] == 180 and [r["currency"] for r in saved.json()["rules"]] == ["HKD"]
    assert client.delete("/api/v1/loyalty/rules/HKD", headers=admin).status_code == 204
    assert client.delete("/api/v1/loyalty/rules/HKD", headers=admin).status_code == 404
    assert client.delete(f"/api/v1/loyalty/tiers/{gold.json()['id']}", headers=admin).status_code == 204


def test_the_openapi_schema_names_the_entry_kinds(client):
    schema = client.app.openapi()["components"]["schemas"]  # /openapi.json itself needs a sign-in
    assert schema["EntryKind"]["enum"] == ["earn", "reverse", "expire", "adjust"]
    assert schema["AdjustmentIn"]["properties"]["reason"]["examples"]
