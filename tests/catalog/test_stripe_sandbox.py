"""The sandbox checkout, end to end on a real port: the page shows the order in the customer's
language; paying makes Hub send itself a signed `checkout.session.completed` through its real
webhook; the job pays the order and queues the confirmation in the conversation."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlmodel import select

from catalog.models import Order
from catalog.payments.stripe_checkout import create_checkout
from hub import composition
from hub.composition import create_app
from hub.conversations.models import Message
from hub.jobs.worker import HubWorker
from hub.runtime import broker, inbox
from hub.runtime.db import session_scope
from hub.runtime.inbox import RawEvent
from hub.runtime.settings import get_settings
from tests.catalog.factories import make_customer, make_product, order_from_cart, stock_of
from tests.conftest import wait_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def hub_url(backend, monkeypatch) -> Iterator[str]:
    """Hub on a real port with its public URL pointing at itself (no Stripe keys: the sandbox)."""
    port = free_port()
    monkeypatch.setenv("HUB_PUBLIC_URL", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=10, interval=0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def hk_checkout() -> tuple[int, int, int, str]:
    ids = make_product(variants={"JACKET-M": {"HKD": 14800}}, stock=3)
    customer = make_customer("陳大文", "zh_Hant")
    order_id = order_from_cart(customer, {ids["JACKET-M"]: 2}, "HKD")
    with session_scope() as session:
        link = create_checkout(session=session, order_id=order_id, success_url="https://shop.test/ok",
                               cancel_url="https://shop.test/cart")
    return order_id, customer.conversation_id, ids["JACKET-M"], link.url


def paid_after_jobs(order_id: int) -> Callable[[], bool]:
    """Run the worker until idle (and the sweeper, as `hub worker` would) until the order is paid."""
    def paid() -> bool:
        inbox.sweep(composition.inboxes(), immediately=True)
        HubWorker([broker.queue(name) for name in broker.QUEUES], connection=broker.connection()).work(burst=True)
        with session_scope() as session:
            return session.get(Order, order_id).status == "paid"

    return paid


def test_paying_on_the_sandbox_page_runs_the_whole_loop_through_the_real_webhook(hub_url):
    order_id, conversation_id, variant_id, url = hk_checkout()
    assert url.startswith(f"{hub_url}/sandbox/checkout/")
    with httpx.Client(timeout=20) as browser:
        page = browser.get(url)
        assert page.status_code == 200
        assert "<script" not in page.text and "default-src 'self'" in page.headers["content-security-policy"]
        assert "合計：HK$296.00" in page.text and "2 × " in page.text
        assert "付款（測試）" in page.text and "取消" in page.text
        paid = browser.post(f"{url}/pay")
        assert paid.status_code == 200, paid.text
        assert "已收到付款" in paid.text
        assert browser.post(f"{url}/pay").status_code == 200  # a double click
    with session_scope() as session:
        [event] = session.exec(select(RawEvent)).all()
        assert (event.provider, event.endpoint) == ("stripe", "checkout.session.completed")
    wait_for(paid_after_jobs(order_id), timeout=10, interval=0.2)
    with session_scope() as session:
        order = session.get(Order, order_id)
        assert (order.status, order.payment_provider) == ("paid", "stripe")
        [confirmation] = session.exec(select(Message).where(Message.conversation_id == conversation_id)).all()
        assert confirmation.client_key == f"order-paid-{order_id}"
        assert order.number in confirmation.text and "合計：HK$296.00" in confirmation.text
    assert stock_of(variant_id) == (1, 0)
    with httpx.Client(timeout=20) as browser:
        assert "paid" in browser.get(url).text  # the page no longer offers to pay


def test_cancel_leaves_the_order_pending_and_production_has_no_sandbox_page(backend, monkeypatch):
    order_id, _, variant_id, url = hk_checkout()
    path = url.removeprefix(get_settings().public_url)
    with TestClient(create_app()) as client:
        answer = client.post(f"{path}/cancel")
        assert answer.status_code == 200 and "付款已取消" in answer.text
    assert stock_of(variant_id) == (3, 2)
    monkeypatch.setenv("HUB_ENV", "production")
    for development_only in ("HUB_SANDBOX", "HUB_ALLOW_PRIVATE_URLS"):  # refused in production
        monkeypatch.delenv(development_only)
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        assert client.get(path).status_code == 404
        assert client.post(f"{path}/pay").status_code == 404
    with session_scope() as session:
        assert session.get(Order, order_id).status == "pending"
