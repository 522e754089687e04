"""One meaning for "we don't know": a provider that took a message but whose answer never came (a timeout)
leaves it `unknown`, for a reply and a broadcast alike, on every channel kind. Nothing sends it again by
itself; Meta's receipts, which echo Hub's reference, settle it; elsewhere a person may resend it, and only
then does the customer get a second message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from channels.meta import send as meta_send
from channels.telegram import send as telegram_send
from channels.twilio import send as twilio_send
from flows.campaigns import sender, service, stats
from flows.campaigns.models import Campaign, Recipient
from hub.contacts.models import Contact
from hub.conversations.models import Message
from hub.jobs import tasks
from hub.jobs.worker import HubWorker
from hub.runtime import broker
from hub.runtime.db import session_scope
from tests.conftest import wait_for
from tests.e2e.test_sandbox_loop import CUSTOMER, RunningHub, conversation_of, hub_server, status_of
from tests.factories import make_channel, make_user, token_for

__all__ = ["hub_server"]  # the fixture, a real Hub with the provider sandbox inside

KINDS = [("whatsapp_meta", "meta", {}), ("sms_twilio", "twilio", {"from_number": "+15005550006"}),
         ("telegram", "telegram", {})]
HANG = 1.5  # the sandbox answers this late; Hub gives up after TIMEOUT
TIMEOUT = 0.4


@pytest.fixture(autouse=True)
def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for module in (meta_send, twilio_send, telegram_send):
        monkeypatch.setattr(module, "SEND_TIMEOUT_SECONDS", TIMEOUT)
    yield


def shop_messages(hub: RunningHub, channel_id: int) -> list[str]:
    seen = hub.client.get(f"/sandbox/phone/{channel_id}/messages").json()["messages"]
    return [m["text"] for m in seen if m["direction"] == "out"]


def run_jobs() -> None:
    HubWorker([broker.queue(name) for name in broker.QUEUES], connection=broker.connection()).work(burst=True)


def customer_writes(hub: RunningHub, kind: str, provider: str, config: dict[str, str]) -> tuple[int, int]:
    channel = make_channel(kind, config=config, marketing_consent_required=False)
    assert channel.id is not None
    wrote = hub.client.post(f"/sandbox/phone/{channel.id}/send",
                            json={"from": CUSTOMER[provider], "name": "陳大文", "text": "請問有冇貨？"})
    assert wrote.status_code == 200, wrote.text
    return channel.id, conversation_of(channel.id)


@pytest.mark.parametrize("kind, provider, config", KINDS)
def test_a_timed_out_reply_is_unknown_and_never_sent_twice_unless_a_person_resends_it(hub_server, kind, provider,
                                                                                      config):
    channel_id, conversation_id = customer_writes(hub_server, kind, provider, config)
    make_user("agent@shop.test", role="admin")
    headers = token_for(hub_server.client, "agent@shop.test")
    reply = hub_server.client.post(f"/api/v1/conversations/{conversation_id}/messages", headers=headers,
                                   json={"text": "有，明天到貨 🙂"})
    message_id = reply.json()["id"]
    hub_server.sandbox.hang_next(channel_id, HANG)

    assert tasks.send_message(message_id) == "unknown"
    assert shop_messages(hub_server, channel_id) == ["有，明天到貨 🙂"]  # the provider has it
    assert tasks.send_message(message_id) == "skipped"
    tasks.sweep()
    assert shop_messages(hub_server, channel_id) == ["有，明天到貨 🙂"]  # nothing sent it again by itself

    if provider == "meta":  # Graph's receipts echo Hub's reference (biz_opaque_callback_data): settled
        wait_for(lambda: status_of(message_id) == "read", timeout=10, interval=0.1)
        with session_scope() as session:
            message = session.get(Message, message_id)
            assert message is not None and message.provider_message_id is not None
        return
    assert status_of(message_id) == "unknown"
    thread = hub_server.client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=headers).json()
    assert [m["status"] for m in thread if m["id"] == message_id] == ["unknown"]

    path = f"/api/v1/conversations/{conversation_id}/messages/{message_id}/resend"
    again = hub_server.client.post(path, headers=headers)
    assert again.status_code == 202 and again.json()["status"] == "queued"
    assert hub_server.client.post(path, headers=headers).json()["id"] == again.json()["id"]  # a double click
    assert tasks.send_message(again.json()["id"]) == "sent"
    assert shop_messages(hub_server, channel_id) == ["有，明天到貨 🙂", "有，明天到貨 🙂"]
    with session_scope() as session:
        old = session.get(Message, message_id)
        assert old is not None and (old.status, old.error_code) == ("unknown", "resent")
    assert hub_server.client.post(path, headers=headers).json()["id"] == again.json()["id"]


@pytest.mark.parametrize("kind, provider, config", KINDS)
def test_a_timed_out_broadcast_message_is_unknown_and_resent_only_by_the_marketer(hub_server, kind, provider,
                                                                                  config):
    channel_id, _ = customer_writes(hub_server, kind, provider, config)
    make_user("marketer@shop.test", role="admin")
    with session_scope() as session:
        variant = {"name": "A", "text": "春季新品 {{ contact.name }}"}
        campaign = service.create(session=session, data={"name": "春季", "channel_ids": [channel_id],
                                                         "variants": [variant]})
        campaign_id = campaign.id or 0
        session.execute(update(Campaign).where(col(Campaign.id) == campaign_id)  # at any hour
                        .values(quiet_start=None, quiet_end=None))
        session.execute(update(Contact).values(timezone="Asia/Tokyo"))  # unknown: waits for daytime
    with session_scope() as session:
        service.launch(session=session, campaign_id=campaign_id)
    hub_server.sandbox.hang_next(channel_id, HANG)

    result = sender.send_batch(campaign_id)
    assert result.counts["unknown"] == 1, result.counts
    assert len(shop_messages(hub_server, channel_id)) == 1
    with session_scope() as session:
        assert [r.state for r in session.exec(select(Recipient).where(Recipient.campaign_id == campaign_id))] \
            == ["unknown"]
        assert stats.report(session, campaign_id)["unknown"] == 1
    sender.send_batch(campaign_id)
    tasks.sweep()
    assert len(shop_messages(hub_server, channel_id)) == 1  # nothing sent it again by itself

    def states() -> list[str]:
        tasks.drain_inbound()
        run_jobs()  # the campaign's receipt tracking
        with session_scope() as session:
            return [r.state for r in session.exec(select(Recipient).where(Recipient.campaign_id == campaign_id))]

    if provider == "meta":  # settled by Graph's receipts, which name Hub's reference
        wait_for(lambda: states() == ["sent"], timeout=10, interval=0.2)
        with session_scope() as session:
            assert stats.report(session, campaign_id)["unknown"] == 0
        return
    assert states() == ["unknown"]
    headers = token_for(hub_server.client, "marketer@shop.test")
    answer = hub_server.client.post(f"/api/v1/campaigns/{campaign_id}/resend-unknown", headers=headers)
    assert answer.status_code == 200 and answer.json()["resent"] == 1
    sender.send_batch(campaign_id)
    assert len(shop_messages(hub_server, channel_id)) == 2
    assert states() == ["sent"]
    with session_scope() as session:
        assert stats.report(session, campaign_id)["unknown"] == 0
