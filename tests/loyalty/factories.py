"""Loyalty rows for tests: an earn rule, tiers, and paid orders of a customer."""

from __future__ import annotations

from catalog import service
from catalog.loyalty import program
from hub.runtime.db import session_scope
from tests.catalog.factories import Customer, make_customer, make_product, order_from_cart

__all__ = ["Customer", "make_customer", "paid_order", "set_rules", "set_tiers", "shirt"]


def set_rules(**rules: tuple[int, int]) -> None:
    """Earn rules as currency=(points, per spend_minor): HKD=(1, 100) is a point per dollar."""
    with session_scope() as session:
        for currency, (points, spend_minor) in rules.items():
            program.set_rule(session=session, actor_id=None, currency=currency, points=points, spend_minor=spend_minor)


def set_tiers(**thresholds: int) -> None:
    with session_scope() as session:
        for name, threshold in thresholds.items():
            program.save_tier(session=session, actor_id=None, tier_id=None, name=name, threshold=threshold,
                              benefits=[f"{name} benefit"])


def shirt() -> int:
    """A silk shirt at HKD 128.50 or JPY 2400, with plenty of stock: its variant id."""
    return make_product(stock=100_000)["SHIRT-M"]


def paid_order(customer: Customer, variant_id: int, quantity: int = 1, currency: str = "HKD") -> int:
    """A paid order of `quantity` of the variant; its id."""
    order_id = order_from_cart(customer, {variant_id: quantity}, currency)
    with session_scope() as session:
        service.mark_paid(session=session, order_id=order_id, provider="stripe", payment_ref=f"pi_{order_id}")
    return order_id
