"""Admins see what went wrong: failed jobs and webhook events Hub could not process."""

from fastapi.testclient import TestClient

from hub.composition import create_app
from hub.jobs.tasks import drain_inbound
from hub.jobs.worker import HubWorker
from hub.runtime import broker
from hub.runtime.db import session_scope
from hub.webhooks.models import WebhookEvent
from tests.factories import make_channel, make_user, token_for


def boom(reason: str) -> None:
    raise RuntimeError(reason)


def test_failed_jobs_and_dead_events_are_visible_to_admins_only(backend):
    channel = make_channel("telegram")
    make_user("boss@shop.test", role="admin")
    make_user("agent@shop.test")
    with session_scope() as session:  # stored, but its body is no Telegram update
        session.add(WebhookEvent(provider="telegram", channel_id=channel.id, event_id="1", body=b'{"update_id": 1}x'))
    drain_inbound()
    broker.queue("bulk").enqueue(boom, "the disk is full")
    HubWorker([broker.queue("bulk")], connection=broker.connection()).work(burst=True)
    with TestClient(create_app()) as client:
        admin = token_for(client, "boss@shop.test")
        events = client.get("/api/v1/admin/webhook-events/failed", headers=admin).json()
        assert [(e["event_id"], e["processed_at"] is not None) for e in events] == [("1", True)]
        assert events[0]["error"].startswith("ParseError")
        jobs = client.get("/api/v1/admin/jobs/failed", headers=admin).json()
        assert jobs[0]["error"] == "RuntimeError: the disk is full" and jobs[0]["queue"] == "bulk"
        assert client.post(f"/api/v1/admin/jobs/failed/{jobs[0]['id']}/requeue", headers=admin).status_code == 202
        agent = token_for(client, "agent@shop.test")
        assert client.get("/api/v1/admin/jobs/failed", headers=agent).status_code == 403
