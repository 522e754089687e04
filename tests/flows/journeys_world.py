"""The journeys tests' world: a shop whose Telegram bot sends to the provider sandbox, and a clock the test
moves (no sleeping)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col

from catalog import orders
from catalog import service as catalog
from channels import IdentityRef, InboundMessage
from channels.sandbox import RunningSandbox, SandboxState, serve_sandbox
from flows.journeys import clock as journeys_clock
from flows.journeys import jobs, service, templates
from hub import composition
from hub.channel_records import service as channel_service
from hub.contacts.models import Contact
from hub.conversations.models import Conversation
from hub.ingest.service import receive
from hub.jobs.worker import HubWorker
from hub.runtime import broker
from hub.runtime.db import session_scope
from hub.runtime.settings import get_settings
from tests.catalog.factories import make_product
from tests.factories import make_channel

HONG_KONG_MORNING = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # Monday 09:00 in Hong Kong


class Clock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def move(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@dataclass
class Shop:
    sandbox: RunningSandbox
    clock: Clock
    channel_id: int

    def outbound(self) -> list[Any]:
        return self.sandbox.state.messages(self.channel_id, direction="out")

    def tick(self, **delta: float) -> None:
        """Time passes: the sweeper hands due steps to the worker, which sends what they queue."""
        self.clock.move(**delta)
        jobs.sweep()
        jobs.abandoned_carts()
        run_jobs()


def run_jobs(*queues: str) -> None:
    HubWorker([broker.queue(name) for name in queues or broker.QUEUES], connection=broker.connection()).work(burst=True)


@pytest.fixture(name="shop")
def shop(backend: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    with serve_sandbox(SandboxState(receipts="off")) as sandbox:
        monkeypatch.setenv("HUB_PUBLIC_URL", sandbox.url)  # the sandbox bot (no credentials) sends here
        get_settings.cache_clear()
        channel_service.forget_cache()
        clock = Clock(HONG_KONG_MORNING)
        monkeypatch.setattr(journeys_clock, "now", clock)
        composition.wire()
        channel_id = make_channel("telegram", "Shop bot").id or 0
        yield Shop(sandbox, clock, channel_id)


def customer(shop: Shop, user_id: int = 700100200, name: str = "陳大文", locale: str = "zh_Hant") -> tuple[int, int]:
    """A customer who wrote to the shop's Telegram bot: (contact id, conversation id)."""
    with session_scope() as session:
        message = receive(session=session, channel_id=shop.channel_id, inbound=InboundMessage(
            provider_message_id=f"hello:{user_id}", identities=(IdentityRef("telegram", str(user_id)),), kind="text",
            text="你好", sent_at=datetime.now(UTC), profile_name=name, locale=locale))
        assert message is not None
        conversation = session.get(Conversation, message.conversation_id)
        assert conversation is not None
        session.execute(update(Contact).where(col(Contact.id) == conversation.contact_id)
                        .values(timezone="Asia/Hong_Kong", locale=locale))
        return conversation.contact_id, conversation.id or 0


def taps(shop: Shop, user_id: int, number: int, data: str) -> None:
    with session_scope() as session:
        receive(session=session, channel_id=shop.channel_id, inbound=InboundMessage(
            provider_message_id=f"tap:{user_id}:{number}", identities=(IdentityRef("telegram", str(user_id)),),
            kind="callback", text=data, payload={"data": data}, sent_at=datetime.now(UTC)))


def published(key: str) -> int:
    made = templates.get(key)
    assert made is not None
    with session_scope() as session:
        flow = service.create(session=session, name=made["name"], definition=made["definition"])
        service.publish(session=session, flow_id=flow.id or 0)
        return flow.id or 0


def buys(contact_id: int, conversation_id: int, clock: Clock, total: int = 1) -> int:
    variant_id = make_product(handle=f"shirt-{contact_id}-{clock().timestamp():.0f}")["SHIRT-M"]
    with session_scope() as session:
        cart = catalog.open_cart(session=session, contact_id=contact_id, conversation_id=conversation_id,
                                 currency="HKD")
        catalog.add(session=session, cart=cart, variant_id=variant_id, quantity=total)
        order_id = catalog.checkout(session=session, cart=cart).id or 0
    with session_scope() as session:
        orders.mark_paid(session=session, order_id=order_id, provider="sandbox", payment_ref=f"pay-{order_id}",
                         now=clock())
    return order_id


