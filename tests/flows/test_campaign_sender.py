"""Broadcast sending against the provider sandbox: each recipient once, throttled, through 429s, STOPs,
pauses and a worker killed at random moments."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, update
from sqlmodel import col

from channels import StatusUpdate
from channels.sandbox import SandboxState
from channels.sandbox.meta_events import envelope, status_value
from channels.sandbox.serve import RunningSandbox, serve_sandbox
from channels.sandbox.webhooks import meta_webhook
from flows.campaigns import jobs, prepare, sender, service, stats
from flows.campaigns.models import Campaign, CampaignStatus, Recipient
from hub.channel_records.models import Channel
from hub.channel_records.service import as_config
from hub.composition import create_app
from hub.contacts.models import ChannelIdentity, Contact
from hub.contacts.service import record_consent
from hub.conversations import service as conversations
from hub.conversations.models import Message, PendingReceipt
from hub.jobs import tasks
from hub.jobs.worker import HubWorker
from hub.outbound import throttle
from hub.runtime import broker
from hub.runtime.db import session_scope, utcnow
from tests.conftest import start_process, wait_for
from tests.factories import make_channel

TEMPLATE = {"name": "spring_sale", "language": "en", "params": ["{{ contact.first_name }}"]}


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with serve_sandbox(SandboxState(max_messages=20_000, receipts="off")) as running:
        yield running


def phone(n: int) -> str:
    return f"+8526{n:07d}"


def make_campaign(sandbox: RunningSandbox, n: int, throttle_per_second: float | None = 1000.0) -> tuple[int, int]:
    """A running WhatsApp campaign (a template: no 24-hour window needed) to `n` new contacts."""
    # the sending engine, not consent (tests/flows/test_marketing_consent.py): no opt-in needed here
    channel = make_channel("whatsapp_meta", config={"api_base": sandbox.api_base("meta")},
                           marketing_consent_required=False)
    now = utcnow()
    with session_scope() as session:
        campaign = Campaign(name="Spring sale", status=CampaignStatus.running.value, channel_ids=[channel.id],
                            template=TEMPLATE, quiet_start=None, quiet_end=None,
                            throttle_per_second=throttle_per_second, launched_at=now)
        session.add(campaign)
        session.flush()
        session.execute(update(Campaign).where(col(Campaign.id) == campaign.id)  # None would take the default
                        .values(quiet_start=None, quiet_end=None))
        first = session.execute(select(func.coalesce(func.max(Contact.id), 0))).scalar_one() + 1
        # a known zone: with the campaign's quiet hours off nothing waits (an unknown zone waits for daytime)
        session.execute(insert(Contact), [{"id": first + i, "name": f"客人 {i}", "custom_fields": {},
                                           "timezone": "Asia/Hong_Kong",
                                           "created_at": now, "updated_at": now} for i in range(n)])
        session.execute(insert(ChannelIdentity), [
            {"contact_id": first + i, "kind": "whatsapp", "value": phone(i), "phone": phone(i), "verified": False,
             "created_at": now} for i in range(n)])
        session.execute(insert(Recipient), [
            {"campaign_id": campaign.id, "contact_id": first + i, "channel_id": channel.id, "variant": "A",
             "state": "pending", "due_at": now, "attempts": 0} for i in range(n)])
        assert campaign.id is not None and channel.id is not None
        return campaign.id, channel.id


def calls(sandbox: RunningSandbox, channel_id: int) -> Counter[str]:
    return Counter(r.customer for r in sandbox.state.messages(channel_id, direction="out"))


def states(campaign_id: int) -> Counter[str]:
    with session_scope() as session:
        return Counter(session.execute(select(Recipient.state).where(Recipient.campaign_id == campaign_id)).scalars())


def campaign_status(campaign_id: int) -> str:
    with session_scope() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return campaign.status


def run_until_done(campaign_id: int, limit: int = 500, rounds: int = 50) -> None:
    for _ in range(rounds):
        sender.send_batch(campaign_id, limit=limit)
        if campaign_status(campaign_id) == CampaignStatus.done.value:
            return
        with session_scope() as session:  # skip backoff waits
            session.execute(update(Recipient).where(col(Recipient.campaign_id) == campaign_id,
                                                    col(Recipient.state) == "pending").values(due_at=utcnow()))
    raise AssertionError(f"campaign not done: {states(campaign_id)}")


def test_each_recipient_gets_exactly_one_message(backend, sandbox):
    campaign_id, channel_id = make_campaign(sandbox, 150)
    run_until_done(campaign_id, limit=40)
    seen = calls(sandbox, channel_id)
    assert len(seen) == 150 and set(seen.values()) == {1}
    assert states(campaign_id) == {"sent": 150}
    with session_scope() as session:
        messages = session.execute(select(Message).where(col(Message.client_key).like("broadcast:%"))).scalars().all()
        assert len(messages) == 150 and {m.status for m in messages} == {"sent"}
        assert all(m.provider_message_id for m in messages)
        linked = session.execute(select(func.count()).select_from(Recipient).where(
            col(Recipient.message_id).is_not(None))).scalar_one()
        assert linked == 150


def test_running_the_job_again_sends_nothing_twice(backend, sandbox):
    campaign_id, channel_id = make_campaign(sandbox, 30)
    run_until_done(campaign_id)
    # a worker that "died" after its results were stored: its recipients look held with a lapsed lease
    with session_scope() as session:
        session.execute(update(Recipient).where(col(Recipient.campaign_id) == campaign_id)
                        .values(state="sending", lease_until=utcnow() - timedelta(seconds=1)))
        session.execute(update(Campaign).where(col(Campaign.id) == campaign_id).values(status="running"))
    for _ in range(2):
        jobs.run_batch(campaign_id)
    assert set(calls(sandbox, channel_id).values()) == {1} and len(calls(sandbox, channel_id)) == 30
    assert states(campaign_id) == {"sent": 30}
    assert tasks.sweep() == {"queued": 0, "interrupted": 0, "woken": 0}  # a broadcast's: not its business


def test_a_429_is_retried_without_duplicates(backend, sandbox):
    campaign_id, channel_id = make_campaign(sandbox, 20)
    sandbox.state.fail_next(channel_id, status=429, retry_after=0, times=5)
    first = sender.send_batch(campaign_id)
    assert first.counts["retried"] == 5 and first.counts["sent"] == 15
    run_until_done(campaign_id)
    seen = calls(sandbox, channel_id)
    assert len(seen) == 20 and set(seen.values()) == {1}
    with session_scope() as session:
        attempts = sorted(session.execute(select(Recipient.attempts).where(
            col(Recipient.campaign_id) == campaign_id)).scalars())
    assert attempts.count(2) == 5 and attempts.count(1) == 15


def test_a_permanent_error_fails_the_recipient_with_the_reason(backend, sandbox):
    campaign_id, channel_id = make_campaign(sandbox, 3)
    sandbox.state.fail_next(channel_id, permanent=True, times=1)
    run_until_done(campaign_id)
    with session_scope() as session:
        failed = session.execute(select(Recipient).where(col(Recipient.state) == "failed")).scalars().all()
    assert len(failed) == 1 and "24 hours" in (failed[0].reason or "")
    assert states(campaign_id) == {"sent": 2, "failed": 1}


def test_stop_mid_campaign_sends_nothing_more_to_that_contact(backend, sandbox, monkeypatch):
    monkeypatch.setattr(sender, "CHUNK", 5)
    campaign_id, channel_id = make_campaign(sandbox, 10)
    assert sender.send_batch(campaign_id, limit=5).counts["sent"] == 5
    with session_scope() as session:
        stopper = session.execute(select(Recipient).where(col(Recipient.campaign_id) == campaign_id,
                                                          col(Recipient.state) == "pending")).scalars().first()
        assert stopper is not None
        record_consent(session=session, contact_id=stopper.contact_id, channel_id=channel_id, status="opted_out",
                       source="STOP")
    run_until_done(campaign_id)
    assert states(campaign_id) == {"sent": 9, "skipped": 1}
    with session_scope() as session:
        skipped = session.execute(select(Recipient).where(col(Recipient.state) == "skipped")).scalars().one()
        assert skipped.reason == service.SKIP_OPTED_OUT and skipped.message_id is None
    seen = calls(sandbox, channel_id)
    assert len(seen) == 9 and set(seen.values()) == {1}


def test_pause_stops_and_resume_continues(backend, sandbox, monkeypatch):
    monkeypatch.setattr(sender, "CHUNK", 5)
    campaign_id, channel_id = make_campaign(sandbox, 12, throttle_per_second=5)
    sent_chunks = []
    real = sender._send_chunk

    async def pausing(campaign, channel, rate, items, *rest):  # pause as the first chunk is sent
        sending = await real(campaign, channel, rate, items, *rest)
        if sending:  # False: the campaign was no longer running, nothing of this chunk claimed or sent
            sent_chunks.append(len(items))
        if len(sent_chunks) == 1:
            with session_scope() as session:
                service.pause(session=session, campaign_id=campaign_id)
        return sending

    monkeypatch.setattr(sender, "_send_chunk", pausing)
    first = sender.send_batch(campaign_id)
    assert sent_chunks == [5] and first.counts["released"] == 7
    assert sender.send_batch(campaign_id).claimed == 0  # paused: nothing claimed
    assert len(calls(sandbox, channel_id)) == 5 and states(campaign_id) == {"sent": 5, "pending": 7}
    with session_scope() as session:
        service.resume(session=session, campaign_id=campaign_id)
    run_until_done(campaign_id)
    seen = calls(sandbox, channel_id)
    assert len(seen) == 12 and set(seen.values()) == {1}


def test_quiet_hours_defer_and_never_drop(backend, sandbox):
    campaign_id, channel_id = make_campaign(sandbox, 4)
    now = utcnow()
    start, end = (now - timedelta(hours=1)).strftime("%H:%M"), (now + timedelta(hours=2)).strftime("%H:%M")
    with session_scope() as session:
        session.execute(update(Campaign).where(col(Campaign.id) == campaign_id)
                        .values(quiet_start=start, quiet_end=end))
        session.execute(update(Contact).values(timezone="UTC"))
    result = sender.send_batch(campaign_id)
    assert result.counts["deferred"] == 4 and not calls(sandbox, channel_id)
    with session_scope() as session:
        rows = session.execute(select(Recipient).where(col(Recipient.campaign_id) == campaign_id)).scalars().all()
    assert {r.state for r in rows} == {"pending"} and all(r.due_at and r.due_at > now for r in rows)
    assert {r.attempts for r in rows} == {0}


def test_the_throttle_holds_one_rate_across_two_workers(backend, sandbox):
    campaign_id, channel_id = make_campaign(sandbox, 60, throttle_per_second=20)
    threads = [threading.Thread(target=sender.send_batch, args=(campaign_id,), kwargs={"limit": 30})
               for _ in range(2)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    run_until_done(campaign_id)
    elapsed = time.monotonic() - started
    records = sandbox.state.messages(channel_id, direction="out")
    assert len(records) == 60 and set(calls(sandbox, channel_id).values()) == {1}
    # 60 messages at 20/s with a burst of 20: at least two seconds; no second holds much over 20 + burst
    assert elapsed >= 1.8
    stamps = sorted(r.at for r in records)
    busiest = max(sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps)
    assert busiest <= 45


def test_the_bucket_answers_the_wait(backend):
    waits = [throttle.take(99, 10, rate=10.0) for _ in range(3)]
    assert waits[0] == pytest.approx(0.0, abs=0.05)
    assert waits[1] == pytest.approx(1.0, abs=0.2) and waits[2] == pytest.approx(2.0, abs=0.2)


@pytest.mark.slow
def test_a_worker_killed_at_random_points_never_calls_anyone_twice(pg_backend, sandbox, tmp_path):
    n = 2000
    campaign_id, channel_id = make_campaign(sandbox, n, throttle_per_second=250)
    env = dict(os.environ)
    jobs.kick(campaign_id)
    kills = 0
    rng = random.Random(7)
    for round_ in range(3):
        worker = start_process(["worker"], env, tmp_path / f"worker{round_}.log")
        jobs.kick(campaign_id)
        time.sleep(rng.uniform(2.0, 4.0))
        if campaign_status(campaign_id) == CampaignStatus.done.value:
            worker.terminate()
            worker.wait(20)
            break
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        kills += 1
    final = start_process(["worker"], env, tmp_path / "worker-final.log")
    try:
        wait_for(lambda: campaign_status(campaign_id) == CampaignStatus.done.value, timeout=240, interval=1)
    finally:
        final.terminate()
        final.wait(timeout=20)
    seen = calls(sandbox, channel_id)
    assert max(seen.values()) == 1, "a recipient was called twice"
    with session_scope() as session:
        rows = session.execute(select(Recipient.id, Recipient.state, Recipient.reason, Recipient.contact_id,
                                      Message.error_code).outerjoin(Message, col(Message.id) == Recipient.message_id)
                               .where(col(Recipient.campaign_id) == campaign_id)).all()
        phones = dict(session.execute(select(ChannelIdentity.contact_id, ChannelIdentity.phone)).all())
    # a message in flight when its worker died is `unknown`, and so is its recipient (the sweeper may mark the
    # message first; the sender settles the recipient from it)
    interrupted = [row for row in rows if row.state == "unknown" and row.error_code == prepare.INTERRUPTED]
    for row in rows:
        called = seen.get(phones[row.contact_id], 0)
        assert (row.state == "sent" and called == 1) or (row in interrupted and called <= 1), row
    assert len(interrupted) <= kills * sender.CHUNK

    deliver_receipts(sandbox, channel_id, ("delivered",))  # Graph's receipts name Hub's reference
    with session_scope() as session:
        after = dict(session.execute(select(Recipient.contact_id, Recipient.state)
                                     .where(col(Recipient.campaign_id) == campaign_id)).all())
    for contact_id, state in after.items():  # now: sent exactly when the provider took it, once
        assert state == ("sent" if seen.get(phones[contact_id], 0) == 1 else "unknown"), (contact_id, state)
    print(f"kills={kills} interrupted={len(interrupted)}, of which the provider never got "
          f"{sum(1 for state in after.values() if state == 'unknown')}")


def deliver_receipts(sandbox: RunningSandbox, channel_id: int, stages: tuple[str, ...]) -> None:
    """Post the sandbox's status webhooks of every message it took to Hub, then run the jobs they queue."""
    with session_scope() as session:
        config = as_config(session.get(Channel, channel_id))
    with TestClient(create_app()) as client:
        for record in sandbox.state.messages(channel_id, direction="out"):
            for status in stages:
                webhook = meta_webhook(config, envelope(config, status_value(config, record, status)))
                assert client.post(urlsplit(webhook.url).path, content=webhook.body,
                                   headers=webhook.headers).status_code == 200
    HubWorker([broker.queue(name) for name in broker.QUEUES], connection=broker.connection()).work(burst=True)


