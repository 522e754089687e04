"""Satisfaction surveys on each channel kind: an agent resolves, the customer is asked in their language with the
channel's own buttons, taps or types a rating and a comment, and is thanked; the conversation stays resolved."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import col, select

from channels.sandbox import meta, telegram, twilio
from channels.sandbox.serve import RunningSandbox, serve_sandbox
from channels.sandbox.state import CustomerInput, Record, SandboxState
from hub.channel_records.models import Channel
from hub.channel_records.service import as_config
from hub.composition import create_app
from hub.conversations.models import Conversation, Message
from hub.csat import events as csat_events
from hub.csat import jobs
from hub.csat.models import CsatSurvey
from hub.jobs.tasks import drain_inbound, send_message
from hub.jobs.worker import HubWorker
from hub.runtime import broker, events
from hub.runtime.db import session_scope, utcnow
from tests.factories import make_channel, make_team, make_user, token_for
from tests.webchat.factories import connect, hello, receive, say, webchat_channel

MAKERS = {"meta": meta.customer_message, "twilio": twilio.customer_message, "telegram": telegram.customer_message}


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with serve_sandbox(SandboxState(receipts="off")) as running:
        yield running


@pytest.fixture
def client(backend: Any) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def heard() -> Iterator[list[events.Event]]:
    """The survey events, as committed."""
    seen: list[events.Event] = []
    events.subscribe(csat_events.SENT, seen.append)
    events.subscribe(csat_events.ANSWERED, seen.append)
    yield seen
    events._listeners[csat_events.SENT].remove(seen.append)
    events._listeners[csat_events.ANSWERED].remove(seen.append)


class Shop:
    """An admin, an agent of the channel's team, and the channel asking for ratings right after a resolution."""

    def __init__(self, client: TestClient, channel_id: int, setting: dict[str, Any] | None = None) -> None:
        self.client, self.channel_id = client, channel_id
        team = make_team("Support")
        with session_scope() as session:
            from hub.channel_records.models import TeamChannel
            session.add(TeamChannel(team_id=team, channel_id=channel_id))
        self.team_id = team
        make_user("owner@shop.test", role="admin")
        self.agent_id = make_user("mei@shop.test", team_ids=[team]).id
        self.admin = token_for(client, "owner@shop.test")
        self.agent = token_for(client, "mei@shop.test")
        answer = client.put(f"/api/v1/csat/settings/channel/{channel_id}", headers=self.admin,
                            json={"enabled": True, "delay_minutes": 0, "answer_hours": 24, **(setting or {})})
        assert answer.status_code == 200, answer.text

    def resolve(self, conversation_id: int) -> None:
        """The agent takes the conversation, answers and resolves it; the survey job runs."""
        assert self.client.post(f"/api/v1/conversations/{conversation_id}/assign", headers=self.agent,
                                json={"assignee_id": self.agent_id}).status_code == 200
        answer = self.client.post(f"/api/v1/conversations/{conversation_id}/status", headers=self.agent,
                                  json={"status": "resolved"})
        assert answer.status_code == 200, answer.text
        HubWorker([broker.queue(jobs.QUEUE)], connection=broker.connection()).work(burst=True)  # what it queued
        with session_scope() as session:  # the worker ran the job the resolution queued
            assert session.exec(select(CsatSurvey).where(CsatSurvey.conversation_id == conversation_id)).first()
        assert jobs.schedule_survey(conversation_id) == "nothing to ask"  # a job run twice asks once


def conversation_of() -> Conversation:
    with session_scope() as session:
        [conversation] = session.exec(select(Conversation)).all()
        session.expunge(conversation)
        return conversation


def survey() -> CsatSurvey:
    with session_scope() as session:
        [found] = session.exec(select(CsatSurvey)).all()
        session.expunge(found)
        return found


def send_queued() -> list[Message]:
    """Run the send job of every queued message, as the worker would; the messages sent."""
    with session_scope() as session:
        queued = list(session.exec(select(Message.id).where(Message.status == "queued").order_by(col(Message.id))))
    for message_id in queued:
        assert message_id is not None
        send_message(message_id)
    with session_scope() as session:
        sent = list(session.exec(select(Message).where(col(Message.id).in_(queued)).order_by(col(Message.id))))
        for message in sent:
            session.expunge(message)
        return sent


class Phone:
    """A customer's phone on a sandbox channel: what they write or tap is posted to Hub as the provider signs it."""

    def __init__(self, sandbox: RunningSandbox, client: TestClient, channel_id: int, provider: str, customer: str,
                 name: str) -> None:
        self.sandbox, self.client, self.provider, self.customer, self.name = sandbox, client, provider, customer, name
        with session_scope() as session:
            channel = session.get(Channel, channel_id)
            assert channel is not None
            self.config = as_config(channel)

    def _post(self, action: CustomerInput) -> None:
        inbound = MAKERS[self.provider](self.sandbox.state, self.config, action)
        answer = self.client.post(urlsplit(inbound.webhook.url).path, content=inbound.webhook.body,
                                  headers=inbound.webhook.headers)
        assert answer.status_code == 200, answer.text
        drain_inbound()

    def says(self, text: str) -> None:
        self._post(CustomerInput(customer=self.customer, name=self.name, text=text))

    def taps(self, record: Record, title: str) -> None:
        [button] = [b for b in record.buttons if b.title == title]
        self._post(CustomerInput(customer=self.customer, name=self.name, button=button, reply_to=record))

    def last(self) -> Record:
        return self.sandbox.state.messages(self.config.id, direction="out")[-1]


