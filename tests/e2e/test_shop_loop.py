"""The shop loop on a real server, as `make run` shows it: an agent sends a product to a customer on
the sandbox WhatsApp, the customer taps "Add to cart" and "Checkout", pays on the sandbox checkout,
and the confirmation arrives in their chat while the order shows paid."""

from __future__ import annotations

import re

from sqlmodel import select

from catalog.models import Order
from hub.jobs import tasks
from hub.jobs.worker import HubWorker
from hub.runtime import broker
from hub.runtime.db import session_scope
from tests.catalog.factories import make_product, stock_of
from tests.conftest import wait_for
from tests.e2e.test_sandbox_loop import CUSTOMER, conversation_of, hub_server  # noqa: F401 (fixture)
from tests.factories import make_channel, make_user, token_for


def work() -> None:
    """What `hub worker` would do next: every queued job, until the queues are empty."""
    tasks.drain_inbound()
    HubWorker([broker.queue(name) for name in broker.QUEUES], connection=broker.connection()).work(burst=True)


def shop_messages(hub_server, channel_id: int) -> list[dict]:  # noqa: F811
    seen = hub_server.client.get(f"/sandbox/phone/{channel_id}/messages").json()["messages"]
    return [m for m in seen if m["direction"] == "out"]


def tap(hub_server, channel_id: int, button_id: str) -> None:  # noqa: F811
    answer = hub_server.client.post(f"/sandbox/phone/{channel_id}/send",
                                    json={"from": CUSTOMER["meta"], "name": "陳大文", "button_id": button_id})
    assert answer.status_code == 200, answer.text


def test_a_customer_buys_in_the_chat_and_pays_on_the_sandbox_checkout(hub_server):  # noqa: F811
    channel = make_channel("whatsapp_meta", "WhatsApp HK")
    make_user("agent@shop.test", role="admin")
    variant_id = make_product(variants={"SHIRT-M": {"HKD": 29600}})["SHIRT-M"]
    wrote = hub_server.client.post(f"/sandbox/phone/{channel.id}/send",
                                   json={"from": CUSTOMER["meta"], "name": "陳大文", "text": "有冇恤衫？"})
    assert wrote.status_code == 200
    conversation_id = conversation_of(channel.id)

    headers = token_for(hub_server.client, "agent@shop.test")
    sent = hub_server.client.post(f"/api/v1/conversations/{conversation_id}/products", headers=headers,
                                  json={"variant_ids": [variant_id]})
    assert sent.status_code == 202, sent.text
    work()
    card = shop_messages(hub_server, channel.id)[-1]
    assert "HK$296.00" in card["text"]

    tap(hub_server, channel.id, f"cart:add:{variant_id}")
    wait_for(lambda: (work(), len(shop_messages(hub_server, channel.id)) >= 2)[1], timeout=20, interval=0.2)
    tap(hub_server, channel.id, "cart:checkout")
    wait_for(lambda: (work(), len(shop_messages(hub_server, channel.id)) >= 3)[1], timeout=20, interval=0.2)
    offer = shop_messages(hub_server, channel.id)[-1]
    link = next(button["url"] for button in offer["buttons"] if button.get("url"))
    assert link.startswith(hub_server.url + "/sandbox/checkout/")
    assert stock_of(variant_id) == (10, 1)  # reserved for the order

    page = hub_server.client.get(link)
    assert page.status_code == 200 and "HK$296.00" in page.text
    form = re.search(r'action="([^"]+/pay)"', page.text)
    assert form is not None
    paid = hub_server.client.post(form.group(1))
    assert paid.status_code == 200, paid.text

    def confirmed() -> bool:
        work()
        return len(shop_messages(hub_server, channel.id)) >= 4

    wait_for(confirmed, timeout=20, interval=0.2)
    with session_scope() as session:
        order = session.exec(select(Order)).one()
        assert order.status == "paid" and order.total_minor == 29600 and order.currency == "HKD"
        assert order.channel_id == channel.id and order.conversation_id == conversation_id
    assert order.number in shop_messages(hub_server, channel.id)[-1]["text"]
    assert stock_of(variant_id) == (9, 0)
