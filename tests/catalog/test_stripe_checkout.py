"""Checkout Sessions and Payment Links go out through the real stripe SDK, to a local server that
speaks Stripe's API (form-encoded in, the recorded create response out), via STRIPE_API_BASE."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from sqlmodel import select

from catalog.models import Order
from catalog.payments.models import StripeCheckout
from catalog.payments.stripe_checkout import PaymentError, create_checkout, payment_link_for
from hub.runtime.db import session_scope
from hub.runtime.settings import get_settings
from tests.catalog.factories import make_customer, make_product, order_from_cart

FIXTURES = Path(__file__).parent.parent / "fixtures" / "stripe"
SUCCESS, CANCEL = "https://shop.example.test/paid?session_id={CHECKOUT_SESSION_ID}", "https://shop.example.test/cart"


@dataclass
class Request:
    path: str
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeStripe:
    url: str
    requests: list[Request] = field(default_factory=list)


def _answer(path: str, form: dict[str, str], count: int) -> dict[str, object]:
    if path == "/v1/checkout/sessions":
        body = json.loads((FIXTURES / "checkout_session_create_response.json").read_text())
        session_id = f"cs_test_hub{count:04d}"
        body.update(id=session_id, url=f"https://checkout.stripe.com/c/pay/{session_id}",
                    client_reference_id=form.get("client_reference_id"),
                    currency=form["line_items[0][price_data][currency]"])
        return body
    if path == "/v1/prices":
        return {"id": f"price_hub{count:04d}", "object": "price", "currency": form["currency"],
                "unit_amount": int(form["unit_amount"]), "type": "one_time", "active": True}
    return {"id": f"plink_hub{count:04d}", "object": "payment_link", "active": True,
            "url": f"https://buy.stripe.com/test_hub{count:04d}", "metadata": {}}


@pytest.fixture
def fake_stripe(monkeypatch) -> Iterator[FakeStripe]:
    server: ThreadingHTTPServer
    recorded: list[Request] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            raw = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
            form = dict(parse_qsl(raw, keep_blank_values=True))
            recorded.append(Request(self.path, form, {k.lower(): v for k, v in self.headers.items()}))
            body = json.dumps(_answer(self.path, form, len(recorded))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Request-Id", f"req_hub{len(recorded)}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_hub_local")
    monkeypatch.setenv("STRIPE_API_BASE", url)
    get_settings.cache_clear()
    try:
        yield FakeStripe(url, recorded)
    finally:
        server.shutdown()
        get_settings.cache_clear()


@pytest.mark.parametrize(("currency", "amount", "locale"), [("JPY", 4800, "ja"), ("HKD", 29600, "zh_Hant")])
def test_a_checkout_session_carries_the_orders_exact_minor_units_and_metadata(backend, fake_stripe, currency,
                                                                              amount, locale):
    ids = make_product(variants={"JACKET-M": {"JPY": 4800, "HKD": 29600}})
    customer = make_customer(locale=locale)
    order_id = order_from_cart(customer, {ids["JACKET-M"]: 1}, currency)
    with session_scope() as session:
        link = create_checkout(session=session, order_id=order_id, success_url=SUCCESS, cancel_url=CANCEL)
    [sent] = fake_stripe.requests
    assert sent.path == "/v1/checkout/sessions"
    assert sent.form["line_items[0][price_data][currency]"] == currency.lower()
    assert sent.form["line_items[0][price_data][unit_amount]"] == str(amount)
    assert sent.form["line_items[0][quantity]"] == "1"
    assert "line_items[1][quantity]" not in sent.form
    assert sent.form["metadata[order_id]"] == str(order_id)
    assert sent.form["metadata[conversation_id]"] == str(customer.conversation_id)
    assert sent.form["client_reference_id"] == str(order_id)
    assert sent.form["mode"] == "payment"
    assert sent.form["success_url"] == SUCCESS and sent.form["cancel_url"] == CANCEL
    assert sent.headers["authorization"] == "Bearer sk_test_hub_local"
    assert sent.headers["idempotency-key"] == f"hub-order-{order_id}-checkout"
    with session_scope() as session:
        order = session.get(Order, order_id)
        expires = int(sent.form["expires_at"])
        lifetime = expires - int(order.created_at.timestamp())
        assert 30 * 60 < lifetime <= 24 * 3600
        row = session.get(StripeCheckout, 1)
        assert (row.order_id, row.session_id, row.url, row.sandbox) == (order_id, link.session_id, link.url, False)
        assert link.url.startswith("https://checkout.stripe.com/c/pay/cs_test_hub")


def test_a_second_call_reuses_the_session_and_makes_no_second_request(backend, fake_stripe):
    ids = make_product(variants={"JACKET-M": {"JPY": 2400}})
    order_id = order_from_cart(make_customer(locale="ja"), {ids["JACKET-M"]: 2}, "JPY")
    with session_scope() as session:
        first = create_checkout(session=session, order_id=order_id, success_url=SUCCESS, cancel_url=CANCEL)
    with session_scope() as session:
        again = create_checkout(session=session, order_id=order_id, success_url=SUCCESS, cancel_url=CANCEL)
    assert again == first
    [sent] = fake_stripe.requests
    assert (sent.form["line_items[0][price_data][unit_amount]"], sent.form["line_items[0][quantity]"]) == ("2400", "2")


def test_only_a_pending_order_gets_a_checkout(backend, fake_stripe):
    ids = make_product(variants={"JACKET-M": {"HKD": 29600}})
    order_id = order_from_cart(make_customer(), {ids["JACKET-M"]: 1})
    from catalog import orders

    with session_scope() as session:
        orders.expire(session=session, order_id=order_id)
    with session_scope() as session, pytest.raises(orders.OrderError, match="only a pending order"):
        create_checkout(session=session, order_id=order_id, success_url=SUCCESS, cancel_url=CANCEL)
    assert fake_stripe.requests == []


def test_a_payment_link_sells_one_variant_at_its_catalog_price_and_is_reused(backend, fake_stripe):
    ids = make_product(variants={"JACKET-M": {"JPY": 4800, "HKD": 29600}})
    with session_scope() as session:
        url = payment_link_for(session=session, variant_id=ids["JACKET-M"], currency="hkd")
    with session_scope() as session:
        assert payment_link_for(session=session, variant_id=ids["JACKET-M"], currency="HKD") == url
    price, link = fake_stripe.requests
    assert (price.path, price.form["currency"], price.form["unit_amount"]) == ("/v1/prices", "hkd", "29600")
    assert (link.path, link.form["line_items[0][price]"], link.form["line_items[0][quantity]"]) == (
        "/v1/payment_links", "price_hub0001", "1")
    assert url == "https://buy.stripe.com/test_hub0002"


def test_without_a_key_the_checkout_is_the_sandbox_page_and_production_refuses_it(backend, monkeypatch):
    ids = make_product(variants={"JACKET-M": {"JPY": 4800}})
    order_id = order_from_cart(make_customer(locale="ja"), {ids["JACKET-M"]: 1}, "JPY")
    monkeypatch.setenv("HUB_ENV", "production")
    for development_only in ("HUB_SANDBOX", "HUB_ALLOW_PRIVATE_URLS"):  # refused in production
        monkeypatch.delenv(development_only)
    get_settings.cache_clear()
    with session_scope() as session, pytest.raises(PaymentError, match="STRIPE_SECRET_KEY"):
        create_checkout(session=session, order_id=order_id, success_url=SUCCESS, cancel_url=CANCEL)
    monkeypatch.setenv("HUB_ENV", "test")
    monkeypatch.setenv("HUB_SANDBOX", "true")
    get_settings.cache_clear()
    with session_scope() as session:
        link = create_checkout(session=session, order_id=order_id, success_url=SUCCESS, cancel_url=CANCEL)
    assert link.sandbox and link.url.startswith("https://hub.example.test/sandbox/checkout/")
    with session_scope() as session, pytest.raises(PaymentError, match="STRIPE_SECRET_KEY"):
        payment_link_for(session=session, variant_id=ids["JACKET-M"], currency="JPY")


def test_the_secret_key_never_goes_to_a_local_stripe_api_base(backend, fake_stripe, monkeypatch):
    ids = make_product(variants={"JACKET-M": {"JPY": 4800}})
    order_id = order_from_cart(make_customer(locale="ja"), {ids["JACKET-M"]: 1}, "JPY")
    monkeypatch.delenv("HUB_ALLOW_PRIVATE_URLS")  # STRIPE_API_BASE is the fake on 127.0.0.1
    get_settings.cache_clear()
    with session_scope() as session, pytest.raises(PaymentError, match="STRIPE_API_BASE is refused"):
        create_checkout(session=session, order_id=order_id, success_url=SUCCESS, cancel_url=CANCEL)
    with session_scope() as session, pytest.raises(PaymentError, match="STRIPE_API_BASE is refused"):
        payment_link_for(session=session, variant_id=ids["JACKET-M"], currency="JPY")
    assert fake_stripe.requests == []
    with session_scope() as session:
        assert session.exec(select(StripeCheckout)).all() == []
