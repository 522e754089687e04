"""The composer's product button and the agent's view of a customer's cart."""

import pytest
from fastapi.testclient import TestClient

from catalog import service
from hub.composition import create_app
from hub.runtime.db import session_scope
from tests.catalog.factories import make_customer, make_product
from tests.factories import make_channel, make_team, make_user, token_for


@pytest.fixture
def client(backend):
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def shop(client):
    """Team A's Telegram bot has a Japanese customer; team B has another channel; a marketer reads only."""
    team_a, team_b = make_team("A"), make_team("B")
    bot = make_channel("telegram", "Shop bot", team_ids=[team_a])
    make_channel("sms_twilio", "SMS", team_ids=[team_b])
    make_user("a@shop.test", team_ids=[team_a])
    make_user("b@shop.test", team_ids=[team_b])
    make_user("ads@shop.test", role="marketer")
    ids = make_product(variants={"SHIRT-M": {"HKD": 12850, "JPY": 2400}, "SHIRT-L": {"HKD": 13850, "JPY": 2600}})
    customer = make_customer("鈴木花子", "ja", channel_id=bot.id)
    return {"customer": customer, "ids": ids, "a": token_for(client, "a@shop.test"),
            "b": token_for(client, "b@shop.test"), "marketer": token_for(client, "ads@shop.test")}


def test_an_agent_sends_products_once_per_idempotency_key(client, shop):
    conversation, ids = shop["customer"].conversation_id, shop["ids"]
    path = f"/api/v1/conversations/{conversation}/products"
    headers = {**shop["a"], "Idempotency-Key": "compose-1"}
    first = client.post(path, headers=headers, json={"variant_ids": [ids["SHIRT-M"], ids["SHIRT-L"]]})
    assert first.status_code == 202, first.text
    body = first.json()
    assert (body["kind"], body["status"], body["direction"]) == ("list", "queued", "outbound")
    assert [row["description"] for row in body["payload"]["buttons"]] == ["￥2,400", "￥2,600"]
    again = client.post(path, headers=headers, json={"variant_ids": [ids["SHIRT-M"], ids["SHIRT-L"]]})
    assert again.status_code == 202 and again.json()["id"] == body["id"]
    single = client.post(path, headers=shop["a"], json={"variant_ids": [ids["SHIRT-M"]]}).json()
    assert single["kind"] == "buttons" and single["payload"]["header"] == "シルクシャツ (M)"


def test_products_are_refused_to_other_teams_marketers_and_for_unknown_variants(client, shop):
    conversation, variant_id = shop["customer"].conversation_id, shop["ids"]["SHIRT-M"]
    path = f"/api/v1/conversations/{conversation}/products"
    assert client.post(path, headers=shop["b"], json={"variant_ids": [variant_id]}).status_code == 404
    assert client.get(f"/api/v1/conversations/{conversation}/cart", headers=shop["b"]).status_code == 404
    assert client.post(path, headers=shop["marketer"], json={"variant_ids": [variant_id]}).status_code == 403
    assert client.post(path, json={"variant_ids": [variant_id]}).status_code == 401
    assert client.post(path, headers=shop["a"], json={"variant_ids": [999999]}).status_code == 404
    assert client.post(path, headers=shop["a"], json={"variant_ids": []}).status_code == 422
    assert client.post(path, headers=shop["a"], json={"variant_ids": list(range(1, 12))}).status_code == 422


def test_the_agent_sees_the_customers_open_cart(client, shop):
    customer, variant_id = shop["customer"], shop["ids"]["SHIRT-L"]
    path = f"/api/v1/conversations/{customer.conversation_id}/cart"
    empty = client.get(path, headers=shop["a"]).json()
    assert (empty["cart_id"], empty["currency"], empty["lines"], empty["total"]) == (None, "JPY", [], "￥0")
    with session_scope() as session:
        cart = service.open_cart(session=session, contact_id=customer.contact_id,
                                 conversation_id=customer.conversation_id, currency="JPY")
        service.add(session=session, cart=cart, variant_id=variant_id, quantity=2)
    answer = client.get(path, headers=shop["a"]).json()
    assert answer["total_minor"] == 5200 and answer["total"] == "￥5,200"
    assert [(line["title"], line["quantity"], line["line"]) for line in answer["lines"]] == [
        ("シルクシャツ (L)", 2, "￥5,200")]


def test_an_agent_sends_a_payment_link_and_the_order_remembers_who(backend):
    from fastapi.testclient import TestClient
    from sqlmodel import select

    from catalog.models import Order
    from hub.composition import create_app
    from hub.runtime.db import session_scope
    from tests.catalog.factories import make_customer, make_product
    from tests.factories import make_team, make_user, token_for

    team = make_team("HK")
    variant_id = make_product(variants={"SHIRT-M": {"HKD": 29600}})["SHIRT-M"]
    from tests.factories import make_channel

    channel = make_channel("whatsapp_meta", "WA", team_ids=[team])
    customer = make_customer(channel_id=channel.id, team_id=team)
    agent = make_user("mei@shop.test", team_ids=[team])
    with session_scope() as session:  # the customer wrote a moment ago: the 24-hour window is open
        from hub.conversations.models import Conversation
        from hub.runtime.db import utcnow

        session.get(Conversation, customer.conversation_id).last_inbound_at = utcnow()
    with TestClient(create_app()) as client:
        headers = {**token_for(client, "mei@shop.test"), "Idempotency-Key": "pay-1"}
        path = f"/api/v1/conversations/{customer.conversation_id}/payment-link"
        assert client.post(path, json={}, headers=headers).status_code == 422  # nothing in the cart yet
        sent = client.post(path, json={"items": [{"variant_id": variant_id, "quantity": 2}]}, headers=headers)
        assert sent.status_code == 202, sent.text
        again = client.post(path, json={"items": [{"variant_id": variant_id, "quantity": 2}]}, headers=headers)
        assert again.json()["id"] == sent.json()["id"]  # a double click sends once
        button = sent.json()["payload"]["buttons"][0]
        assert button["url"].startswith("https://hub.example.test/sandbox/checkout/")
    with session_scope() as session:
        [order] = session.exec(select(Order)).all()
        assert (order.total_minor, order.currency, order.agent_id) == (59200, "HKD", agent.id)
