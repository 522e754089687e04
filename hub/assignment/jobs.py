"""Assignment jobs and the listeners that enqueue them. Jobs take ids, open their own session,
and are safe to run twice (a decision only claims a conversation that is still unassigned)."""

from __future__ import annotations

import logging
import time
from typing import Literal

from hub.assignment import service
from hub.runtime import broker, enqueue_once, events, release
from hub.runtime.db import session_scope

log = logging.getLogger(__name__)

QUEUE = "inbound"
QUEUE_FLAG_SECONDS = 30
DEBOUNCE_SECONDS = 1.0
FREEING = {"resolved", "snoozed", "pending"}
_last_scheduled = 0.0


def assign(conversation_id: int) -> str:
    """Give one conversation to an agent if it is open, unassigned and covered by a policy."""
    with session_scope() as session:
        return service.assign(session=session, conversation_id=conversation_id).status


def run_queue(limit: int = 500) -> int:
    """Hand out waiting conversations, longest idle first; the number assigned.

    Each decision is its own transaction. Once a scope (channel, team) has nobody available, the
    rest of its conversations are skipped until the next run.
    """
    release(queue_key())
    with session_scope() as session:
        waiting = service.waiting(session=session, limit=limit)
    full: set[tuple[int, int | None]] = set()
    assigned = 0
    for conversation_id, scope in waiting:
        if scope in full:
            continue
        try:
            with session_scope() as session:
                outcome = service.assign(session=session, conversation_id=conversation_id)
        except Exception:  # one bad conversation must not stall the queue; the next run retries it
            log.exception("assigning conversation %s failed", conversation_id)
            continue
        if outcome.status == "assigned":
            assigned += 1
        elif outcome.nobody_available:
            full.add(scope)
    return assigned


def release_agent(user_id: int) -> int:
    """Hand on the conversations a policy gave to an agent who went offline; how many moved."""
    with session_scope() as session:
        ids = service.stranded(session=session, user_id=user_id)
    return sum(_hand_on(cid, "offline") for cid in ids)


def _hand_on(conversation_id: int, because: Literal["offline", "deadline"]) -> int:
    with session_scope() as session:
        outcome = service.hand_on(session=session, conversation_id=conversation_id, because=because)
    return int(outcome.status in ("assigned", "released"))


def sweep() -> dict[str, int]:
    """Every few seconds (from the worker's sweeper): offline agents' and late conversations move on,
    then the queue runs (business hours may have opened, a decision may have been lost)."""
    with session_scope() as session:
        offline = service.stranded(session=session)
        late = service.overdue(session=session)
    counts = {"offline": sum(_hand_on(cid, "offline") for cid in offline),
              "deadline": sum(_hand_on(cid, "deadline") for cid in late)}
    counts["assigned"] = run_queue()
    return counts


def queue_key() -> str:
    return broker.key("assignment", "queue")


def schedule_queue() -> None:
    """Make sure one queue run is enqueued; a burst of triggers shares it (Redis down: the sweep runs it)."""
    enqueue_once(QUEUE, run_queue, key=queue_key(), hold_seconds=QUEUE_FLAG_SECONDS)


def assign_each(conversation_ids: list[int]) -> str:
    """Job: `assign` each of a commit's new conversations, in order."""
    return broker.each(QUEUE, assign, conversation_ids)


def on_conversations_opened(batch: list[events.Event]) -> None:
    """A new conversation is offered to its agents: one job per commit (batch listener on CONVERSATION_OPENED)."""
    broker.enqueue_each(QUEUE, assign_each, [int(event.data["conversation_id"]) for event in batch])


def on_message_received(event: events.Event) -> None:
    """A message on a waiting conversation runs the queue. At most one trigger a second per process:
    a batch of hundreds of messages costs one Redis round trip, and the sweep catches the rest."""
    global _last_scheduled
    moment = time.monotonic()
    if moment - _last_scheduled >= DEBOUNCE_SECONDS:
        _last_scheduled = moment
        schedule_queue()


def on_conversation_updated(event: events.Event) -> None:
    """Capacity freed (resolved, snoozed, handed back by a person): run the queue.
    Changes that automation made itself are ignored."""
    source = str(event.data.get("source") or "")
    if source.startswith("policy:"):
        return
    if event.data.get("status") in FREEING or source == "manual":
        schedule_queue()
