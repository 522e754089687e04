"""The lifecycle matrix: each cell equals the segment of that cell, the shares and the active target are what
the test's own banding gives, transitions since a date, and a cell saved as a segment."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from catalog.models import Order, OrderEvent
from flows.segments import service as segments
from hub.composition import create_app
from hub.contacts.models import Contact
from hub.runtime.db import session_scope, utcnow
from reports.settings import get_report_settings
from tests.factories import make_user, token_for

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
                              created_at=paid)
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
