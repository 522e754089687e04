"""Raw webhook bodies and media files go once past their retention after processing; the sweep is idempotent."""

from __future__ import annotations

import os
from datetime import timedelta

from sqlmodel import select

from hub.conversations.models import Message
from hub.ingest.service import receive
from hub.media import service as media
from hub.privacy import retention
from hub.runtime.db import session_scope, utcnow
from hub.webhooks.models import WebhookEvent
from tests.factories import inbound, make_channel


def test_old_processed_bodies_and_media_go_and_a_second_sweep_changes_nothing(backend):
    channel = make_channel("whatsapp_meta")
    now = utcnow()
    old_key, new_key = media.save(b"\x89PNG\r\n\x1a\nold"), media.save(b"\x89PNG\r\n\x1a\nnew")
    month_ago = (now - timedelta(days=31)).timestamp()
    os.utime(media.path_for(old_key), (month_ago, month_ago))
    with session_scope() as session:
        message = receive(session=session, channel_id=channel.id, inbound=inbound("wamid.1", "+85291110000", "看圖"))
        assert message is not None
        message.payload = {**message.payload, "attachments": [
            {"index": 0, "status": "stored", "key": old_key}, {"index": 1, "status": "stored", "key": new_key}]}
        session.add(message)
        for event_id, processed in (("old", now - timedelta(days=31)), ("recent", now - timedelta(days=29)),
                                    ("waiting", None)):
            session.add(WebhookEvent(provider="meta", channel_id=channel.id, event_id=event_id, body=b"{}",
                                     received_at=now - timedelta(days=40), processed_at=processed))
    assert retention.sweep(now) == {"webhook_months": 0, "webhook_bodies": 1, "media_files": 1}
    assert retention.sweep(now) == {"webhook_months": 0, "webhook_bodies": 0, "media_files": 0}
    with session_scope() as session:
        assert sorted(session.exec(select(WebhookEvent.event_id)).all()) == ["recent", "waiting"]
        stored = session.exec(select(Message)).one().payload["attachments"]
    assert [a["status"] for a in stored] == ["expired", "stored"]
    assert not media.path_for(old_key).exists() and media.path_for(new_key).exists()


def test_zero_days_keeps_everything(backend, monkeypatch):
    from hub.runtime.settings import get_settings

    monkeypatch.setenv("HUB_WEBHOOK_RETENTION_DAYS", "0")
    monkeypatch.setenv("HUB_MEDIA_RETENTION_DAYS", "0")
    get_settings.cache_clear()
    channel = make_channel("whatsapp_meta")
    with session_scope() as session:
        session.add(WebhookEvent(provider="meta", channel_id=channel.id, event_id="old", body=b"{}",
                                 processed_at=utcnow() - timedelta(days=400)))
    assert retention.sweep() == {"webhook_months": 0, "webhook_bodies": 0, "media_files": 0}
