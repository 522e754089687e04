"""The demo program: set up once (never over an admin's), and paid orders earn."""

from __future__ import annotations

from catalog.loyalty import demo, program
from hub.runtime.db import session_scope
from tests.loyalty.factories import make_customer, paid_order, shirt
from tests.loyalty.test_ledger import balance


def test_the_demo_program_is_set_up_once_and_paid_orders_earn(backend):
    customer = make_customer()
    paid_order(customer, shirt(), quantity=2)  # HKD 257.00: 25 points at a point per HK$10
    assert demo.announce() == "demo loyalty program set up; points earned for 1 paid orders"
    assert demo.announce() is None
    assert balance(customer.contact_id) == 25
    with session_scope() as session:
        assert [t.name for t in program.tiers(session=session)] == ["Silver", "Gold", "Platinum"]
