"""The points ledger: earning per currency, refunds, expiry oldest first, adjustments, tiers, and the keys
that make a second delivery change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from catalog import orders, service
from catalog.loyalty import earning, jobs, ledger, program
from catalog.loyalty.ledger import NotEnoughPoints
from catalog.loyalty.models import EntryKind, LoyaltyAccount, LoyaltyEntry
from hub.audit.models import AuditEntry
from hub.contacts import manage
from hub.contacts.models import Contact
from hub.runtime import events
from hub.runtime.db import session_scope, utcnow
from tests.loyalty.factories import make_customer, paid_order, set_rules, set_tiers, shirt


def balance(contact_id: int) -> int:
    with session_scope() as session:
        account = session.get(LoyaltyAccount, contact_id)
        total = ledger.ledger_sum(session=session, contact_id=contact_id)
        assert (account.balance if account else 0) == total
        return total


def entries(contact_id: int) -> list[tuple[str, int]]:
    with session_scope() as session:
        rows = session.exec(select(LoyaltyEntry).where(LoyaltyEntry.contact_id == contact_id)
                            .order_by(LoyaltyEntry.id)).all()
        return [(row.kind, row.points) for row in rows]


def earn(order_id: int) -> None:
    with session_scope() as session:
        earning.earn_for_order(session=session, order_id=order_id)


def reverse(order_id: int, refunded_minor: int | None = None) -> None:
    with session_scope() as session:
        earning.reverse_for_refund(session=session, order_id=order_id, refunded_minor=refunded_minor)


def adjust(contact_id: int, points: int, reason: str = "goodwill", now=None):  # type: ignore[no-untyped-def]
    with session_scope() as session:
        return ledger.post(session=session, contact_id=contact_id, kind=EntryKind.adjust, points=points,
                           key=f"test:{contact_id}:{points}:{now}", reason=reason, now=now)


def test_a_paid_order_earns_by_its_currencys_rule_once_however_often_the_event_comes(backend):
    set_rules(HKD=(1, 100), JPY=(1, 100))  # a point per dollar, a point per 100 yen
    customer, variant = make_customer(), shirt()
    hkd = paid_order(customer, variant, quantity=2)  # HKD 257.00
    jpy = paid_order(customer, variant, quantity=1, currency="JPY")  # JPY 2400
    for _ in range(3):
        earn(hkd)
        earn(jpy)
    assert entries(customer.contact_id) == [("earn", 257), ("earn", 24)]
    assert balance(customer.contact_id) == 281


def test_an_order_in_a_currency_without_a_rule_earns_nothing(backend):
    set_rules(JPY=(1, 100))
    customer = make_customer()
    earn(paid_order(customer, shirt()))
    assert entries(customer.contact_id) == []
    assert balance(customer.contact_id) == 0


def test_a_refund_takes_back_its_share_and_a_full_refund_the_rest(backend):
    set_rules(HKD=(1, 100))
    customer = make_customer()
    order = paid_order(customer, shirt(), quantity=4)  # HKD 514.00: 514 points
    earn(order)
    reverse(order, refunded_minor=12850)  # a quarter refunded
    reverse(order, refunded_minor=12850)  # the same event again
    assert balance(customer.contact_id) == 514 - 128
    with session_scope() as session:
        assert service.refund(session=session, order_id=order)
    reverse(order)
    reverse(order)
    assert entries(customer.contact_id) == [("earn", 514), ("reverse", -128), ("reverse", -386)]
    assert balance(customer.contact_id) == 0


def test_a_refund_after_the_points_were_spent_never_takes_the_balance_below_zero(backend):
    set_rules(HKD=(1, 100))
    customer = make_customer()
    order = paid_order(customer, shirt())
    earn(order)
    adjust(customer.contact_id, -100, "redeemed for a gift")
    reverse(order)
    assert balance(customer.contact_id) == 0
    assert entries(customer.contact_id) == [("earn", 128), ("adjust", -100), ("reverse", -28)]


def test_an_adjustment_below_zero_is_refused_unless_the_shop_allows_it(backend):
    customer = make_customer()
    adjust(customer.contact_id, 50)
    with pytest.raises(NotEnoughPoints):
        adjust(customer.contact_id, -80)
    assert balance(customer.contact_id) == 50
    with session_scope() as session:
        program.save_program(session=session, actor_id=None, expiry_days=365, allow_negative=True)
    adjust(customer.contact_id, -80)
    assert balance(customer.contact_id) == -30
    adjust(customer.contact_id, 40)  # pays off the debt first: only 10 are left to spend or expire
    with session_scope() as session:
        assert ledger.expire(session=session, contact_id=customer.contact_id, now=utcnow() + timedelta(days=400)) == 10
    assert balance(customer.contact_id) == 0


def test_expiry_takes_the_unspent_points_oldest_first_and_only_once(backend):
    customer = make_customer()
    start = utcnow() - timedelta(days=400)
    adjust(customer.contact_id, 100, now=start)
    adjust(customer.contact_id, 50, now=start + timedelta(days=100))  # expires at day 465: still good
    adjust(customer.contact_id, -30, now=start + timedelta(days=200))  # spent from the oldest
    for _ in range(2):
        with session_scope() as session:
            ledger.expire(session=session, contact_id=customer.contact_id)
    assert entries(customer.contact_id)[-1] == ("expire", -70)
    assert len(entries(customer.contact_id)) == 4
    assert balance(customer.contact_id) == 50
    with session_scope() as session:
        assert ledger.contacts_with_expiring(session=session) == []
        assert ledger.contacts_with_expiring(session=session, now=utcnow() + timedelta(days=70)) == [
            customer.contact_id]


def test_a_manual_adjustment_needs_a_reason_and_is_audited(backend):
    customer = make_customer()
    with session_scope() as session:
        with pytest.raises(ledger.LoyaltyError):
            program.adjust(session=session, actor_id=None, contact_id=customer.contact_id, points=10, reason=" ")
        posted = program.adjust(session=session, actor_id=None, contact_id=customer.contact_id, points=10,
                                reason="birthday gift", key="k1")
        again = program.adjust(session=session, actor_id=None, contact_id=customer.contact_id, points=10,
                               reason="birthday gift", key="k1")
    assert posted.created and not again.created
    with session_scope() as session:
        [audit] = session.exec(select(AuditEntry).where(AuditEntry.action == "loyalty.adjust")).all()
    assert audit.details["reason"] == "birthday gift" and audit.target_id == str(customer.contact_id)
    assert balance(customer.contact_id) == 10


def test_the_tier_follows_the_qualifying_points_and_a_change_is_an_event(backend):
    set_rules(HKD=(1, 100))
    set_tiers(Silver=100, Gold=300)
    seen: list[events.Event] = []
    events.subscribe(ledger.TIER_CHANGED, seen.append)
    customer = make_customer()
    order = paid_order(customer, shirt(), quantity=3)  # 385 points
    earn(order)
    with session_scope() as session:
        summary = program.summary(session=session, contact_id=customer.contact_id)
    assert summary["tier"].name == "Gold" and summary["next_tier"] is None
    reverse(order, refunded_minor=12850 * 2)  # two of three refunded: 129 left
    with session_scope() as session:
        summary = program.summary(session=session, contact_id=customer.contact_id)
    assert summary["tier"].name == "Silver" and summary["next_tier"].name == "Gold"
    assert [(e.data["from_tier"], e.data["to_tier"]) for e in seen] == [(None, "Gold"), ("Gold", "Silver")]
    with session_scope() as session:  # expiry does not demote
        ledger.expire(session=session, contact_id=customer.contact_id, now=utcnow() + timedelta(days=366))
        assert program.summary(session=session, contact_id=customer.contact_id)["tier"].name == "Silver"
    assert balance(customer.contact_id) == 0


def test_the_hourly_sweep_expires_catches_up_lost_earnings_and_mends_a_merge(backend):
    set_rules(HKD=(1, 100))
    variant = shirt()
    amy, ben = make_customer("Amy", "en"), make_customer("Ben", "en")
    lost = paid_order(amy, variant)  # its earning job was lost: no listener ran
    adjust(ben.contact_id, 70, now=utcnow() - timedelta(days=10))
    adjust(amy.contact_id, 30, now=utcnow() - timedelta(days=400))
    with session_scope() as session:
        survivor = session.get(Contact, amy.contact_id)
        other = session.get(Contact, ben.contact_id)
        manage.merge(session=session, actor_id=None, survivor=survivor, other=other)
    jobs.sweep()
    jobs.sweep()  # again: nothing more
    assert sorted(entries(amy.contact_id)) == sorted([("earn", 128), ("adjust", 70), ("adjust", 30),
                                                      ("expire", -30)])
    assert balance(amy.contact_id) == 198
    with session_scope() as session:
        assert earning.earn_for_order(session=session, order_id=lost).created is False


def test_refunds_whose_jobs_ran_before_the_earning_are_still_taken_back(backend):
    set_rules(HKD=(1, 100))
    customer, variant = make_customer(), shirt()
    partly = paid_order(customer, variant, quantity=2)  # 257 points
    whole = paid_order(customer, variant)
    with session_scope() as session:
        orders.record_partial_refund(session=session, order_id=partly, refunded_minor=12850)
        service.refund(session=session, order_id=whole)
    reverse(partly, refunded_minor=12850)  # the refund jobs first: nothing earned yet, nothing to take
    reverse(whole)
    earn(partly)
    earn(whole)  # refunded already: earns nothing
    assert entries(customer.contact_id) == [("earn", 257), ("reverse", -128)]