def test_receipts_bring_back_a_chunk_whose_worker_died_before_recording_it(backend, sandbox, monkeypatch):
    """The provider took the chunk, the worker died before writing that down: the recipients end up `unknown`.
    Graph's receipts carry the reference Hub sent (biz_opaque_callback_data), so when they come
    the messages take their wamids and the recipients count as sent, delivered and read after all."""
    campaign_id, channel_id = make_campaign(sandbox, 3)

    def dies(*_args: object) -> None:
        raise RuntimeError("the worker died here")

    monkeypatch.setattr(sender, "record", dies)
    with pytest.raises(RuntimeError):
        sender.send_batch(campaign_id)
    monkeypatch.undo()
    assert len(calls(sandbox, channel_id)) == 3  # the provider took all three
    past = utcnow() - timedelta(minutes=1)
    with session_scope() as session:  # the dead worker's leases run out
        session.execute(update(Recipient).where(col(Recipient.campaign_id) == campaign_id).values(lease_until=past))
        session.execute(update(Message).where(col(Message.channel_id) == channel_id).values(lease_until=past))
    sender.send_batch(campaign_id)
    assert states(campaign_id) == {"unknown": 3}
    with session_scope() as session:
        assert stats.report(session, campaign_id)["unknown"] == 3
    deliver_receipts(sandbox, channel_id, ("sent", "delivered", "read"))

    assert states(campaign_id) == {"sent": 3}
    with session_scope() as session:
        numbers = stats.counts(session, campaign_id)
        messages = session.execute(select(Message.status, Message.provider_message_id, Message.error_code)
                                   .where(col(Message.channel_id) == channel_id)).all()
    assert (numbers["sent"], numbers["delivered"], numbers["read"], numbers["failed"]) == (3, 3, 3, 0)
    wamids = {record.provider_message_id for record in sandbox.state.messages(channel_id, direction="out")}
    assert {(m.status, m.error_code) for m in messages} == {("read", None)}
    assert {m.provider_message_id for m in messages} == wamids
    assert max(calls(sandbox, channel_id).values()) == 1  # and nobody was sent it again


