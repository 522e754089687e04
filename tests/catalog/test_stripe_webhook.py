"""`POST /webhooks/stripe`: signed events are stored before the 200, then a job pays, expires or
refunds the order, once, whatever the order of arrival; unsigned, tampered or stale events get 400."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest
import stripe
from fastapi.testclient import TestClient
from sqlmodel import select

from catalog.models import Order
from catalog.payments.stripe_checkout import create_checkout
from hub.composition import create_app
from hub.conversations.models import Message
from hub.jobs.worker import HubWorker
from hub.runtime import broker
from hub.runtime.db import session_scope
from hub.runtime.inbox import RawEvent
from hub.runtime.settings import get_settings
from tests.catalog.factories import make_customer, make_product, order_from_cart, stock_of

FIXTURES = Path(__file__).parent.parent / "fixtures" / "stripe"
SECRET = "whsec_test_hub_0123456789abcdef"


@pytest.fixture
def client(backend, monkeypatch):
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    get_settings.cache_clear()
    with TestClient(create_app()) as test_client:
        yield test_client


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def signed(event: dict[str, Any], timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers Stripe would send, signed with the stripe SDK's own helper."""
    body = json.dumps(event, ensure_ascii=False)
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET, timestamp=timestamp)
    return body.encode(), {"Stripe-Signature": header, "Content-Type": "application/json"}


def post(client: TestClient, event: dict[str, Any], timestamp: int | None = None) -> int:
    body, headers = signed(event, timestamp)
    return client.post("/webhooks/stripe", content=body, headers=headers).status_code


def run_jobs() -> None:
    HubWorker([broker.queue(name) for name in broker.QUEUES], connection=broker.connection()).work(burst=True)


def stored() -> list[RawEvent]:
    with session_scope() as session:
        return list(session.exec(select(RawEvent).where(RawEvent.provider == "stripe").order_by(RawEvent.id)))


def order_of(order_id: int) -> Order:
    with session_scope() as session:
        return session.get(Order, order_id)


def messages(conversation_id: int) -> list[Message]:
    with session_scope() as session:
        return list(session.exec(select(Message).where(Message.conversation_id == conversation_id)
                                 .order_by(Message.id)))


