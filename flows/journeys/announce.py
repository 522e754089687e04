"""The journeys' own events, emitted in the transaction that makes the change (so the outgoing webhooks'
outbox commits with it): a run that ended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hub.runtime import events

RUN_FINISHED = "flow.run.finished"
"""A run ended: data run_id, flow_id, contact_id, status (completed, converted, exited, failed, cancelled),
reason, ended_at."""


def run_finished(session: Session, *, run_id: int, flow_id: int, contact_id: int, status: str, reason: str | None,
                 ended_at: datetime) -> None:
    events.emit(session, RUN_FINISHED, run_id=run_id, flow_id=flow_id, contact_id=contact_id, status=status,
                reason=reason, ended_at=ended_at)
