"""Tracking through the real event path: receipts, replies, clicks, opt-outs and orders, in any order."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from catalog.models import Order
from catalog.orders import ORDER_PAID
from channels import IdentityRef, InboundMessage, SendResult, StatusUpdate
from flows.campaigns import service, stats
from flows.campaigns.models import Campaign, Recipient
from flows.campaigns.personalise import message_for
from hub import composition
from hub import outbound as engine
from hub.channel_records.models import Channel
from hub.composition import create_app
from hub.contacts.models import ChannelIdentity, Contact
from hub.conversations import outbound
from hub.conversations import service as conversations
from hub.conversations.models import Message
from hub.ingest.service import receive
from hub.jobs.worker import HubWorker
from hub.runtime import broker, events
from hub.runtime.db import session_scope


def run_jobs() -> None:
    """The worker, until the queues are empty: listeners only enqueue."""
    HubWorker([broker.queue(name) for name in broker.QUEUES], connection=broker.connection()).work(burst=True)


def launch(n: int, kind: str = "telegram") -> tuple[int, int]:
    from tests.factories import make_channel

    channel_id = make_channel(kind=kind, name="TG").id or 0
    with session_scope() as session:
        for i in range(n):
            contact = Contact(name=f"客{i}")
            session.add(contact)
            session.flush()
            session.add(ChannelIdentity(contact_id=contact.id or 0, kind="telegram", value=str(9000 + i)))
        campaign = service.create(session=session, data={
            "name": "t", "channel_ids": [channel_id], "variants": [{"name": "A", "text": "嗨 {{ contact.name }}",
                                                                    "buttons": [{"title": "Shop", "url": "https://shop.example/x"}]}]})
        campaign_id = campaign.id or 0
    with session_scope() as session:
        service.launch(session=session, campaign_id=campaign_id)
    return campaign_id, channel_id


def customer_writes(session: Session, conversation_id: int, provider_id: str, text: str) -> Message | None:
    """The conversation's customer sends a message, stored as a webhook's would be (keywords answered)."""
    conversation = conversations.get(session=session, conversation_id=conversation_id)
    assert conversation is not None
    identity = session.exec(select(ChannelIdentity).where(ChannelIdentity.contact_id == conversation.contact_id)
                            .order_by(ChannelIdentity.id)).first()  # type: ignore[arg-type]
    assert identity is not None
    return receive(session=session, channel_id=conversation.channel_id, inbound=InboundMessage(
        provider_message_id=provider_id, identities=(IdentityRef(identity.kind, identity.value),),  # type: ignore[arg-type]
        kind="text", text=text, sent_at=datetime.now(UTC)))


def send_all(campaign_id: int, channel_id: int) -> dict[int, tuple[int, str]]:
    """What the sender does, reduced: queue the personalised message, record the provider's answer."""
    sent: dict[int, tuple[int, str]] = {}
    with session_scope() as session:
        campaign = session.get(Campaign, campaign_id)
        channel = session.get(Channel, channel_id)
        assert campaign is not None and channel is not None
        for recipient in session.exec(select(Recipient).where(Recipient.campaign_id == campaign_id,
                                                              Recipient.state == "pending")).all():
            contact = session.get(Contact, recipient.contact_id)
            assert contact is not None
            conversation, _ = conversations.open_for(session=session, contact_id=contact.id or 0, channel_id=channel_id)
            kind, text, payload = message_for(session, campaign, recipient, contact, channel)
            message, _ = outbound.queue_reply(session=session, conversation=conversation, author_id=None, kind=kind,
                                              text=text, payload=payload, client_key=f"broadcast:{recipient.id}",
                                              sender=engine.Sender.broadcast.value)
            provider_id = f"tg-{recipient.id}"
            assert engine.claim(session, [message.id or 0], outbound.SEND_LEASE)
            engine.record(session, [engine.Outcome(message.id or 0,
                                                   SendResult(ok=True, provider_message_id=provider_id))])
            recipient.message_id, recipient.state, recipient.sent_at = message.id, "sent", datetime.now(UTC)
            session.add(recipient)
            link = payload["buttons"][0]["url"]
            sent[recipient.id or 0] = (conversation.id or 0, link.rsplit("/", 1)[1])
    run_jobs()
    return sent


