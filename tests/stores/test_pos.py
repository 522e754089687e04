"""Purchases from a store's till: a sale becomes a paid order of its customer (made when the phone is new), the
same pos_id again changes nothing, bad fields are refused with the reason; a CSV of historical sales is
imported by a job with its progress and a per-row error report, and importing it again changes nothing."""

from __future__ import annotations

import io
import os
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import select

from catalog.models import Order, OrderLine
from catalog.stores import pos_import
from catalog.stores.models import PosImport
from hub.composition import create_app
from hub.contacts.models import ChannelIdentity, Contact
from hub.runtime import broker
from hub.runtime.db import session_scope, utcnow
from hub.runtime.events import subscribe
from tests.factories import make_user, token_for
from tests.stores.factories import make_contact, make_store

SALE = {"pos_id": "till-3-000123", "purchased_at": "2026-12-06T14:30:00+08:00", "currency": "HKD",
        "total": "398.00", "phone": "+852 9111 2222", "customer_name": "李小明",
        "lines": [{"sku": "TEE-M", "title": "Linen tee", "quantity": 2, "unit_price": "199.00"}]}


@pytest.fixture
def client(backend):
    make_user("boss@shop.test", role="admin")
    make_user("ann@shop.test")
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def till_key(client):
    admin = token_for(client, "boss@shop.test")
    answer = client.post("/api/v1/api-keys", json={"name": "Till 3", "scopes": ["pos:write"],
                                                   "rate_limit_per_minute": 1000}, headers=admin)
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['secret']}"}


def orders_count() -> int:
    with session_scope() as session:
        return int(session.exec(select(func.count()).select_from(Order)).one())


def test_a_till_sale_is_a_paid_order_once_however_often_it_is_sent(client, till_key):
    store_id = make_store()
    paid: list[int] = []
    subscribe("order.paid", lambda event: paid.append(event.data["order_id"]))
    first = client.post("/api/v1/pos/purchases", json={**SALE, "store_id": store_id}, headers=till_key)
    assert first.status_code == 200, first.text
    assert first.json()["created"] is True
    again = client.post("/api/v1/pos/purchases", json={**SALE, "store_id": store_id, "total": "1.00"},
                        headers=till_key)
    assert again.json() == {**first.json(), "created": False}
    assert orders_count() == 1 and paid == [first.json()["order_id"]]
    with session_scope() as session:
        order = session.get(Order, first.json()["order_id"])
        assert order is not None
        assert (order.status, order.total_minor, order.currency) == ("paid", 39800, "HKD")
        assert order.payment_provider == "pos"
        contact = session.get(Contact, order.contact_id)
        assert contact is not None and contact.name == "李小明"
        phone = session.exec(select(ChannelIdentity).where(ChannelIdentity.contact_id == contact.id)).one()
        assert phone.value == "+85291112222"
        [line] = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all()
        assert (line.sku, line.quantity, line.unit_minor) == ("TEE-M", 2, 19900)


def test_a_known_member_number_finds_the_customer_and_bad_sales_are_refused_with_the_reason(client, till_key):
    store_id = make_store()
    known = make_contact("+85291112222", "李小明")
    first = client.post("/api/v1/pos/purchases", json={**SALE, "store_id": store_id, "member_number": "M0042"},
                        headers=till_key)
    assert first.json()["contact_id"] == known  # the phone's contact, who now has the card too
    by_card = client.post("/api/v1/pos/purchases", json={**SALE, "pos_id": "till-3-000124", "phone": None,
                                                        "member_number": "M0042", "store_id": store_id},
                          headers=till_key)
    assert by_card.status_code == 200 and by_card.json()["contact_id"] == first.json()["contact_id"]

    def refused(**change: object) -> str:
        answer = client.post("/api/v1/pos/purchases", json={**SALE, "pos_id": "x-1", "store_id": store_id, **change},
                             headers=till_key)
        assert answer.status_code == 422, answer.text
        return str(answer.json()["detail"])

    assert refused(phone=None, member_number="NOBODY").startswith("member_number: no customer")
    assert refused(phone="12").startswith("phone:")
    assert refused(phone=None).startswith("customer:")
    assert refused(total="lots").startswith("total:")
    assert refused(currency="XXY").startswith("currency:")
    assert refused(store_id=999) == "store_id: there is no store 999"
    assert refused(purchased_at="2026-12-06T14:30:00").startswith("purchased_at:")
    assert orders_count() == 2


