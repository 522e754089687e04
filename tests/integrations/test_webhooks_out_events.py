"""The outgoing webhooks' late events: `contact.created`, `campaign.recipient` and `flow.run.finished` are
written by the outbox in the transaction that makes the change (none when it rolls back), and delivered
signed like the others."""

from __future__ import annotations

from collections import Counter

from sqlmodel import Session, select
from standardwebhooks import Webhook

from flows.campaigns import sender, service, tracking
from flows.campaigns.models import Recipient
from flows.journeys import runner
from flows.journeys import service as journeys
from hub.contacts.models import Contact
from hub.ingest.service import receive
from hub.runtime import events
from hub.runtime.db import get_engine, session_scope, utcnow
from tests.factories import inbound
from tests.flows.test_campaign_sender import (
    make_campaign,
    sandbox,  # noqa: F401 - a fixture
)
from tests.flows.test_campaigns_tracking import launch, send_all
from tests.integrations.receiver import Receiver
from tests.integrations.test_webhooks_out import (  # noqa: F401 - fixtures
    admin,
    channel_id,
    client,
    customer_writes,
    deliveries,
    run_due,
    subscribe,
)


def payloads(event_type: str) -> list[dict]:  # type: ignore[type-arg]
    return [row.payload["data"] for row in deliveries() if row.event_type == event_type]


def test_a_new_customer_is_a_contact_created_event_once_and_signed(client, admin, channel_id):  # noqa: F811
    with Receiver() as shop:
        endpoint = subscribe(client, admin, shop.url, events=("contact.created",))
        with Session(get_engine()) as session:  # the message rolls back; the contact is told iff it stays
            receive(session=session, channel_id=channel_id, inbound=inbound("wamid.C0", "+85291110000", "hi"))
            session.rollback()
        with session_scope() as session:  # (PostgreSQL makes new contacts in a short transaction of their own)
            assert len(deliveries()) == len(session.exec(select(Contact)).all())
        first = customer_writes(channel_id, "wamid.C1")
        customer_writes(channel_id, "wamid.C2")  # the same customer again: no new contact
        assert run_due(utcnow()) == ["delivered"]
    [data] = payloads("contact.created")
    with session_scope() as session:
        [contact] = session.exec(select(Contact)).all()
    assert data == {"contact_id": contact.id} and first.conversation_id
    headers, body, _ = shop.requests[0]
    assert Webhook(endpoint["secret"]).verify(body, headers)["type"] == "contact.created"


def test_each_recipient_status_change_is_a_campaign_recipient_event(client, admin, sandbox):  # noqa: F811
    subscribe(client, admin, "https://erp.example.com/hook", events=("campaign.recipient",))
    campaign_id, _channel = make_campaign(sandbox, 3)
    sender.send_batch(campaign_id)
    sent = payloads("campaign.recipient")
    assert Counter(d["status"] for d in sent) == {"sent": 3}
    assert {d["campaign_id"] for d in sent} == {campaign_id}
    with session_scope() as session:
        recipients = session.exec(select(Recipient).where(Recipient.campaign_id == campaign_id)).all()
        assert {r.id for r in recipients} == {d["recipient_id"] for d in sent}
        message_id = recipients[0].message_id
        assert message_id is not None
        tracking.apply_statuses(session, [(message_id, "read", None)])
    with session_scope() as session:
        tracking.apply_statuses(session, [(message_id, "read", None)])  # again: nothing new to tell
    later = [d for d in payloads("campaign.recipient") if d["status"] != "sent"]
    assert sorted(d["status"] for d in later) == ["delivered", "read"]
    assert {d["recipient_id"] for d in later} == {recipients[0].id}


def test_a_cancelled_campaigns_pending_recipients_are_told_skipped_but_not_on_the_live_inbox(client,  # noqa: F811
                                                                                            admin):  # noqa: F811
    subscribe(client, admin, "https://erp.example.com/hook", events=("campaign.recipient",))
    live: list[events.Event] = []
    events.add_publisher(live.extend)
    campaign_id, _channel = launch(3)
    with session_scope() as session:
        service.cancel(session=session, campaign_id=campaign_id)
    told = payloads("campaign.recipient")
    assert [(d["status"], d["reason"]) for d in told] == [("skipped", service.SKIP_CANCELLED)] * 3
    assert live and "campaign.recipient" not in {event.name for event in live}  # thousands would flood screens


def test_a_click_is_told_once(client, admin):  # noqa: F811
    campaign_id, channel = launch(1)
    sent = send_all(campaign_id, channel)
    subscribe(client, admin, "https://erp.example.com/hook", events=("campaign.recipient",))
    [(_conversation, token)] = sent.values()
    for _ in range(2):
        client.get(f"/l/{token}", follow_redirects=False)
    assert [d["status"] for d in payloads("campaign.recipient")] == ["clicked"]


def _flow() -> int:
    definition = {"trigger": {"type": "manual", "config": {}}, "start": "tag",
                  "nodes": [{"id": "tag", "type": "tag", "config": {"add": ["welcomed"]}},
                            {"id": "end", "type": "end"}],
                  "edges": [{"from": "tag", "port": "next", "to": "end"}]}
    with session_scope() as session:
        flow = journeys.create(session=session, name="Welcome", definition=definition)
        journeys.publish(session=session, flow_id=flow.id or 0)
        return flow.id or 0


def test_a_journey_run_that_ends_is_a_flow_run_finished_event(client, admin, channel_id):  # noqa: F811
    subscribe(client, admin, "https://erp.example.com/hook", events=("flow.run.finished",))
    for n, phone in enumerate(("+85291110000", "+85291110001")):
        with session_scope() as session:
            receive(session=session, channel_id=channel_id, inbound=inbound(f"wamid.F{n}", phone, "hi"))
    flow_id = _flow()
    with session_scope() as session:
        flow = journeys.get(session=session, flow_id=flow_id)
        runs = [journeys.start_run(session=session, flow=flow, contact_id=contact.id or 0, conversation_id=None,
                                   entry_key=f"test:{contact.id}")
                for contact in session.exec(select(Contact).order_by(Contact.id)).all()]
    done, cancelled = runs
    assert done is not None and cancelled is not None
    assert payloads("flow.run.finished") == []  # a run that starts is not news
    runner.advance(done.id or 0, done.visit)
    with session_scope() as session:
        journeys.cancel_run(session=session, run_id=cancelled.id or 0)
    told = payloads("flow.run.finished")
    assert [(d["run_id"], d["flow_id"], d["contact_id"], d["status"]) for d in told] == [
        (done.id, flow_id, done.contact_id, "completed"), (cancelled.id, flow_id, cancelled.contact_id, "cancelled")]