def test_a_receipt_never_takes_a_message_its_worker_may_still_record(backend, sandbox):
    """While the sending worker's lease runs, a receipt that names the message waits, as any early receipt."""
    campaign_id, channel_id = make_campaign(sandbox, 1)
    with session_scope() as session:
        rows = prepare.claim(session, campaign_id, 10)
        campaign = session.get(Campaign, campaign_id)
        ready, _ = prepare.prepare(session, campaign, rows)
        message_id = ready[0].message_id
        session.execute(update(Message).where(col(Message.id) == message_id).values(
            status="sending", lease_until=utcnow() + timedelta(seconds=30)))
    receipt = StatusUpdate(provider_message_id="wamid.early", status="delivered", at=utcnow(),
                           reference=conversations.reference_of(message_id))
    with session_scope() as session:
        conversations.apply_receipts(session=session, receipts=[(channel_id, receipt)])
    with session_scope() as session:
        message = session.get(Message, message_id)
        assert (message.status, message.provider_message_id) == ("sending", None)
        assert session.execute(select(func.count()).select_from(PendingReceipt)).scalar_one() == 1
        other = StatusUpdate(provider_message_id="wamid.other", status="delivered", at=utcnow(),
                             reference=conversations.reference_of(message_id + 999))
        conversations.apply_receipts(session=session, receipts=[(channel_id, other)])  # no such message: kept
    with session_scope() as session:
        assert session.execute(select(func.count()).select_from(PendingReceipt)).scalar_one() == 2


