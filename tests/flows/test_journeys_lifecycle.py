"""`lifecycle_changed` with `from` and `to`: a win-back flow starts for a regular who goes from "repeat active" to
"repeat sleeping", and not for a customer who reaches "repeat sleeping" from any other cell."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from catalog import behaviour, orders
from catalog import service as catalog
from flows.journeys import service
from flows.journeys.models import FlowRun
from hub.runtime.db import session_scope
from tests.catalog.factories import make_product
from tests.flows.journeys_world import Shop, customer, run_jobs
from tests.flows.journeys_world import shop as shop_fixture  # noqa: F401 - the fixture `shop`

WIN_BACK = {
    "trigger": {"type": "lifecycle_changed", "config": {"from": ["repeat active"], "to": ["repeat sleeping"]}},
    "start": "mark",
    "nodes": [{"id": "mark", "type": "tag", "config": {"add": ["win-back"]}}, {"id": "e", "type": "end", "config": {}}],
    "edges": [{"from": "mark", "port": "next", "to": "e"}],
}


def _buys(contact_id: int, conversation_id: int, variant_id: int, shop: Shop) -> None:
    with session_scope() as session:
        cart = catalog.open_cart(session=session, contact_id=contact_id, conversation_id=conversation_id,
                                 currency="HKD")
        catalog.add(session=session, cart=cart, variant_id=variant_id, quantity=1)
        order_id = catalog.checkout(session=session, cart=cart).id or 0
    with session_scope() as session:
        orders.mark_paid(session=session, order_id=order_id, provider="sandbox", payment_ref=f"pay-{order_id}",
                         now=shop.clock())
    shop.clock.move(minutes=1)


def _started() -> set[int]:
    with session_scope() as session:
        return {run.contact_id for run in session.exec(select(FlowRun)).all()}


def _recompute(contact_id: int, now: object) -> None:
    with session_scope() as session:
        behaviour.recompute(session=session, contact_ids=[contact_id], now=now)  # type: ignore[arg-type]
    run_jobs()


def test_a_regular_who_falls_asleep_starts_the_win_back_and_others_do_not(shop: Shop) -> None:
    with session_scope() as session:
        flow = service.create(session=session, name="Win back", definition=WIN_BACK)
        service.publish(session=session, flow_id=flow.id or 0)
    regular, regulars_chat = customer(shop, user_id=700100201, name="陳大文")
    late, lates_chat = customer(shop, user_id=700100202, name="山田花子", locale="ja")
    shirt = make_product(handle="shirt")["SHIRT-M"]

    for _ in range(2):  # two purchases this week: "repeat active"
        _buys(regular, regulars_chat, shirt, shop)
    _recompute(regular, shop.clock())
    # one purchase long ago ("new sleeping"), a second one dated long ago too: "repeat sleeping" from "new sleeping"
    long_ago = shop.clock() - timedelta(days=40)
    shop.clock.at = long_ago
    _buys(late, lates_chat, shirt, shop)
    _recompute(late, long_ago + timedelta(days=40))
    _buys(late, lates_chat, shirt, shop)
    shop.clock.at = long_ago + timedelta(days=40, minutes=2)
    _recompute(late, shop.clock())
    assert _started() == set()

    _recompute(regular, shop.clock() + timedelta(days=40))  # forty days without buying: "repeat sleeping"
    assert _started() == {regular}
    with session_scope() as session:
        [run] = session.exec(select(FlowRun)).all()
    assert run.status == "completed"