def test_an_agent_may_not_post_purchases_but_an_admin_may(client):
    store_id = make_store()
    agent = token_for(client, "ann@shop.test")
    assert client.post("/api/v1/pos/purchases", json={**SALE, "store_id": store_id}, headers=agent).status_code == 403
    admin = token_for(client, "boss@shop.test")
    assert client.post("/api/v1/pos/purchases", json={**SALE, "store_id": store_id}, headers=admin).status_code == 200


def sales_csv(rows: int, bad_every: int, store_id: int, customers: int = 5000) -> tuple[bytes, int]:
    """`rows` sales of `customers` customers; every `bad_every`-th has an amount that is not one."""
    out = io.StringIO()
    out.write("pos_id,store_id,purchased_at,currency,total,phone,customer_name,sku,quantity\n")
    bad = 0
    for n in range(1, rows + 1):
        total = "12.5O" if n % bad_every == 0 else f"{100 + n % 900}.00"
        bad += n % bad_every == 0
        out.write(f"S-{n},{store_id},2025-{1 + n % 12:02d}-{1 + n % 28:02d}T12:00:00+08:00,HKD,{total},"
                  f"+8529{n % customers:07d},顧客 {n % customers},SKU-{n % 40},{1 + n % 3}\n")
    return out.getvalue().encode(), bad


def run_import(client, key, body: bytes) -> dict[str, object]:
    started = client.post("/api/v1/pos/purchases/import", files={"file": ("sales.csv", body, "text/csv")},
                          headers=key)
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "queued"
    pos_import.run(started.json()["id"])  # the job, as the worker runs it
    status = client.get(f"/api/v1/pos/purchases/imports/{started.json()['id']}", headers=key)
    assert status.status_code == 200
    return dict(status.json())


def test_a_small_import_reports_each_bad_row(client, till_key):
    store_id = make_store()
    body = (b"pos_id,store,purchased_at,currency,total,phone,member_number\n"
            b"A-1,Causeway Bay,2025-03-01,HKD,10.00,+85291110001,\n"
            b"A-2,Nowhere,2025-03-01,HKD,10.00,+85291110002,\n"
            b"A-3,Causeway Bay,yesterday,HKD,10.00,+85291110003,\n"
            b"A-4,Causeway Bay,2025-03-01,HKD,10.00,,UNKNOWN-CARD\n"
            b"A-1,Causeway Bay,2025-03-01,HKD,10.00,+85291110001,\n")
    report = run_import(client, till_key, body)
    assert (report["status"], report["created"], report["duplicates"], report["error_count"]) == ("done", 1, 1, 3)
    assert [(e["row"], e["reason"].split(":")[0]) for e in report["errors"]] == [  # type: ignore[union-attr]
        (3, "store"), (4, "purchased_at"), (5, "member_number")]
    missing = client.post("/api/v1/pos/purchases/import", files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")},
                          headers=till_key)
    assert missing.status_code == 400 and "lacks the column" in missing.json()["detail"]
    assert store_id


# The 50,000 sales (50 batches, 5,000 customers of ten sales each) are
# `HUB_TEST_POS_ROWS=50000 .venv/bin/pytest tests/stores/test_pos.py`; `make test` imports 5,000 (5 batches, 500
# customers): the same shape, every customer's sales spread over every batch. How fast it goes: bench/pos_import.py.
POS_ROWS = int(os.environ.get("HUB_TEST_POS_ROWS", "5000"))