def test_random_out_of_order_duplicated_events_match_an_independent_truth(backend: object) -> None:
    composition.wire()
    rng = random.Random(7)
    campaign_id, channel_id = launch(24)
    sent = send_all(campaign_id, channel_id)
    ids = sorted(sent)
    failed = set(rng.sample(ids, 4))
    read = set(rng.sample([i for i in ids if i not in failed], 8))
    delivered = read | set(rng.sample([i for i in ids if i not in failed | read], 6))
    replied = set(rng.sample(sorted(delivered), 7))
    clicked = set(rng.sample([i for i in ids if i not in failed], 9))

    actions: list[tuple[str, int]] = []
    for rid in ids:
        if rid in failed:
            actions += [("failed", rid)] * 2
        if rid in delivered:
            actions += [("delivered", rid)] * rng.randint(1, 3)
        if rid in read:
            actions += [("read", rid)] * rng.randint(1, 2)
        if rid in replied:
            actions += [("reply", rid)] * 2
        if rid in clicked:
            actions += [("click", rid)] * rng.randint(1, 3)
    rng.shuffle(actions)
    # replies only count after delivery: deliver those first, the rest stays shuffled
    actions.sort(key=lambda a: 0 if a[0] == "delivered" and a[1] in replied else 1)

    with TestClient(create_app()) as client:
        for number, (what, rid) in enumerate(actions):
            conversation_id, token = sent[rid]
            if what == "click":
                answer = client.get(f"/l/{token}", follow_redirects=False)
                assert answer.status_code == 302 and answer.headers["location"] == "https://shop.example/x"
                continue
            with session_scope() as session:
                if what == "reply":
                    assert customer_writes(session, conversation_id, f"in-{number}", "想要 M 碼") is not None
                else:
                    conversations.apply_receipts(session=session, receipts=[(channel_id, StatusUpdate(
                        provider_message_id=f"tg-{rid}", status=what, at=datetime.now(UTC),  # type: ignore[arg-type]
                        error_code="E1" if what == "failed" else None,
                        error_reason="blocked" if what == "failed" else None))])
            if number % 5 == 0 or what == "delivered":  # jobs run late and in batches, as in production
                run_jobs()
        run_jobs()
        assert client.get("/l/nope", follow_redirects=False).status_code == 404

    with session_scope() as session:
        numbers = stats.counts(session, campaign_id)
    truth = {"recipients": 24, "skipped": 0, "queued": 0, "sent": 24, "delivered": len(delivered), "read": len(read),
             "failed": len(failed), "replied": len(replied), "clicked": len(clicked), "converted": 0}
    assert {k: numbers[k] for k in truth} == truth
    assert numbers["read_rate"] == round(len(read) / 24, 4)


def test_conversion_after_a_click_sets_the_order_campaign(backend: object) -> None:
    composition.wire()
    campaign_id, channel_id = launch(2)
    sent = send_all(campaign_id, channel_id)
    clicker = min(sent)
    with TestClient(create_app()) as client:
        client.get(f"/l/{sent[clicker][1]}", follow_redirects=False)
    with session_scope() as session:
        recipient = session.get(Recipient, clicker)
        other = session.get(Recipient, max(sent))
        assert recipient is not None and other is not None
        orders = []
        for n, contact_id in enumerate((recipient.contact_id, other.contact_id)):
            order = Order(number=f"N{n}", contact_id=contact_id, currency="HKD", total_minor=100, status="paid")
            session.add(order)
            session.flush()
            orders.append(order.id or 0)
            events.emit(session, ORDER_PAID, order_id=order.id, contact_id=contact_id, conversation_id=None)
    run_jobs()
    run_jobs()  # twice: the jobs are idempotent
    with session_scope() as session:
        assert session.get(Order, orders[0]).campaign_id == campaign_id  # type: ignore[union-attr]
        assert session.get(Order, orders[1]).campaign_id is None  # type: ignore[union-attr]
        assert session.get(Recipient, clicker).order_id == orders[0]  # type: ignore[union-attr]
        assert stats.counts(session, campaign_id)["converted"] == 1


