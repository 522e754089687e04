"""What admins need to see when something goes wrong: failed jobs and webhook events Hub gave up on."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlmodel import col, select

from hub.api.deps import AdminUser, DbSession
from hub.runtime import broker
from hub.webhooks.models import WebhookEvent

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


class FailedJob(BaseModel):
    id: str
    queue: str
    function: str | None
    args: list[Any]
    ended_at: datetime | None
    error: str | None


class FailedEvent(BaseModel):
    id: int
    provider: str
    channel_id: int
    event_id: str
    received_at: datetime
    processed_at: datetime | None
    attempts: int
    error: str | None


@router.get("/jobs/failed", response_model=list[FailedJob])
def failed_jobs(admin: AdminUser, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[FailedJob]:
    """Jobs that failed after their retries, newest first, with the last line of their error."""
    found: list[FailedJob] = []
    for name in broker.QUEUES:
        registry = FailedJobRegistry(queue=broker.queue(name))
        for job in Job.fetch_many(registry.get_job_ids(0, limit - 1), connection=broker.connection()):
            if job is None:
                continue
            error = (job.exc_info or "").strip().splitlines()
            found.append(FailedJob(id=job.id, queue=name, function=job.func_name, args=list(job.args or ()),
                                   ended_at=job.ended_at, error=error[-1] if error else None))
    return sorted(found, key=lambda j: j.ended_at or datetime.min, reverse=True)[:limit]


@router.post("/jobs/failed/{job_id}/requeue", status_code=202)
def requeue(job_id: str, admin: AdminUser) -> dict[str, str]:
    """Run a failed job again (every job is safe to run twice)."""
    for name in broker.QUEUES:
        registry = FailedJobRegistry(queue=broker.queue(name))
        if job_id in registry.get_job_ids():
            registry.requeue(job_id)
            return {"status": "requeued", "queue": name}
    raise HTTPException(404, "no failed job with that id")


@router.get("/webhook-events/failed", response_model=list[FailedEvent])
def failed_events(session: DbSession, admin: AdminUser,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[FailedEvent]:
    """Webhook events whose processing failed (still retrying, or given up on), newest first."""
    rows = session.exec(select(WebhookEvent).where(col(WebhookEvent.error).is_not(None))
                        .order_by(col(WebhookEvent.id).desc()).limit(limit))
    return [FailedEvent.model_validate(row, from_attributes=True) for row in rows]
