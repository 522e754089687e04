"""The lifecycle matrix: each cell equals the segment of that cell, the shares and the active target are what
the test's own banding gives, transitions since a date, and a cell saved as a segment."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import text

from catalog.behaviour import BehaviourSettings
from catalog.models import Order, OrderEvent
from flows.segments import service as segments
from hub.composition import create_app
from hub.contacts.models import Contact
from hub.runtime.db import session_scope, utcnow
from reports import lifecycle
from reports.settings import get_report_settings
from tests.factories import make_user, token_for
from tests.migrations import sqlite_at

HK = ZoneInfo("Asia/Hong_Kong")


def band(count: int, days: int) -> str | None:
    if count == 0:
        return None
    size = "loyal" if count >= 4 else "repeat" if count >= 2 else "new"
    recency = "active" if days <= 30 else "sleeping" if days <= 90 else "lost"
    return f"{size}-{recency}"


def test_matrix_transitions_and_save_as_segment(backend: Any) -> None:
    get_report_settings.cache_clear()
    rng = random.Random(3)
    now = utcnow()
    today = now.astimezone(HK).date()
    since = today - timedelta(days=50)
    origin = datetime.combine(since, time(0), tzinfo=HK).astimezone(UTC)
    orders: dict[int, list[tuple[datetime, datetime | None]]] = {}  # paid, refunded
    with session_scope() as session:
        for n in range(80):
            contact = Contact(name=["陳大文", "鈴木花子", "Bob"][n % 3])
            session.add(contact)
            session.flush()
            mine = orders.setdefault(contact.id or 0, [])
            for k in range(rng.choice([0, 1, 1, 2, 3, 4, 5])):
                paid = now - timedelta(days=rng.choice([2.3, 10.3, 40.3, 45.3, 70.3, 100.3, 200.3]))
                refunded = paid + timedelta(days=1) if rng.random() < 0.15 else None
                order = Order(number=f"L{n:03d}-{k}", contact_id=contact.id or 0, currency=rng.choice(["HKD", "JPY"]),
                              total_minor=1000, status="refunded" if refunded else "paid", paid_at=paid,
                              created_at=paid, refunded_at=refunded)
                session.add(order)
                session.flush()
                if refunded:
                    session.add(OrderEvent(order_id=order.id or 0, kind="refunded", created_at=refunded))
                mine.append((paid, refunded))

    def cells(at: datetime) -> dict[int, str]:
        found = {}
        for contact, placed in orders.items():
            kept = [paid for paid, refunded in placed if paid <= at and (refunded is None or refunded > at)]
            name = band(len(kept), (at - max(kept)).days) if kept else None
            if name:
                found[contact] = name
        return found

    make_user("market@reports.test", "marketer")
    make_user("agent@reports.test", "agent")
    with TestClient(create_app()) as client:
        marketer = token_for(client, "market@reports.test")
        answer = client.get("/api/v1/reports/lifecycle", headers=marketer,
                            params={"from": str(today - timedelta(days=29)), "to": str(today), "since": str(since)})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        wanted = Counter(cells(now).values())
        customers = sum(wanted.values())
        got = {c["cell"]: c for c in body["totals"]["cells"]}
        assert len(got) == 9
        with session_scope() as session:
            for name, figures in got.items():
                assert figures["count"] == wanted.get(name, 0), name
                assert figures["count"] == segments.count(session, {"lifecycle": [name.replace("-", " ")]}), name
                assert figures["share"] == round(wanted.get(name, 0) / customers, 4)
        active = sum(v for k, v in wanted.items() if k.endswith("active"))
        assert body["totals"]["active_share"] == round(active / customers, 4)
        assert body["totals"]["above_target"] == (active / customers >= 0.30)
        before, after = cells(origin), cells(now)
        moved = Counter((before.get(c), after.get(c)) for c in set(before) | set(after))
        assert {(t["from"], t["to"]): t["count"] for t in body["transitions"]} == dict(moved)
        assert body["thresholds"] == {"repeat_from": 2, "loyal_from": 4, "active_days": 30, "sleeping_days": 90}

        agent = token_for(client, "agent@reports.test")
        assert client.get("/api/v1/reports/lifecycle", headers=agent).status_code == 403
        assert client.post("/api/v1/reports/lifecycle/cells/loyal-sleeping/segment", headers=agent).status_code == 403
        saved = client.post("/api/v1/reports/lifecycle/cells/loyal-sleeping/segment", headers=marketer,
                            json={"name": "沉睡的忠實客戶"})
        assert saved.status_code == 201, saved.text
        assert saved.json()["members"] == wanted.get("loyal-sleeping", 0)
        assert saved.json()["definition"] == {"lifecycle": ["loyal sleeping"]}
        again = client.post("/api/v1/reports/lifecycle/cells/loyal-sleeping/segment", headers=marketer,
                            json={"name": "沉睡的忠實客戶"})
        assert again.status_code == 409
        assert client.post("/api/v1/reports/lifecycle/cells/nobody/segment", headers=marketer).status_code == 422


def test_the_contacts_counted_in_parts_give_the_same_matrices_as_counted_at_once(backend: Any) -> None:
    """PostgreSQL counts ranges of contacts side by side, one per worker it may give a query: with none, two or
    five, the combinations of cells at three moments are the same, and the test's own banding of the orders.
    A refunded order without a refund moment counts at every past moment after its payment."""
    rng = random.Random(7)
    now = utcnow()
    placed: dict[int, list[tuple[datetime, str, datetime | None]]] = {}
    with session_scope() as session:
        for n in range(60):
            contact = Contact(name=["王小明", "佐藤健", "Ann"][n % 3])
            session.add(contact)
            session.flush()
            mine = placed.setdefault(contact.id or 0, [])
            for k in range(rng.choice([1, 2, 3, 5])):  # every contact a customer: none a gap between ranges
                paid = now - timedelta(days=rng.choice([1.5, 20.5, 35.5, 60.5, 95.5, 150.5]))
                status = rng.choice(["paid", "paid", "paid", "refunded", "expired"]) if k else "refunded"
                refunded = paid + timedelta(days=rng.choice([2, 50])) if status == "refunded" and k % 2 else None
                session.add(Order(number=f"P{n:03d}-{k}", contact_id=contact.id or 0, currency="HKD",
                                  total_minor=500, status=status, paid_at=None if status == "expired" else paid,
                                  created_at=paid, refunded_at=refunded))
                mine.append((paid, status, refunded))
    moments = [(now, True), (now - timedelta(days=30), False), (now - timedelta(days=70), False)]

    def cell_at(orders: list[tuple[datetime, str, datetime | None]], at: datetime, live: bool) -> str | None:
        kept = [paid for paid, status, refunded in orders if (status == "paid" if live else (
            paid <= at and (status == "paid" or (status == "refunded" and (refunded is None or refunded > at)))))]
        name = band(len(kept), (at - max(kept)).days) if kept else None
        return name.replace("-", " ") if name else None

    wanted = Counter(tuple(cell_at(orders, at, live) for at, live in moments) for orders in placed.values()
                     if any(status != "expired" for _, status, _ in orders))  # a customer who ever paid
    settings = BehaviourSettings()
    for workers in (0, 2, 5):
        with session_scope() as session:
            if backend.is_postgres:
                session.execute(text(f"SET LOCAL max_parallel_workers_per_gather = {workers}"))
                assert len(lifecycle._contact_ranges(session)) == max(workers, 1)
            assert lifecycle.cells_at(session, moments, settings) == dict(wanted), workers


def test_the_migration_gives_orders_refunded_before_it_their_first_refund_moment(tmp_path: Any) -> None:
    """Orders from before 0036: a refunded order's refunded_at is its first "refunded" event's moment; a paid one,
    or a refunded one without such an event, has none."""
    made = "'2026-12-01 10:00:00'"
    with sqlite_at(tmp_path, "0035_rollup_covering") as old:
        conn = old.conn
        conn.execute(text(f"INSERT INTO contact (id, name, custom_fields, created_at, updated_at) "
                          f"VALUES (1, '陳太', '{{}}', {made}, {made})"))
        for order_id, status in ((1, "refunded"), (2, "paid"), (3, "refunded")):
            conn.execute(text(f"INSERT INTO orders (id, number, contact_id, currency, total_minor, status, "
                              f"created_at, paid_at) VALUES ({order_id}, 'N{order_id}', 1, 'HKD', 100, '{status}', "
                              f"{made}, {made})"))
        for order_id, kind, at in ((1, "paid", "2026-12-01 10:00:00"), (1, "refunded", "2026-12-03 09:30:00"),
                                   (1, "refunded", "2026-12-04 11:00:00"), (2, "paid", "2026-12-01 10:00:00")):
            conn.execute(text(f"INSERT INTO order_event (order_id, kind, detail, created_at) "
                              f"VALUES ({order_id}, '{kind}', '{{}}', '{at}')"))
        conn.commit()
        old.upgrade()
        found = conn.execute(text("SELECT id, refunded_at FROM orders ORDER BY id")).all()
        assert [(order_id, str(at)[:19] if at else None) for order_id, at in found] == [
            (1, "2026-12-03 09:30:00"), (2, None), (3, None)]
        old.downgrade("0035_rollup_covering")