def test_stop_while_running_skips_that_contacts_pending_recipient(backend: object) -> None:
    composition.wire()
    campaign_id, channel_id = launch(3)
    with session_scope() as session:
        first = session.exec(select(Recipient).where(Recipient.campaign_id == campaign_id)
                             .order_by(Recipient.id)).first()  # type: ignore[arg-type]
        assert first is not None
        conversation, _ = conversations.open_for(session=session, contact_id=first.contact_id, channel_id=channel_id)
        assert customer_writes(session, conversation.id or 0, "stop-1", "STOP") is not None  # the keyword is answered
    run_jobs()
    with session_scope() as session:
        states = {r.contact_id: (r.state, r.reason)
                  for r in session.exec(select(Recipient).where(Recipient.campaign_id == campaign_id))}
    assert states[first.contact_id] == ("skipped", service.SKIP_OPTED_OUT)
    assert sorted(s for s, _ in states.values()) == ["pending", "pending", "skipped"]


def test_receipts_committed_together_count_as_one_by_one(backend: object) -> None:
    """A drained webhook batch applies hundreds of receipts in one commit: one tracking job, the same numbers."""
    composition.wire()
    rng = random.Random(11)
    campaign_id, channel_id = launch(30)
    sent = send_all(campaign_id, channel_id)
    ids = sorted(sent)
    failed = set(rng.sample(ids, 5))
    read = set(rng.sample([i for i in ids if i not in failed], 9))
    delivered = read | set(rng.sample([i for i in ids if i not in failed | read], 7))
    receipts = [(what, rid) for rid in ids for what, chosen in (("failed", failed), ("delivered", delivered),
                                                               ("read", read)) if rid in chosen for _ in range(2)]
    rng.shuffle(receipts)
    halves = (receipts[: len(receipts) // 2], receipts[len(receipts) // 2:])
    for half in halves:  # two commits, each with many receipts, out of order and repeated
        with session_scope() as session:
            for what, rid in half:
                conversations.apply_receipts(session=session, receipts=[(channel_id, StatusUpdate(
                    provider_message_id=f"tg-{rid}", status=what, at=datetime.now(UTC),  # type: ignore[arg-type]
                    error_code="E1" if what == "failed" else None,
                    error_reason="blocked" if what == "failed" else None))])
    assert broker.queue("campaigns").count <= 2  # one job per commit, not one per receipt
    run_jobs()
    run_jobs()  # idempotent
    with session_scope() as session:
        numbers = stats.counts(session, campaign_id)
        reasons = {r.id: r.reason for r in session.exec(select(Recipient).where(Recipient.campaign_id == campaign_id))}
    truth = {"recipients": 30, "sent": 30, "delivered": len(delivered), "read": len(read), "failed": len(failed)}
    assert {k: numbers[k] for k in truth} == truth
    assert all(reasons[rid] == "blocked" for rid in failed)


def test_receipts_of_messages_no_broadcast_sent_queue_no_tracking_job(backend: object) -> None:
    """A shop's everyday receipts (replies, bots', journeys') have no recipient to move: no campaign job for them,
    and a batch that mixes them with a broadcast's receipts tracks the broadcast's."""
    composition.wire()
    campaign_id, channel_id = launch(3)
    sent = send_all(campaign_id, channel_id)
    with session_scope() as session:
        conversation_id = next(iter(sent.values()))[0]
        conversation = conversations.get(session=session, conversation_id=conversation_id)
        assert conversation is not None
        reply, _ = outbound.queue_reply(session=session, conversation=conversation, author_id=None, text="好的")
        assert engine.claim(session, [reply.id or 0], outbound.SEND_LEASE)
        engine.record(session, [engine.Outcome(reply.id or 0, SendResult(ok=True, provider_message_id="tg-reply"))])
    run_jobs()

    def receipts(*provider_ids: str) -> None:
        with session_scope() as session:
            conversations.apply_receipts(session=session, receipts=[(channel_id, StatusUpdate(
                provider_message_id=provider_id, status="delivered", at=datetime.now(UTC)))
                for provider_id in provider_ids])

    receipts("tg-reply")
    assert broker.queue("campaigns").count == 0
    first = min(sent)
    receipts("tg-reply", f"tg-{first}")
    assert broker.queue("campaigns").count == 1
    run_jobs()
    with session_scope() as session:
        assert stats.counts(session, campaign_id)["delivered"] == 1
        assert session.get(Message, reply.id).status == "delivered"
