"""Checkout, payment, expiry and refund: amounts stay exact and stock moves exactly once."""

from decimal import Decimal

import pytest

from catalog import money, service
from catalog.models import Cart, Order
from catalog.schemas import order_out
from hub.runtime import events
from hub.runtime.db import as_utc, session_scope, utcnow
from tests.catalog.factories import make_customer, make_product, order_from_cart, stock_of


@pytest.mark.parametrize(("currency", "unit", "shown"), [("JPY", 2400, "￥7,200"), ("HKD", 12850, "HK$385.50")])
def test_jpy_and_hkd_amounts_round_trip_exactly_from_catalog_to_order(backend, currency, unit, shown):
    ids = make_product(variants={"SHIRT-M": {"HKD": 12850, "JPY": 2400}})
    customer = make_customer(locale="ja")
    order_id = order_from_cart(customer, {ids["SHIRT-M"]: 3}, currency)
    with session_scope() as session:
        order = session.get(Order, order_id)
        [line] = service.lines_of(session=session, order_id=order_id)
        assert (order.currency, order.total_minor, line.unit_minor, line.quantity) == (currency, unit * 3, unit, 3)
        assert money.to_minor(money.from_minor(order.total_minor, currency), currency) == order.total_minor
        assert money.from_minor(order.total_minor, currency) == Decimal(unit * 3).scaleb(-money.exponent(currency))
        assert money.display(order.total_minor, currency, "ja") == shown
        assert line.title == "シルクシャツ (M)"
        assert order.channel_id == customer.channel_id and order.status == "pending"


def test_checkout_reserves_stock_and_closes_the_cart(backend):
    ids = make_product(stock=5)
    customer = make_customer()
    order_id = order_from_cart(customer, {ids["SHIRT-M"]: 2})
    assert stock_of(ids["SHIRT-M"]) == (5, 2)
    with session_scope() as session:
        order = session.get(Order, order_id)
        cart = session.get(Cart, 1)
        assert cart.status == "checked_out"
        assert [e.kind for e in service.timeline(session=session, order_id=order_id)] == ["created"]
        with pytest.raises(service.CartError, match="not open"):
            service.checkout(session=session, cart=cart)
        assert service.find_by_number(session=session, number=order.number.lower()).id == order_id


def test_a_short_line_rolls_the_whole_checkout_back(backend):
    ids = make_product(variants={"SHIRT-S": {"HKD": 100}, "SHIRT-M": {"HKD": 100}}, stock=2)
    customer = make_customer()
    with session_scope() as session:
        cart = service.open_cart(session=session, contact_id=customer.contact_id,
                                 conversation_id=customer.conversation_id, currency="HKD")
        service.add(session=session, cart=cart, variant_id=ids["SHIRT-S"], quantity=1)
        service.add(session=session, cart=cart, variant_id=ids["SHIRT-M"], quantity=2)
    order_from_cart(make_customer("Emily", "en"), {ids["SHIRT-M"]: 1})  # someone else takes one M
    with session_scope() as session:
        cart = session.get(Cart, cart.id)
        with pytest.raises(service.OutOfStock, match="SHIRT-M: 2 wanted, only 1 left"):
            service.checkout(session=session, cart=cart)
        assert session.get(Cart, cart.id).status == "open"
    assert stock_of(ids["SHIRT-S"]) == (2, 0)
    assert stock_of(ids["SHIRT-M"]) == (2, 1)


def test_paying_twice_records_one_payment_and_takes_the_stock_once(backend):
    ids = make_product(stock=5)
    order_id = order_from_cart(make_customer(), {ids["SHIRT-M"]: 2})
    heard = []
    events.subscribe(service.ORDER_PAID, heard.append)
    with session_scope() as session:
        first = service.mark_paid(session=session, order_id=order_id, provider="stripe", payment_ref="cs_test_1")
        assert first.already_paid is False
    with session_scope() as session:
        second = service.mark_paid(session=session, order_id=order_id, provider="stripe", payment_ref="cs_test_1")
        assert second.already_paid is True
    assert stock_of(ids["SHIRT-M"]) == (3, 0)
    with session_scope() as session:
        order = session.get(Order, order_id)
        assert (order.status, order.payment_ref, order.paid_at is not None) == ("paid", "cs_test_1", True)
        assert [e.kind for e in service.timeline(session=session, order_id=order_id)] == ["created", "paid"]
    assert [e.data["order_id"] for e in heard] == [order_id]