def test_historical_sales_in_many_batches_import_once(pg_backend):
    rows = POS_ROWS
    assert rows % 1000 == 0 and rows >= 2 * pos_import.BATCH, "HUB_TEST_POS_ROWS: whole batches, at least two"
    customers, bad_every = rows // 10, rows // 100  # ten sales each; 100 bad rows, all of 10 customers' sales
    make_user("boss@shop.test", role="admin")
    with TestClient(create_app()) as client:
        admin = token_for(client, "boss@shop.test")
        store_id = make_store()
        body, bad = sales_csv(rows, bad_every, store_id, customers)
        assert bad == 100
        report = run_import(client, admin, body)
        assert (report["status"], report["created"], report["error_count"], report["done_rows"]) == (
            "done", rows - 100, 100, rows)
        assert {e["row"] for e in report["errors"]} == {  # type: ignore[union-attr]
            n + 1 for n in range(bad_every, rows + 1, bad_every)}
        assert all(e["reason"] == "total: '12.5O' is not an amount" for e in report["errors"])  # type: ignore[union-attr]
        assert orders_count() == rows - 100
        with session_scope() as session:
            # every customer's phone, but for the 10 that are only on bad rows
            assert session.exec(select(func.count()).select_from(Contact)).one() == customers - 10
        second = run_import(client, admin, body)
        assert (second["created"], second["duplicates"], second["error_count"]) == (0, rows - 100, 100)
        assert orders_count() == rows - 100
        with session_scope() as session:
            assert session.exec(select(func.count()).select_from(PosImport)).one() == 2


def test_an_import_whose_job_was_lost_is_queued_again_once(client, till_key):
    make_store()
    body = b"pos_id,store_id,purchased_at,currency,total,phone\nL-1,1,2025-03-01,HKD,10.00,+85291110001\n"
    started = client.post("/api/v1/pos/purchases/import", files={"file": ("a.csv", body, "text/csv")},
                          headers=till_key).json()
    assert pos_import.sweep() == 0  # just queued: not stale yet
    broker.connection().flushdb()  # Redis lost the job
    later = utcnow() + timedelta(minutes=10)
    assert pos_import.sweep(now=later) == 1 and pos_import.sweep(now=later) == 0
    assert pos_import.run(started["id"]).startswith("1 created")
    assert pos_import.sweep(now=later) == 0  # done


def test_till_sales_count_in_reports_and_behaviour_tags_like_online_ones(client, till_key):
    from hub.contacts import service as contacts
    from hub.jobs.worker import HubWorker
    from reports.models import ReportEvent

    store_id = make_store()
    live = client.post("/api/v1/pos/purchases", json={**SALE, "store_id": store_id}, headers=till_key).json()
    body = (b"pos_id,store_id,purchased_at,currency,total,phone\n"
            b"H-1,1,2025-01-05T12:00:00+08:00,HKD,100.00,+85291114444\n"
            b"H-2,1,2025-02-05T12:00:00+08:00,HKD,200.00,+85291114444\n")
    report = run_import(client, till_key, body)
    assert report["created"] == 2
    HubWorker([broker.queue(name) for name in broker.QUEUES], connection=broker.connection()).work(burst=True)
    with session_scope() as session:
        facts = session.exec(select(ReportEvent).where(ReportEvent.kind == "order.paid")).all()
        assert len(facts) == 3  # the live sale and the two imported ones
        imported = contacts.contacts_by_identity(session=session, kind="whatsapp", values=["+85291114444"])
    admin = token_for(client, "boss@shop.test")
    tags = client.get(f"/api/v1/contacts/{imported['+85291114444']}", headers=admin).json()["tags"]
    assert any(name.startswith("lifecycle: ") for name in tags), tags
    assert live["created"]
