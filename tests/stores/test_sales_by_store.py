"""Sales by store: a till sale (live or from a CSV import) names its store on its order and order facts, the
sales report groups by it (each store's revenue and orders per currency, the online orders under no store),
and the migration gives the store to POS orders recorded before it, from their payment reference."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from catalog import orders
from catalog.models import Order
from catalog.stores import pos_import
from hub.agents.models import User
from hub.composition import create_app
from hub.runtime.db import session_scope
from reports.backfill import backfill
from tests.factories import PASSWORD, make_user, token_for
from tests.migrations import sqlite_at
from tests.stores.factories import make_contact, make_store
from tests.stores.test_pos import client, till_key  # noqa: F401 (fixtures)

DAY = "2026-12-06"
ORIGIN = "https://hub.example.test"  # HUB_PUBLIC_URL in the tests
DECIMALS = {"HKD": 2, "JPY": 0}


def test_sales_by_store_give_each_stores_revenue_and_orders_per_currency(client, till_key):  # noqa: F811
    causeway, mong_kok = make_store("Causeway Bay"), make_store("Mong Kok 旺角")
    live = [("C-1", causeway, "HKD", "398.00"), ("C-2", causeway, "HKD", "100.50"), ("M-1", mong_kok, "HKD", "20.00"),
            ("M-2", mong_kok, "JPY", "4500")]
    for n, (pos_id, store_id, currency, total) in enumerate(live):
        answer = client.post("/api/v1/pos/purchases", headers=till_key, json={
            "pos_id": pos_id, "store_id": store_id, "purchased_at": f"{DAY}T1{n}:30:00+08:00", "currency": currency,
            "total": total, "phone": f"+85291110{n:03d}"})
        assert answer.status_code == 200, answer.text
    imported = ("I-1", mong_kok, "HKD", "55.00")
    body = ("pos_id,store,purchased_at,currency,total,phone\n"
            f"I-1,Mong Kok 旺角,{DAY}T15:00:00+08:00,HKD,55.00,+85291119999\n").encode()
    started = client.post("/api/v1/pos/purchases/import", files={"file": ("sales.csv", body, "text/csv")},
                          headers=till_key)
    assert started.status_code == 202, started.text
    pos_import.run(started.json()["id"])
    online = ("web", None, "HKD", "70.00")
    with session_scope() as session:
        orders.record_paid_elsewhere(session=session, contact_id=make_contact(), currency="HKD", total_minor=7000,
                                     lines=[], provider="shopify", payment_ref="shopify:1001",
                                     paid_at=datetime(2026, 12, 6, 8, 0, tzinfo=UTC))
    backfill(say=lambda _: None)

    expected: dict[tuple[str, str], dict[str, int]] = {}
    for _, store_id, currency, total in [*live, imported, online]:
        entry = expected.setdefault(("" if store_id is None else str(store_id), currency),
                                    {"orders": 0, "revenue_minor": 0})
        entry["orders"] += 1
        entry["revenue_minor"] += int(Decimal(total).scaleb(DECIMALS[currency]))
    admin = token_for(client, "boss@shop.test")
    answer = client.get("/api/v1/reports/sales", headers=admin, params={
        "from": DAY, "to": DAY, "tz": "Asia/Hong_Kong", "group_by": "store"})
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    assert {(r["key"], r["currency"]): {"orders": r["orders"], "revenue_minor": r["revenue_minor"]}
            for r in rows} == expected
    assert {r["key"]: r["label"] for r in rows} == {str(causeway): "Causeway Bay", str(mong_kok): "Mong Kok 旺角",
                                                    "": None}
    assert {(m["currency"], m["orders"]) for m in answer.json()["totals"]["currencies"]} == {("HKD", 5), ("JPY", 1)}
    with session_scope() as session:
        stores = {o.payment_ref: o.store_id for o in session.query(Order).all()}
    assert stores == {f"pos:{causeway}:C-1": causeway, f"pos:{causeway}:C-2": causeway,
                      f"pos:{mong_kok}:M-1": mong_kok, f"pos:{mong_kok}:M-2": mong_kok,
                      f"pos:{mong_kok}:I-1": mong_kok, "shopify:1001": None}


def test_the_sales_api_offers_group_by_store(client):  # noqa: F811
    spec = client.get("/openapi.json", headers=token_for(client, "boss@shop.test")).json()
    [group_by] = [p for p in spec["paths"]["/api/v1/reports/sales"]["get"]["parameters"] if p["name"] == "group_by"]
    ref = group_by["schema"].get("$ref", "").rsplit("/", 1)[-1]
    values = spec["components"]["schemas"][ref]["enum"] if ref else group_by["schema"]["enum"]
    assert "store" in values


def test_the_migration_gives_pos_orders_recorded_before_it_their_store(tmp_path):
    """Orders and order facts from before 0034: a POS order's store is read from `pos:{store_id}:{pos_id}`
    (a pos_id may hold colons), other orders keep none."""
    from sqlalchemy import text

    made = "'2026-12-01 10:00:00'"
    with sqlite_at(tmp_path, "0033_monthly_partitions") as old:
        conn = old.conn
        conn.execute(text(f"INSERT INTO contact (id, name, custom_fields, created_at, updated_at) "
                          f"VALUES (1, 'Ann', '{{}}', {made}, {made})"))
        for order_id, provider, ref in ((1, "pos", "pos:7:till-3:0001"), (2, "shopify", "shopify:9"),
                                        (3, "pos", "pos:12:A-1")):
            conn.execute(text(f"INSERT INTO orders (id, number, contact_id, currency, total_minor, status, "
                              f"payment_provider, payment_ref, created_at, paid_at) VALUES ({order_id}, 'N{order_id}', "
                              f"1, 'HKD', 100, 'paid', '{provider}', '{ref}', {made}, {made})"))
            conn.execute(text(f"INSERT INTO report_event (kind, source_key, at, day, order_id) VALUES "
                              f"('order.paid', 'order:{order_id}:paid', {made}, '2026-12-01', {order_id})"))
        conn.commit()
        old.upgrade()
        assert conn.execute(text("SELECT id, store_id FROM orders ORDER BY id")).all() == [(1, 7), (2, None), (3, 12)]
        assert conn.execute(text("SELECT order_id, store_id FROM report_event ORDER BY order_id")).all() == [
            (1, 7), (2, None), (3, 12)]
        old.downgrade("0033_monthly_partitions")


@pytest.mark.parametrize(("locale", "store", "online"), [
    ("en", "Store", "Online orders"), ("ja", "店舗", "オンライン注文"), ("zh_Hant", "門市", "網上訂單")])
def test_the_sales_page_offers_grouping_by_store_in_the_users_language(backend, locale, store, online):
    make_user("boss@shop.test", role="admin")
    with session_scope() as session:
        row = session.exec(select(User).where(User.email == "boss@shop.test")).one()
        row.locale = locale
        session.add(row)
    with TestClient(create_app(), base_url=ORIGIN, follow_redirects=False) as browser:
        answer = browser.post("/login", data={"email": "boss@shop.test", "password": PASSWORD},
                              headers={"Origin": ORIGIN})
        assert answer.status_code == 303, answer.text
        page = browser.get("/reports/sales").text
    assert f'<option value="store">{store}</option>' in page
    strings = json.loads(page.split('id="hub-strings"', 1)[1].split(">", 1)[1].split("</script>", 1)[0])
    assert strings["rpt_online"] == online  # the row of the orders made online, by store


def test_the_sales_csv_names_each_orders_store_and_leaves_it_empty_online(client, till_key):  # noqa: F811
    causeway = make_store("Causeway Bay")
    answer = client.post("/api/v1/pos/purchases", headers=till_key, json={
        "pos_id": "C-1", "store_id": causeway, "purchased_at": f"{DAY}T10:30:00+08:00", "currency": "HKD",
        "total": "398.00", "phone": "+85291110001"})
    assert answer.status_code == 200, answer.text
    with session_scope() as session:
        online, _ = orders.record_paid_elsewhere(
            session=session, contact_id=make_contact(), currency="JPY", total_minor=4500, lines=[],
            provider="shopify", payment_ref="shopify:1001", paid_at=datetime(2026, 12, 6, 8, 0, tzinfo=UTC))
        online_id = online.id
    backfill(say=lambda _: None)
    sheet = client.get("/api/v1/reports/sales", headers=token_for(client, "boss@shop.test"), params={
        "from": DAY, "to": DAY, "tz": "Asia/Hong_Kong", "format": "csv"})
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(sheet.text.removeprefix("\ufeff"))))
    got = {row["order_id"]: (row["event"], row["currency"], row["amount"], row["store"]) for row in rows}
    assert got == {str(answer.json()["order_id"]): ("paid", "HKD", "398.00", "Causeway Bay"),
                   str(online_id): ("paid", "JPY", "4500", "")}
