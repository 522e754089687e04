"""RQ jobs. Each takes ids, opens its own session, and is safe to run twice."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col

from hub.channel_records.models import Channel
from hub.channel_records.service import adapter_of, as_config
from hub.conversations import activity, outbound
from hub.conversations.models import (
    ActivityKind,
    Conversation,
    ConversationStatus,
    Message,
    MessageStatus,
)
from hub.ingest import service as ingest
from hub.media import service as media
from hub.outbound import engine, throttle
from hub.runtime import broker, enqueue_once, metrics, release
from hub.runtime.db import session_scope, utcnow
from hub.runtime.settings import get_settings

log = logging.getLogger(__name__)

DRAIN_FLAG_SECONDS = 30
QUEUED_GRACE = timedelta(seconds=30)


def drain_key() -> str:
    return broker.key("ingest", "scheduled")


def schedule_drain() -> bool:
    """Make sure one drain job is queued; many webhooks in a burst share it. (Redis down: the event is
    stored, and the inbox's sweep finds it.)"""
    return enqueue_once("inbound", drain_inbound, key=drain_key(), hold_seconds=DRAIN_FLAG_SECONDS, job_timeout=600)


def wake_drain(event_ids: list[int]) -> None:
    """The inbox found channel events whose drain was lost: queue a new one even if the flag says one is queued."""
    release(drain_key())
    schedule_drain()


def drain_inbound(max_batches: int = 50) -> int:
    """Process stored webhook events until none are left (or `max_batches`, then requeue)."""
    release(drain_key())
    total = 0
    started = time.perf_counter()
    for _ in range(max_batches):
        with session_scope() as session:
            claimed = ingest.claim(session=session)
            if not claimed:
                break
            done, _failed = ingest.process_claimed(session=session, events=claimed)
            total += done
    else:
        schedule_drain()
    metrics.JOB_SECONDS.labels("drain_inbound").observe(time.perf_counter() - started)
    return total


def send_message(message_id: int) -> str:
    """Send one queued message of a one-by-one sender (a reply, a bot's, a system notice) through the
    delivery engine. A second run finds it claimed or settled and does nothing."""
    started = time.perf_counter()
    with session_scope() as session:
        if not engine.claim(session, [message_id], outbound.SEND_LEASE):
            return "skipped"
        session.commit()
        message = session.get(Message, message_id)
        assert message is not None
        channel = session.get(Channel, message.channel_id)
        assert channel is not None and channel.id is not None
        try:
            conversation = session.get(Conversation, message.conversation_id, populate_existing=True)
            assert conversation is not None
            if engine.taken_by_person(message, conversation):
                engine.fail(session, [message_id], engine.HUMAN_MODE, engine.TAKEN)  # taken since the claim
                return "failed"
            if "system" not in message.payload:
                outbound.refuse_if_opted_out(session=session, conversation=conversation, channel=channel)
            out = outbound.build_outbound(session=session, message=message)
        except outbound.ReplyRefused as refused:
            engine.fail(session, [message_id], "no_address", str(refused))
            return "failed"
        attempts = message.attempts
        session.expunge(channel)
    _take_token(channel)
    [result] = asyncio.run(engine.send(channel, [out]))
    with session_scope() as session:
        recorded = engine.record(session, [engine.Outcome(message_id, result, attempts)])[message_id]
    if recorded.status == MessageStatus.queued.value and recorded.due is not None:
        broker.queue("outbound").enqueue_in(max(timedelta(0), recorded.due - utcnow()), send_message, message_id)
    metrics.JOB_SECONDS.labels("send_message").observe(time.perf_counter() - started)
    return recorded.status


def _take_token(channel: Channel) -> None:
    """A reply takes its token from the channel's bucket without waiting for it: a customer in a
    conversation goes first, and a running broadcast slows down by as much."""
    try:
        assert channel.id is not None
        throttle.take(channel.id, 1, throttle.rate_for(channel.kind))
    except Exception as error:  # Redis down: the reply still goes
        log.warning("could not count a reply against the channel's throttle: %s", error)


def fetch_media(message_id: int) -> str:
    """Fetch every attachment of an inbound message into the media store. Safe to run again."""
    with session_scope() as session:
        message = session.get(Message, message_id)
        if message is None:
            return "gone"
        channel = session.get(Channel, message.channel_id)
        assert channel is not None
        todo = [i for i in range(media.attachment_count(message)) if media.stored_attachment(message, i) is None]
        config, payload = as_config(channel), dict(message.payload)
    limit, transient = get_settings().media_max_bytes, False
    for index in todo:
        fetched = asyncio.run(adapter_of(config.kind).fetch_media(config, payload, index, limit))
        entry: dict[str, object]
        if fetched.ok:
            try:
                content_type = media.check(fetched.content, fetched.content_type)
                entry = {"status": "stored", "key": media.save(fetched.content), "content_type": content_type,
                         "size": len(fetched.content), "filename": fetched.filename}
            except media.Rejected as rejected:
                entry = {"status": "failed", "error": str(rejected)}
        else:
            transient = transient or not fetched.permanent
            entry = {"status": "failed", "error": fetched.error or "download failed"}
        with session_scope() as session:
            message = session.get(Message, message_id)
            assert message is not None
            media.record(session=session, message=message, index=index, entry=entry)
    if transient:
        raise RuntimeError("a download failed for a reason that may pass; RQ retries with backoff")
    return "done"


def acknowledge_tap(message_id: int) -> str:
    """Answer the provider for a customer's button tap (Telegram: `answerCallbackQuery`). Once is enough: a
    second answer is refused by Telegram as too old, and that changes nothing."""
    with session_scope() as session:
        message = session.get(Message, message_id)
        channel = session.get(Channel, message.channel_id) if message is not None else None
        if message is None or channel is None:
            return "gone"
        config, payload = as_config(channel), dict(message.payload)
    result = asyncio.run(adapter_of(config.kind).acknowledge(config, payload))
    if result is None:
        return "nothing to answer"
    if not result.ok:
        log.info("tap %s not acknowledged: %s %s", message_id, result.error_code, result.error_reason)
        return "refused"
    return "acknowledged"


def sweep() -> dict[str, int]:
    """Recover from lost send jobs and dead workers; wake snoozed conversations. (Stored webhook events
    whose drain was lost are the inbox's sweep: `hub.runtime.inbox`.)"""
    now = utcnow()
    counts = {"queued": 0, "interrupted": 0, "woken": 0}
    with session_scope() as session:
        queued = engine.due_for_job(session, now - QUEUED_GRACE, now)
        interrupted = engine.mark_lapsed(session, now)  # `unknown`: never sent again by itself
        woken = session.execute(
            update(Conversation)
            .where(col(Conversation.status) == ConversationStatus.snoozed.value,
                   col(Conversation.snoozed_until) <= now)
            .values(status=ConversationStatus.open.value, snoozed_until=None)
            .returning(col(Conversation.id))
        ).scalars().all()
        activity.record_many(session, conversation_ids=list(woken), kind=ActivityKind.reopened, actor=activity.SYSTEM,
                             reason="the snooze ended")
        counts["woken"] = len(woken)
        counts["interrupted"] = len(interrupted)
    for message_id in queued:
        broker.queue("outbound").enqueue(send_message, message_id)
    counts["queued"] = len(queued)
    return counts
