"""RQ jobs. Each takes ids, opens its own session, and is safe to run twice."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, select

from channels.retry import backoff_seconds
from hub import broker, metrics
from hub.channel_records.models import Channel
from hub.channel_records.service import adapter_of, as_config
from hub.conversations import activity, outbound
from hub.conversations.models import ActivityKind, Conversation, ConversationStatus, Message, MessageStatus
from hub.db import session_scope, utcnow
from hub.ingest import service as ingest
from hub.media import service as media
from hub.settings import get_settings
from hub.webhooks.models import WebhookEvent

log = logging.getLogger(__name__)

DRAIN_FLAG_SECONDS = 30
QUEUED_GRACE = timedelta(seconds=30)
STALE_EVENT = timedelta(seconds=5)


def schedule_drain() -> None:
    """Make sure one drain job is queued; many webhooks in a burst share it."""
    try:
        if broker.connection().set(broker.key("ingest", "scheduled"), 1, nx=True, ex=DRAIN_FLAG_SECONDS):
            broker.queue("inbound").enqueue(drain_inbound, job_timeout=600, retry=broker.retry())
    except Exception as error:  # Redis down: the event is stored, the sweeper will find it
        log.warning("could not schedule ingest: %s", error)


def drain_inbound(max_batches: int = 50) -> int:
    """Process stored webhook events until none are left (or `max_batches`, then requeue)."""
    broker.connection().delete(broker.key("ingest", "scheduled"))
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
    """Send one queued reply. A second run finds it claimed or sent and does nothing."""
    started = time.perf_counter()
    with session_scope() as session:
        if not outbound.claim_for_sending(session=session, message_id=message_id):
            return "skipped"
        message = session.get(Message, message_id)
        assert message is not None
        channel = session.get(Channel, message.channel_id)
        assert channel is not None
        try:
            if "system" not in message.payload:
                conversation = session.get(Conversation, message.conversation_id)
                assert conversation is not None
                outbound.refuse_if_opted_out(session=session, conversation=conversation, channel=channel)
            out = outbound.build_outbound(session=session, message=message)
        except outbound.ReplyRefused as refused:
            outbound.fail(session=session, message_id=message_id, code="no_address", reason=str(refused))
            return "failed"
        config, attempts = as_config(channel), message.attempts
    adapter = adapter_of(config.kind)
    result = asyncio.run(adapter.send(config, out))
    retry = attempts < outbound.MAX_SEND_ATTEMPTS
    delay = timedelta(seconds=backoff_seconds(attempts, result.retry_after))
    with session_scope() as session:
        saved = outbound.record_result(session=session, message_id=message_id, result=result, retry=retry,
                                       hold=delay)
        status = saved.status
    if status == MessageStatus.queued.value:
        broker.queue("outbound").enqueue_in(delay, send_message, message_id)
    metrics.JOB_SECONDS.labels("send_message").observe(time.perf_counter() - started)
    return status


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


def sweep(stale_after: timedelta = STALE_EVENT) -> dict[str, int]:
    """Recover from lost jobs and dead workers; wake snoozed conversations."""
    now = utcnow()
    counts = {"events": 0, "queued": 0, "interrupted": 0, "woken": 0}
    with session_scope() as session:
        counts["events"] = len(session.exec(
            select(WebhookEvent.id).where(col(WebhookEvent.processed_at).is_(None),
                                          col(WebhookEvent.received_at) <= now - stale_after).limit(1)).all())
        queued = session.exec(select(Message.id).where(
            col(Message.status) == MessageStatus.queued.value, col(Message.created_at) < now - QUEUED_GRACE,
            (col(Message.lease_until).is_(None)) | (col(Message.lease_until) < now)).limit(1000)).all()
        interrupted = session.exec(select(Message.id).where(
            col(Message.status) == MessageStatus.sending.value, col(Message.lease_until) < now)).all()
        for message_id in interrupted:
            assert message_id is not None
            outbound.fail(session=session, message_id=message_id, code="interrupted",
                          reason="the worker stopped while sending; it may not have gone out — check and retry")
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
    if counts["events"]:
        broker.connection().delete(broker.key("ingest", "scheduled"))
        schedule_drain()
    for message_id in queued:
        broker.queue("outbound").enqueue(send_message, message_id)
    counts["queued"] = len(queued)
    return counts
