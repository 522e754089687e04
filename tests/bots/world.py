"""The bots tests' world: a shop with a support team and a returns team, the shop assistant bot on sandbox
channels, and customers' phones that post recorded-shape webhooks the way each provider signs them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from channels.sandbox import meta, telegram, twilio
from channels.sandbox.serve import RunningSandbox, serve_sandbox
from channels.sandbox.state import CustomerInput, Record, SandboxState
from flows.bots import knowledge
from flows.bots.templates import KNOWLEDGE, shop_assistant
from flows.journeys import service as journeys
from hub.channel_records.models import Channel, TeamChannel
from hub.channel_records.service import as_config
from hub.composition import create_app
from hub.conversations.models import Conversation, Message
from hub.jobs.tasks import drain_inbound
from hub.jobs.worker import HubWorker
from hub.runtime import broker
from hub.runtime.db import session_scope
from tests.assignment.factories import policy, profile, set_online
from tests.factories import make_channel, make_team, make_user, token_for

MAKERS = {"meta": meta.customer_message, "twilio": twilio.customer_message, "telegram": telegram.customer_message}
KINDS = {"whatsapp_meta": "meta", "sms_twilio": "twilio", "whatsapp_twilio": "twilio", "telegram": "telegram"}


def run_jobs(*queues: str) -> None:
    HubWorker([broker.queue(name) for name in queues or broker.QUEUES], connection=broker.connection()).work(burst=True)


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with serve_sandbox(SandboxState(receipts="off")) as running:
        yield running


@pytest.fixture
def client(backend: Any) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


class Shop:
    """Admin, marketer, two support agents (Mei, Ken) and a returns agent (Aya), each team with a policy."""

    def __init__(self, client: TestClient, sandbox: RunningSandbox) -> None:
        self.client, self.sandbox = client, sandbox
        self.support = make_team("Support")
        self.returns = make_team("Returns")
        make_user("owner@shop.test", role="admin")
        make_user("mkt@shop.test", role="marketer")
        self.mei = make_user("mei@shop.test", team_ids=[self.support]).id or 0
        self.aya = make_user("aya@shop.test", team_ids=[self.returns]).id or 0
        for agent in (self.mei, self.aya):
            profile(agent, capacity=5)
        set_online(self.mei, self.aya)
        policy("round_robin", team_id=self.support)
        policy("round_robin", team_id=self.returns)
        self.admin = token_for(client, "owner@shop.test")
        self.marketer = token_for(client, "mkt@shop.test")
        self.agent = token_for(client, "mei@shop.test")
        self.channels: dict[str, int] = {}

    def channel(self, kind: str) -> int:
        provider = KINDS[kind]
        config: dict[str, Any] = {"api_base": self.sandbox.api_base(provider)}
        if kind == "sms_twilio":
            config["from_number"] = "+85230001234"
        if kind == "whatsapp_twilio":
            config["from_number"] = "whatsapp:+85230001235"
        channel_id = make_channel(kind, f"Shop {kind}", config=config).id or 0
        with session_scope() as session:
            session.add(TeamChannel(team_id=self.support, channel_id=channel_id))
            session.add(TeamChannel(team_id=self.returns, channel_id=channel_id))
        self.channels[kind] = channel_id
        return channel_id

    def bot(self, channel_ids: list[int], with_knowledge: bool = True) -> int:
        """The shop assistant, published, serving `channel_ids`, with the demo knowledge base."""
        with session_scope() as session:
            flow = journeys.create(session=session, name="Shop assistant",
                                   definition=shop_assistant(self.returns))
            journeys.publish(session=session, flow_id=flow.id or 0)
            flow_id = flow.id
            if with_knowledge:
                for entry in KNOWLEDGE:
                    knowledge.create(session=session, values=entry)
        answer = self.client.post("/api/v1/bots", headers=self.marketer, json={
            "name": "Shop assistant", "flow_id": flow_id, "channel_ids": channel_ids, "threshold": 0.5})
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])


class Phone:
    """A customer's phone on a sandbox channel: what they write or tap is posted to Hub as the provider signs it,
    and the worker then does what it would (drain, bot, sends)."""

    def __init__(self, shop: Shop, kind: str, customer: str, name: str) -> None:
        self.shop, self.provider, self.customer, self.name = shop, KINDS[kind], customer, name
        with session_scope() as session:
            channel = session.get(Channel, shop.channels[kind])
            assert channel is not None
            self.config = as_config(channel)

    def _post(self, action: CustomerInput, work: bool = True) -> None:
        inbound = MAKERS[self.provider](self.shop.sandbox.state, self.config, action)
        answer = self.shop.client.post(urlsplit(inbound.webhook.url).path, content=inbound.webhook.body,
                                       headers=inbound.webhook.headers)
        assert answer.status_code == 200, answer.text
        drain_inbound()
        if work:
            run_jobs()

    def says(self, text: str, work: bool = True) -> None:
        self._post(CustomerInput(customer=self.customer, name=self.name, text=text), work)

    def taps(self, title: str) -> None:
        record = self.last()
        found = [b for b in record.buttons if b.title == title]
        assert found, f"no button {title!r} in {[b.title for b in record.buttons]}"
        self._post(CustomerInput(customer=self.customer, name=self.name, button=found[0], reply_to=record))

    def received(self) -> list[Record]:
        return [r for r in self.shop.sandbox.state.messages(self.config.id, direction="out")
                if r.customer == self.customer or r.customer.endswith(self.customer)]

    def last(self) -> Record:
        got = self.received()
        assert got, "the customer received nothing"
        return got[-1]

    def conversation(self) -> Conversation:
        with session_scope() as session:
            found = session.exec(select(Conversation).where(Conversation.channel_id == self.config.id)
                                 .order_by(col(Conversation.id).desc())).first()
            assert found is not None
            session.expunge(found)
            return found


def thread(conversation_id: int) -> list[Message]:
    with session_scope() as session:
        rows = list(session.exec(select(Message).where(Message.conversation_id == conversation_id)
                                 .order_by(col(Message.id))))
        for row in rows:
            session.expunge(row)
        return rows