def assert_stays_resolved() -> None:
    assert conversation_of().status == "resolved"


@pytest.mark.parametrize("kind", ["whatsapp_meta", "telegram"])
def test_a_resolved_conversation_is_rated_with_native_buttons_and_the_agent_is_credited(sandbox, client, heard, kind):
    provider, customer, question, locale_words = {
        "whatsapp_meta": ("meta", "+85291234567", "仲有冇貨？", ("評分", "5 非常滿意")),
        "telegram": ("telegram", "700100200", "このジャケットのMサイズはありますか", ("評価する", "5 とても満足")),
    }[kind]
    channel_id = make_channel(kind, config={"api_base": sandbox.api_base(provider)}).id
    shop = Shop(client, channel_id)
    phone = Phone(sandbox, client, channel_id, provider, customer, "陳大文" if provider == "meta" else "花子 鈴木")
    phone.says(question)
    conversation = conversation_of()
    shop.resolve(conversation.id)
    [request] = send_queued()
    assert request.sender == "system" and request.status == "sent"
    shown = phone.last()
    titles = [button.title for button in shown.buttons]
    assert locale_words[1] == titles[0] and len(titles) == 5  # best first, in the customer's language
    if provider == "meta":  # more than three choices: WhatsApp's list, opened by a translated button
        assert shown.list_label == locale_words[0] and {b.kind for b in shown.buttons} == {"list"}
        assert shown.text.startswith("我們這次的服務如何？")
    else:  # an inline keyboard
        assert shown.text.startswith("今回の対応はいかがでしたか？")
    assert (survey().status, survey().agent_id, survey().team_id) == ("sent", shop.agent_id, shop.team_id)

    # the agent is reassigned after sending: the credit stays with whoever was assigned when it was sent
    with session_scope() as session:
        session.execute(update(Conversation).where(col(Conversation.id) == conversation.id).values(assignee_id=None))
    phone.taps(shown, titles[1])  # 4
    assert_stays_resolved()
    rated = survey()
    assert (rated.rating, rated.status, rated.agent_id, rated.comment) == (4, "answered", shop.agent_id, None)
    [invite] = send_queued()
    assert invite.sender == "system" and phone.last().text == invite.text

    phone.says("店員好有耐性" if provider == "meta" else "丁寧でした")
    assert_stays_resolved()
    assert survey().comment == ("店員好有耐性" if provider == "meta" else "丁寧でした")
    [thanks] = send_queued()
    assert thanks.text == ("多謝你寶貴的意見。" if provider == "meta" else "貴重なご意見をありがとうございました。")

    assert [(e.name, e.data.get("rating"), e.data.get("comment"), e.data["agent_id"]) for e in heard] == [
        (csat_events.SENT, None, None, shop.agent_id), (csat_events.ANSWERED, 4, None, shop.agent_id),
        (csat_events.ANSWERED, 4, survey().comment, shop.agent_id)]
    assert heard[0].data["survey_id"] == survey().id and heard[0].data["channel_id"] == channel_id

    report = client.get("/api/v1/reports/csat", headers=shop.admin).json()["totals"]  # one response, comment or not
    assert (report["sent"], report["responses"], report["score"], report["response_rate"]) == (1, 1, 1.0, 1.0)

    phone.says("另外想問下退貨" if provider == "meta" else "もう一つ質問があります")  # more than the comment
    assert conversation_of().status == "open"


def test_on_sms_the_survey_asks_for_a_number_and_takes_full_width_digits(sandbox, client, heard):
    channel_id = make_channel("sms_twilio", config={"api_base": sandbox.api_base("twilio"),
                                                    "from_number": "+85230001234"}).id
    shop = Shop(client, channel_id)
    for n, (customer, digit, rating) in enumerate((("+85291234567", "5", 5), ("+85291234568", "５", 5),
                                                   ("+85291234569", "3.", 3))):
        phone = Phone(sandbox, client, channel_id, "twilio", customer, "陳大文")
        phone.says("我想改地址")
        with session_scope() as session:
            conversation_id = session.exec(select(Conversation.id).order_by(col(Conversation.id).desc())).first()
        shop.resolve(conversation_id)
        send_queued()
        assert phone.last().text == (
            "我們這次的服務如何？請由 1（非常不滿意）至 5（非常滿意）評分。請回覆 1 至 5 的數字。")
        assert phone.last().buttons == ()
        phone.says(digit)
        with session_scope() as session:
            answered = session.exec(select(CsatSurvey).where(CsatSurvey.conversation_id == conversation_id)).one()
            assert (answered.rating, answered.status, answered.agent_id) == (rating, "answered", shop.agent_id)
            assert session.get(Conversation, conversation_id).status == "resolved"
        send_queued()
        assert phone.last().text.startswith("多謝你的評分！")
    assert [e.data["rating"] for e in heard if e.name == csat_events.ANSWERED] == [5, 5, 3]
    report = client.get("/api/v1/reports/csat", headers=shop.admin).json()["totals"]
    assert (report["sent"], report["responses"], report["positive"]) == (3, 3, 2)


