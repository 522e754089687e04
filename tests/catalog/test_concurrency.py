"""Customers racing for the last items on PostgreSQL: stock never goes below zero, payment lands once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from catalog import service
from catalog.models import Cart
from hub.runtime.db import session_scope
from tests.catalog.factories import make_customer, make_product, order_from_cart, stock_of


def _race(workers: int, action):  # type: ignore[no-untyped-def]
    """Run `action(i)` in `workers` threads released at the same moment; each result or exception."""
    start = threading.Barrier(workers)

    def run(index: int):  # type: ignore[no-untyped-def]
        start.wait()
        try:
            return action(index)
        except Exception as error:  # the outcome is what the test looks at
            return error

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(run, range(workers)))


def _filled_cart(variant_id: int, name: str) -> int:
    customer = make_customer(name, "en")
    with session_scope() as session:
        cart = service.open_cart(session=session, contact_id=customer.contact_id,
                                 conversation_id=customer.conversation_id, currency="HKD")
        service.add(session=session, cart=cart, variant_id=variant_id)
        return cart.id or 0


def _checkout(cart_id: int) -> int:
    with session_scope() as session:
        cart = session.get(Cart, cart_id)
        order = service.checkout(session=session, cart=cart)
        return order.id or 0


@pytest.mark.postgres
def test_two_customers_buying_the_last_item_at_once_never_drive_stock_below_zero(pg_backend):
    ids = make_product(stock=1)
    carts = [_filled_cart(ids["SHIRT-M"], name) for name in ("Amy", "Ben")]
    outcomes = _race(2, lambda i: _checkout(carts[i]))
    assert sorted(type(o).__name__ for o in outcomes) == ["OutOfStock", "int"]
    assert stock_of(ids["SHIRT-M"]) == (1, 1)
    [winner] = [o for o in outcomes if isinstance(o, int)]
    with session_scope() as session:
        service.mark_paid(session=session, order_id=winner, provider="stripe", payment_ref="cs_last")
    assert stock_of(ids["SHIRT-M"]) == (0, 0)


@pytest.mark.postgres
def test_many_customers_racing_for_three_items_get_exactly_three(pg_backend):
    ids = make_product(stock=3)
    carts = [_filled_cart(ids["SHIRT-M"], f"customer {i}") for i in range(10)]
    outcomes = _race(10, lambda i: _checkout(carts[i]))
    assert sum(isinstance(o, int) for o in outcomes) == 3
    assert all(isinstance(o, int | service.OutOfStock) for o in outcomes), outcomes
    assert stock_of(ids["SHIRT-M"]) == (3, 3)


@pytest.mark.postgres
def test_two_payment_webhooks_at_once_take_the_stock_once(pg_backend):
    ids = make_product(stock=2)
    order_id = order_from_cart(make_customer(), {ids["SHIRT-M"]: 2})

    def pay(_index: int) -> bool:
        with session_scope() as session:
            return service.mark_paid(session=session, order_id=order_id, provider="stripe",
                                     payment_ref="cs_dup").already_paid

    assert sorted(_race(4, pay)) == [False, True, True, True]
    assert stock_of(ids["SHIRT-M"]) == (0, 0)


@pytest.mark.postgres
def test_expiry_racing_a_payment_leaves_consistent_stock(pg_backend):
    ids = make_product(stock=1)
    order_id = order_from_cart(make_customer(), {ids["SHIRT-M"]: 1})

    def act(index: int) -> object:
        with session_scope() as session:
            if index == 0:
                return service.expire(session=session, order_id=order_id)
            return service.mark_paid(session=session, order_id=order_id, provider="stripe", payment_ref="cs_x")

    _race(2, act)
    with session_scope() as session:
        assert service.get_order(session=session, order_id=order_id).status == "paid"
    assert stock_of(ids["SHIRT-M"]) == (0, 0)
