"""1,000 earns, refunds, expiries and adjustments at once on one contact, on PostgreSQL: the balance row is
always the ledger's sum, never below zero, and no order earns or gives back more than once."""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import select

from catalog import orders
from catalog.loyalty import earning, ledger
from catalog.loyalty.ledger import NotEnoughPoints
from catalog.loyalty.models import EntryKind, LoyaltyAccount, LoyaltyEntry
from hub.runtime.db import session_scope, utcnow
from tests.loyalty.factories import make_customer, set_rules

WORKERS = 24


def _orders(contact_id: int, count: int) -> list[tuple[int, int]]:
    """Paid orders (id, total); every third paid 400 days ago, so its points are due to expire at once."""
    made = []
    with session_scope() as session:
        for number in range(count):
            paid_at = utcnow() - timedelta(days=400 if number % 3 == 0 else 1)
            order, _ = orders.record_paid_elsewhere(session=session, contact_id=contact_id, currency="HKD",
                                                    total_minor=1000 * (1 + number % 7), lines=[], provider="pos",
                                                    payment_ref=f"till-{number}", paid_at=paid_at)
            made.append((order.id or 0, order.total_minor))
    return made


def _operations(contact_id: int, paid: list[tuple[int, int]]) -> list:  # type: ignore[type-arg]
    def earn(order_id: int):  # type: ignore[no-untyped-def]
        return lambda session: earning.earn_for_order(session=session, order_id=order_id)

    def refund(order_id: int, refunded: int | None):  # type: ignore[no-untyped-def]
        return lambda session: earning.reverse_for_refund(session=session, order_id=order_id, refunded_minor=refunded)

    def expire():  # type: ignore[no-untyped-def]
        return lambda session: ledger.expire(session=session, contact_id=contact_id)

    def take(number: int, points: int):  # type: ignore[no-untyped-def]
        return lambda session: ledger.post(session=session, contact_id=contact_id, kind=EntryKind.adjust,
                                           points=-points, key=f"spend:{number}", reason="redeemed")

    rng = random.Random(18)
    ops = [earn(order_id) for order_id, _ in paid] * 2  # every earn twice: 500
    ops += [refund(order_id, total // 2) for order_id, total in rng.sample(paid, 150)]
    ops += [refund(order_id, None) for order_id, _ in rng.sample(paid, 100)]
    ops += [expire() for _ in range(100)]
    ops += [take(number, rng.randint(1, 40)) for number in range(150)]
    rng.shuffle(ops)
    return ops


@pytest.mark.postgres
def test_a_thousand_concurrent_ledger_changes_keep_the_balance_exact_and_never_negative(pg_backend):
    set_rules(HKD=(1, 100))
    contact_id = make_customer().contact_id
    paid = _orders(contact_id, 250)
    operations = _operations(contact_id, paid)
    assert len(operations) == 1000
    start = threading.Barrier(WORKERS)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def run(chunk: list) -> None:  # type: ignore[type-arg]
        start.wait()
        for operation in chunk:
            try:
                with session_scope() as session:
                    operation(session)
                outcome = "done"
            except NotEnoughPoints:
                outcome = "refused"
            with lock:
                outcomes[outcome] += 1

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(run, [operations[i::WORKERS] for i in range(WORKERS)]))
    assert sum(outcomes.values()) == 1000, outcomes

    with session_scope() as session:
        account = session.get(LoyaltyAccount, contact_id)
        rows = session.exec(select(LoyaltyEntry).where(LoyaltyEntry.contact_id == contact_id)
                            .order_by(LoyaltyEntry.id)).all()
    assert account is not None
    assert account.balance == sum(row.points for row in rows) >= 0
    assert account.balance == sum(row.remaining for row in rows)  # what is left to spend or expire
    running = 0
    for row in rows:  # ids are taken under the contact's lock: their order is the order of the changes
        running += row.points
        assert running >= 0
    earned = Counter(row.order_id for row in rows if row.kind == EntryKind.earn.value)
    assert len(earned) == 250 and set(earned.values()) == {1}
    per_order = Counter()  # type: Counter[int | None]
    for row in rows:
        if row.order_id is not None:
            per_order[row.order_id] += row.points
    assert min(per_order.values()) >= 0  # no order gave back more than it earned
    assert any(row.kind == EntryKind.expire.value for row in rows)
    assert len({row.idempotency_key for row in rows}) == len(rows)
