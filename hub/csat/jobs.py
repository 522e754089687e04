"""The survey's jobs: a resolution schedules one (a listener only enqueues; the job takes the id and opens its
own session), and the sweep sends those whose delay has passed. Both are safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from hub.csat import service
from hub.runtime import Periodic, broker, events
from hub.runtime.db import session_scope

QUEUE = "inbound"


def on_conversation_updated(event: events.Event) -> None:
    """A conversation was resolved: schedule its survey."""
    if event.data.get("status") == "resolved" and event.data.get("conversation_id"):
        broker.enqueue(QUEUE, schedule_survey, int(event.data["conversation_id"]))


def schedule_survey(conversation_id: int) -> str:
    """The job: a survey for this resolution (sent now when it has no delay)."""
    with session_scope() as session:
        survey = service.schedule(session, conversation_id)
        return "nothing to ask" if survey is None else survey.status


def send_due_surveys() -> int:
    """The periodic sweep: surveys whose delay has passed, and resolutions whose job Redis lost are
    not found here (their setting's delay is the only record), so the listener's job matters."""
    with session_scope() as session:
        return service.send_due(session)


SWEEP = Periodic(send_due_surveys, every=timedelta(seconds=30))