def jp_order(quantity: int = 1) -> tuple[int, int, int]:
    """山田太郎's pending ¥4800 order with its checkout: (order id, conversation id, variant id)."""
    ids = make_product(variants={"JACKET-M": {"JPY": 4800 // quantity}}, stock=5)
    customer = make_customer("山田太郎", "ja")
    order_id = order_from_cart(customer, {ids["JACKET-M"]: quantity}, "JPY")
    with session_scope() as session:
        create_checkout(session=session, order_id=order_id, success_url="https://shop.test/ok",
                        cancel_url="https://shop.test/cart")
    return order_id, customer.conversation_id, ids["JACKET-M"]


def completed(order_id: int, event_id: str = "evt_rGccFDY3C55oAdaslZHxbgP9") -> dict[str, Any]:
    """The recorded completed event, for this order's session."""
    event = fixture("checkout_session_completed")
    with session_scope() as session:
        from catalog.payments.models import StripeCheckout

        checkout = session.exec(select(StripeCheckout).where(StripeCheckout.order_id == order_id)).one()
    session_object = event["data"]["object"]
    session_object.update(id=checkout.session_id, client_reference_id=str(order_id),
                          metadata={"order_id": str(order_id)})
    event["id"] = event_id
    return event


def refunded(payment_intent: str = "pi_3TkqCpLkdIwHu7ix0QmR2e4s") -> dict[str, Any]:
    event = fixture("charge_refunded")
    event["data"]["object"]["payment_intent"] = payment_intent
    return event


def test_a_paid_session_pays_the_order_and_confirms_once_in_the_customers_language(client):
    order_id, conversation_id, variant_id = jp_order()
    assert stock_of(variant_id) == (5, 1)
    event = completed(order_id)
    assert post(client, event) == 200
    [row] = stored()
    assert (row.event_id, row.endpoint, row.processed_at) == ("evt_rGccFDY3C55oAdaslZHxbgP9",
                                                          "checkout.session.completed", None)
    assert order_of(order_id).status == "pending"  # the request only stored it
    run_jobs()
    order = order_of(order_id)
    assert (order.status, order.payment_provider, order.payment_ref) == ("paid", "stripe",
                                                                        "pi_3TkqCpLkdIwHu7ix0QmR2e4s")
    assert stock_of(variant_id) == (4, 0)
    [confirmation] = messages(conversation_id)
    assert (confirmation.client_key, confirmation.direction) == (f"order-paid-{order_id}", "outbound")
    assert order.number in confirmation.text and "ご注文" in confirmation.text
    assert "合計：￥4,800" in confirmation.text and "1 × " in confirmation.text

    assert post(client, event) == 200  # Stripe delivers it again
    assert post(client, copy.deepcopy(event)) == 200
    run_jobs()
    from catalog.payments.jobs import process_event

    assert process_event(row.id) == "done"  # a lost-and-requeued job finds it done
    assert len(stored()) == 1
    assert len(messages(conversation_id)) == 1
    assert stock_of(variant_id) == (4, 0) and order_of(order_id).status == "paid"


@pytest.mark.parametrize("how", ["tampered", "stale", "unsigned", "wrong secret", "not json"])
def test_an_event_stripe_did_not_sign_just_now_gets_400_and_nothing_is_stored(client, how):
    order_id, conversation_id, _ = jp_order()
    body, headers = signed(completed(order_id))
    if how == "tampered":
        body = body.replace(b'"amount_total": 4800', b'"amount_total": 1')
    elif how == "stale":
        body, headers = signed(completed(order_id), timestamp=int(time.time()) - 301)
    elif how == "unsigned":
        headers.pop("Stripe-Signature")
    elif how == "wrong secret":
        headers["Stripe-Signature"] = stripe.WebhookSignature.generate_signature_header(body.decode(), "whsec_other")
    else:
        body = b"not json"
        headers["Stripe-Signature"] = stripe.WebhookSignature.generate_signature_header("not json", SECRET)
    answer = client.post("/webhooks/stripe", content=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"]
    run_jobs()
    assert stored() == [] and order_of(order_id).status == "pending" and messages(conversation_id) == []


def test_a_refund_that_arrives_before_the_payment_is_applied_once_the_payment_is(client):
    order_id, conversation_id, _ = jp_order()
    assert post(client, refunded()) == 200
    run_jobs()
    [waiting] = stored()
    assert (waiting.processed_at, waiting.waiting_for) == (None, "pi_3TkqCpLkdIwHu7ix0QmR2e4s")
    assert order_of(order_id).status == "pending"
    assert post(client, completed(order_id)) == 200
    run_jobs()
    assert order_of(order_id).status == "refunded"
    assert all(row.processed_at is not None for row in stored())
    thread = messages(conversation_id)
    assert [m.kind for m in thread] == ["text", "note"]  # the customer's confirmation, then the agents' note
    assert thread[1].payload == {"private": True} and "refunded ¥4,800" in thread[1].text


def test_a_refund_after_the_payment_refunds_the_order_and_tells_the_agent(client):
    order_id, conversation_id, _ = jp_order()
    assert post(client, completed(order_id)) == 200
    run_jobs()
    assert post(client, refunded()) == 200
    assert post(client, refunded()) == 200
    run_jobs()
    assert order_of(order_id).status == "refunded"
    notes = [m for m in messages(conversation_id) if m.kind == "note"]
    assert len(notes) == 1 and order_of(order_id).number in notes[0].text


def test_an_expired_session_gives_the_stock_back(client):
    order_id, conversation_id, variant_id = jp_order(quantity=2)
    event = fixture("checkout_session_expired")
    event["data"]["object"].update(completed(order_id)["data"]["object"] | {"status": "expired", "url": None,
                                                                            "payment_status": "unpaid"})
    assert stock_of(variant_id) == (5, 2)
    assert post(client, event) == 200
    run_jobs()
    assert order_of(order_id).status == "expired"
    assert stock_of(variant_id) == (5, 0)
    assert messages(conversation_id) == []


def test_an_amount_that_is_not_the_orders_is_not_marked_paid(client):
    order_id, conversation_id, _ = jp_order()
    event = completed(order_id)
    event["data"]["object"]["amount_total"] = 480
    assert post(client, event) == 200
    run_jobs()
    assert order_of(order_id).status == "pending"
    [note] = messages(conversation_id)
    assert note.kind == "note" and "not marked paid" in note.text


def test_an_event_type_hub_does_not_handle_is_answered_and_ignored(client):
    event = fixture("charge_refunded") | {"id": "evt_hub_unhandled", "type": "customer.created"}
    assert post(client, event) == 200
    assert stored() == []


def test_a_stripe_event_whose_job_was_lost_is_paid_by_the_one_inbox_sweep_and_the_channel_drain_leaves_it(client):
    from datetime import timedelta

    from hub.composition import sweep_inbox
    from hub.jobs.tasks import drain_inbound
    from hub.runtime.db import utcnow

    order_id, _, _ = jp_order()
    assert post(client, completed(order_id)) == 200
    broker.connection().flushdb()  # Redis lost the job
    assert drain_inbound() == 0  # the channels' drain shares the inbox but not Stripe's events
    [row] = stored()
    assert (row.processed_at, row.attempts, row.error) == (None, 0, None)
    assert sweep_inbox() == 0  # stored just now: its job may still be on its way
    with session_scope() as session:
        session.get(RawEvent, row.id).received_at = utcnow() - timedelta(minutes=3)
    assert sweep_inbox() == 1
    run_jobs()
    assert order_of(order_id).status == "paid"
    assert sweep_inbox() == 0 and stored()[0].outcome == "paid"