def test_a_text_that_is_not_a_rating_reopens_the_conversation_and_is_not_recorded(sandbox, client):
    channel_id = make_channel("sms_twilio", config={"api_base": sandbox.api_base("twilio"),
                                                    "from_number": "+85230001234"}).id
    shop = Shop(client, channel_id)
    phone = Phone(sandbox, client, channel_id, "twilio", "+85291234567", "陳大文")
    phone.says("hello")
    shop.resolve(conversation_of().id)
    send_queued()
    phone.says("6")  # not 1-5: a new request
    assert conversation_of().status == "open" and survey().status == "sent" and survey().rating is None


def test_outside_the_whatsapp_window_without_a_template_the_survey_is_not_sent(sandbox, client, heard):
    channel_id = make_channel("whatsapp_meta", config={"api_base": sandbox.api_base("meta")}).id
    shop = Shop(client, channel_id)
    phone = Phone(sandbox, client, channel_id, "meta", "+85291234567", "陳大文")
    phone.says("仲有冇貨？")
    conversation = conversation_of()
    with session_scope() as session:  # the customer wrote two days ago
        session.execute(update(Conversation).where(col(Conversation.id) == conversation.id)
                        .values(last_inbound_at=utcnow() - timedelta(days=2)))
    shop.resolve(conversation.id)
    assert send_queued() == []
    found = survey()
    assert found.status == "not_sent" and "24-hour window" in (found.reason or "")
    assert heard == []


def test_outside_the_whatsapp_window_the_configured_template_asks(sandbox, client):
    channel_id = make_channel("whatsapp_meta", config={"api_base": sandbox.api_base("meta")}).id
    shop = Shop(client, channel_id, {"template_name": "csat_request"})
    phone = Phone(sandbox, client, channel_id, "meta", "+819012345678", "山田太郎")
    phone.says("在庫はありますか？")
    conversation = conversation_of()
    with session_scope() as session:
        session.execute(update(Conversation).where(col(Conversation.id) == conversation.id)
                        .values(last_inbound_at=utcnow() - timedelta(days=2)))
    shop.resolve(conversation.id)
    [request] = send_queued()
    assert request.kind == "template" and request.status == "sent"
    assert phone.last().wire["template"]["name"] == "csat_request"
    assert phone.last().wire["template"]["language"]["code"] == "ja"
    assert survey().status == "sent"


def test_a_journey_step_asks_now_and_asks_once(sandbox, client):
    from hub.csat import service

    channel_id = make_channel("telegram", config={"api_base": sandbox.api_base("telegram")}).id
    phone = Phone(sandbox, client, channel_id, "telegram", "700100200", "花子 鈴木")
    phone.says("こんにちは")
    conversation = conversation_of()
    now = utcnow()
    with session_scope() as session:
        assert len(service.request(session, [conversation.id], now=now)) == 1
    with session_scope() as session:
        assert service.request(session, [conversation.id], now=now) == []
    send_queued()
    assert phone.last().text.startswith("今回の対応はいかがでしたか？") and survey().status == "sent"


def test_on_the_web_chat_the_visitor_taps_a_rating_and_comments(client, heard):
    channel_id = webchat_channel()
    shop = Shop(client, channel_id)
    with connect(client, channel_id) as ws:
        hello(ws)  # the widget says ja-JP
        said = say(ws, "注文を変更したいです", "ask-order-01")
        assert said["type"] == "ack", said
        drain_inbound()
        conversation = conversation_of()
        shop.resolve(conversation.id)
        send_queued()
        card = receive(ws)["card"]
        assert card["kind"] == "buttons" and [b["id"] for b in card["buttons"]] == [
            "csat:5", "csat:4", "csat:3", "csat:2", "csat:1"]
        ws.send_json({"type": "button", "client_id": "rate-tap-01", "button_id": "csat:5",
                      "text": card["buttons"][0]["title"]})
        assert receive(ws) == {"type": "ack", "client_id": "rate-tap-01"}
        drain_inbound()
        assert (survey().rating, survey().agent_id) == (5, shop.agent_id)
        assert_stays_resolved()
        send_queued()
        receive(ws)
        say(ws, "速い対応でした", "comment-01")
        drain_inbound()
        assert survey().comment == "速い対応でした"
        assert_stays_resolved()
        [thanks] = send_queued()
        assert receive(ws)["card"]["text"] == thanks.text
    assert [e.name for e in heard] == [csat_events.SENT, csat_events.ANSWERED, csat_events.ANSWERED]
