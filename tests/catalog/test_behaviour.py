"""Behaviour tags: VIP and the 3 x 3 lifecycle matrix, kept current from paid orders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from catalog import behaviour
from catalog import jobs as catalog_jobs
from catalog.models import Order
from catalog.orders import ORDER_CHANGED
from hub import composition
from hub.contacts.models import Contact
from hub.jobs.worker import HubWorker
from hub.runtime import broker, events
from hub.runtime.db import session_scope, utcnow
from hub.tags.models import ContactTag, Tag

SETTINGS = behaviour.BehaviourSettings(HUB_VIP_SPEND={"HKD": 500_000, "JPY": 100_000})


@pytest.mark.parametrize(("count", "days", "expected"), [
    (1, 0, "new active"), (1, 30, "new active"), (1, 31, "new sleeping"), (1, 90, "new sleeping"),
    (1, 91, "new lost"), (2, 5, "repeat active"), (3, 60, "repeat sleeping"), (3, 400, "repeat lost"),
    (4, 1, "loyal active"), (9, 75, "loyal sleeping"), (4, 91, "loyal lost"),
])
def test_the_matrix_cells_and_their_edges(count, days, expected):
    assert behaviour.cell(count, days, SETTINGS) == behaviour.LIFECYCLE + expected
    assert behaviour.cell(0, days, SETTINGS) is None


def test_thresholds_are_settings(monkeypatch):
    monkeypatch.setenv("HUB_LIFECYCLE_ACTIVE_DAYS", "7")
    monkeypatch.setenv("HUB_VIP_SPEND", '{"JPY": 5000}')
    settings = behaviour.BehaviourSettings()
    assert behaviour.cell(1, 8, settings) == behaviour.LIFECYCLE + "new sleeping"
    assert behaviour.is_vip({"JPY": 5000}, settings) and not behaviour.is_vip({"HKD": 10**9}, settings)


def _contact(name: str) -> int:
    with session_scope() as session:
        contact = Contact(name=name)
        session.add(contact)
        session.flush()
        return contact.id or 0


_numbers = iter(range(1, 10**6))


def _order(contact_id: int, total: int, days_ago: int, currency: str = "HKD", status: str = "paid") -> int:
    with session_scope() as session:
        paid_at = utcnow() - timedelta(days=days_ago)
        order = Order(number=f"T{next(_numbers)}", contact_id=contact_id, currency=currency,
                      total_minor=total, status=status, paid_at=paid_at if status != "pending" else None,
                      created_at=paid_at)
        session.add(order)
        session.flush()
        return order.id or 0


def _tags(contact_id: int) -> dict[str, str]:
    with session_scope() as session:
        rows = session.exec(select(Tag.name, ContactTag.source).join(ContactTag, ContactTag.tag_id == Tag.id)
                            .where(ContactTag.contact_id == contact_id))
        return {name: source for name, source in rows}


def _recompute(**kwargs) -> dict[str, int]:
    with session_scope() as session:
        return behaviour.recompute(session=session, settings=SETTINGS, **kwargs)


def test_tags_follow_orders_and_time_and_leave_agents_tags_alone(backend):
    emily, ken = _contact("Emily Clark"), _contact("山田太郎")
    _order(emily, 29_600, days_ago=10)
    _order(ken, 4_800, days_ago=200, currency="JPY")
    _order(ken, 9_999_999, days_ago=1, currency="JPY", status="refunded")  # refunded: never counts
    _recompute()
    assert _tags(emily) == {"lifecycle: new active": "behaviour"}
    assert _tags(ken) == {"lifecycle: new lost": "behaviour"}

    for days in (3, 2, 1):
        _order(emily, 200_000, days_ago=days)
    assert _recompute(contact_ids=[emily]) == {"added": 2, "removed": 1}
    assert _tags(emily) == {"lifecycle: loyal active": "behaviour", "VIP": "behaviour"}
    assert _recompute() == {"added": 0, "removed": 0}  # twice changes nothing

    assert _recompute(now=utcnow() + timedelta(days=60)) == {"added": 1, "removed": 1}
    assert "lifecycle: loyal sleeping" in _tags(emily)

    with session_scope() as session:  # an agent's own VIP tag on Ken is theirs to remove, not the job's
        vip = session.exec(select(Tag).where(Tag.name == "VIP")).one()
        session.add(ContactTag(contact_id=ken, tag_id=vip.id, source="agent"))
    _recompute()
    assert _tags(ken)["VIP"] == "agent"


def test_a_refund_takes_the_tags_away(backend):
    contact = _contact("陳大文")
    order_id = _order(contact, 600_000, days_ago=3)
    _recompute()
    assert set(_tags(contact)) == {"VIP", "lifecycle: new active"}
    with session_scope() as session:
        session.get(Order, order_id).status = "refunded"
    _recompute(contact_ids=[contact])
    assert _tags(contact) == {}


def test_an_order_change_enqueues_a_recompute_that_a_worker_runs(backend):
    contact = _contact("Emily Clark")
    _order(contact, 29_600, days_ago=0)
    composition.wire()
    with session_scope() as session:
        events.emit(session, ORDER_CHANGED, order_id=1, contact_id=contact, conversation_id=None, status="paid")
    worker = HubWorker([broker.queue(catalog_jobs.QUEUE)], connection=broker.connection())
    worker.work(burst=True)
    assert _tags(contact) == {"lifecycle: new active": "behaviour"}
    assert catalog_jobs.NIGHTLY.offer(utcnow()) is True and catalog_jobs.NIGHTLY.offer(utcnow()) is False