def test_unknown_recipients_the_provider_never_got_can_be_sent_again(backend, sandbox, monkeypatch):
    """The worker dies after claiming a chunk and before any call left: nobody has the message, no receipt
    will come. The marketer sends to them again: each gets it once, and the campaign ends done."""
    campaign_id, channel_id = make_campaign(sandbox, 3)

    async def dies_before_calling(*_args: object) -> None:
        raise SystemExit("the worker died here")

    monkeypatch.setattr("channels.meta.adapter.MetaWhatsApp.send", dies_before_calling)
    with pytest.raises(SystemExit):
        sender.send_batch(campaign_id)
    monkeypatch.undo()
    past = utcnow() - timedelta(minutes=1)
    with session_scope() as session:
        session.execute(update(Recipient).where(col(Recipient.campaign_id) == campaign_id).values(lease_until=past))
        session.execute(update(Message).where(col(Message.channel_id) == channel_id).values(lease_until=past))
    sender.send_batch(campaign_id)
    assert states(campaign_id) == {"unknown": 3} and len(calls(sandbox, channel_id)) == 0
    assert campaign_status(campaign_id) == CampaignStatus.done.value
    with session_scope() as session:
        assert stats.report(session, campaign_id)["interrupted"] == 3
        campaign, resent = service.resend_unknown(session=session, campaign_id=campaign_id)
    assert resent == 3 and campaign.status == CampaignStatus.running.value
    run_until_done(campaign_id)
    assert states(campaign_id) == {"sent": 3}
    assert sorted(calls(sandbox, channel_id).values()) == [1, 1, 1]
    with session_scope() as session:
        assert stats.report(session, campaign_id)["interrupted"] == 0
        keys = sorted(session.execute(select(Message.client_key).where(col(Message.channel_id) == channel_id))
                      .scalars())
    assert len(keys) == 6 and sum(":was:" in key for key in keys) == 3  # the unknown ones stay, their keys freed