def test_a_payment_after_expiry_is_still_recorded_and_takes_stock_again(backend):
    ids = make_product(stock=3)
    order_id = order_from_cart(make_customer(), {ids["SHIRT-M"]: 2})
    with session_scope() as session:
        assert service.expire(session=session, order_id=order_id) is True
    with session_scope() as session:
        assert service.expire(session=session, order_id=order_id) is False
    assert stock_of(ids["SHIRT-M"]) == (3, 0)
    with session_scope() as session:
        paid = service.mark_paid(session=session, order_id=order_id, provider="telegram", payment_ref="tg_1")
        assert (paid.already_paid, paid.oversold, paid.order.status) == (False, (), "paid")
    assert stock_of(ids["SHIRT-M"]) == (1, 0)


def test_a_late_payment_for_stock_sold_meanwhile_is_recorded_as_oversold(backend):
    ids = make_product(stock=1)
    late = order_from_cart(make_customer(), {ids["SHIRT-M"]: 1})
    with session_scope() as session:
        service.expire(session=session, order_id=late)
    sold = order_from_cart(make_customer("Emily", "en"), {ids["SHIRT-M"]: 1})
    with session_scope() as session:
        service.mark_paid(session=session, order_id=sold, provider="stripe", payment_ref="cs_sold")
    with session_scope() as session:
        paid = service.mark_paid(session=session, order_id=late, provider="stripe", payment_ref="cs_late")
        assert paid.oversold == ("SHIRT-M",) and paid.order.status == "paid"
        kinds = [e.kind for e in service.timeline(session=session, order_id=late)]
        assert kinds == ["created", "expired", "oversold", "paid"]
    assert stock_of(ids["SHIRT-M"]) == (0, 0)


def test_refund_is_idempotent_and_only_for_paid_orders(backend):
    ids = make_product()
    order_id = order_from_cart(make_customer(), {ids["SHIRT-M"]: 1})
    with session_scope() as session, pytest.raises(service.OrderError, match="only a paid order"):
        service.refund(session=session, order_id=order_id)
    with session_scope() as session:
        service.mark_paid(session=session, order_id=order_id, provider="stripe", payment_ref="cs_r")
    with session_scope() as session:
        assert session.get(Order, order_id).refunded_at is None
        assert service.refund(session=session, order_id=order_id, reason="wrong size") is True
    with session_scope() as session:
        refunded_at = session.get(Order, order_id).refunded_at
        [event] = [e for e in service.timeline(session=session, order_id=order_id) if e.kind == "refunded"]
        assert refunded_at is not None and as_utc(event.created_at) == as_utc(refunded_at)
        assert event.detail == {"reason": "wrong size"}
        assert service.refund(session=session, order_id=order_id) is False
        assert service.mark_paid(session=session, order_id=order_id, provider="stripe",
                                 payment_ref="cs_r").already_paid is True
        assert session.get(Order, order_id).status == "refunded"
        assert session.get(Order, order_id).refunded_at == refunded_at  # the first refund's moment, kept
        assert order_out(session, session.get(Order, order_id), "ja").refunded_at == refunded_at  # the API's order


def test_recent_orders_answer_where_is_my_order(backend):
    ids = make_product()
    customer = make_customer()
    first = order_from_cart(customer, {ids["SHIRT-M"]: 1})
    second = order_from_cart(customer, {ids["SHIRT-M"]: 1})
    order_from_cart(make_customer("Emily", "en"), {ids["SHIRT-M"]: 1})
    with session_scope() as session:
        found = service.recent_orders(session=session, contact_id=customer.contact_id)
        assert [o.id for o in found] == [second, first]
        assert service.due_for_expiry(session=session) == []
        later = utcnow() + service.HOLD
        assert service.due_for_expiry(session=session, now=later) == [first, second, first + 2]


def test_order_changes_are_announced_only_after_commit(backend):
    ids = make_product()
    heard = []
    events.subscribe(service.ORDER_CHANGED, heard.append)
    customer = make_customer()
    with pytest.raises(RuntimeError), session_scope() as session:
        cart = service.open_cart(session=session, contact_id=customer.contact_id,
                                 conversation_id=customer.conversation_id, currency="HKD")
        service.add(session=session, cart=cart, variant_id=ids["SHIRT-M"])
        service.checkout(session=session, cart=cart)
        raise RuntimeError("the request failed after checkout")
    assert heard == []
    order_id = order_from_cart(customer, {ids["SHIRT-M"]: 1})
    assert [(e.data["order_id"], e.data["contact_id"], e.data["conversation_id"]) for e in heard] == [
        (order_id, customer.contact_id, customer.conversation_id)]
