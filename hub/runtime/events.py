"""Domain events: emitted inside a transaction, delivered only after it commits.

Listeners in this process run first (tagging, assignment, flows register here from the
module records, wired by `hub.composition`); then the event is published on Redis for every API process's WebSockets.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

MESSAGE_RECEIVED = "message.received"
MESSAGE_CREATED = "message.created"
MESSAGE_STATUS = "message.status"
CONVERSATION_OPENED = "conversation.opened"
CONVERSATION_UPDATED = "conversation.updated"
CONTACT_UPDATED = "contact.updated"
CONTACT_CREATED = "contact.created"


@dataclass(frozen=True)
class Event:
    name: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"event": self.name, "data": self.data}, default=str, ensure_ascii=False)


Listener = Callable[[Event], None]
BatchListener = Callable[[list[Event]], None]
"""Takes every event of one name from one commit at once (one job for a batch of receipts, say)."""
Publisher = Callable[[list[Event]], None]
"""Takes every event of one commit at once (Redis gets them in one round trip)."""
Outbox = Callable[[Session, list[Event]], None]
"""Takes a transaction's events just before it commits, to write rows in that same transaction (the outgoing
webhooks' outbox): what it writes commits or rolls back with the change, so no event is lost in between."""

_listeners: dict[str, list[Listener]] = defaultdict(list)
_batch_listeners: dict[str, list[BatchListener]] = defaultdict(list)
_publishers: list[Publisher] = []
_outboxes: list[Outbox] = []
_off_live: set[str] = set()
_around: list[Callable[[], AbstractContextManager[None]]] = []
_PENDING = "hub_pending_events"


def subscribe(name: str, listener: Listener) -> None:
    """Call `listener` after each committed event called `name` ("*" for all)."""
    if listener not in _listeners[name]:
        _listeners[name].append(listener)


def subscribe_batch(name: str, listener: BatchListener) -> None:
    """Call `listener` once after each commit that has events called `name`, with all of them in order."""
    if listener not in _batch_listeners[name]:
        _batch_listeners[name].append(listener)


def add_publisher(publisher: Publisher) -> None:
    if publisher not in _publishers:
        _publishers.append(publisher)


def add_outbox(outbox: Outbox) -> None:
    """Call `outbox(session, events)` inside each transaction that emitted events, before it commits."""
    if outbox not in _outboxes:
        _outboxes.append(outbox)


def wrap_listeners(around: Callable[[], AbstractContextManager[None]]) -> None:
    """Call each commit's listeners inside `around()` (the broker sends the jobs they queue in one round trip)."""
    if around not in _around:
        _around.append(around)


def keep_off_live(*names: str) -> None:
    """Events of these names reach listeners and outboxes but are not published (no screen shows them, and a
    broadcast's news per recipient would cost every live inbox an access check and a refresh each)."""
    _off_live.update(names)


def clear() -> None:
    """Forget listeners, publishers, outboxes and names kept off the live channel (tests)."""
    _listeners.clear()
    _batch_listeners.clear()
    _publishers.clear()
    _outboxes.clear()
    _off_live.clear()
    _around.clear()


def emit(session: Session, name: str, **data: Any) -> None:
    """Queue an event on the session; it is delivered when the session commits."""
    session.info.setdefault(_PENDING, []).append(Event(name, data))


def deliver(batch: list[Event]) -> None:
    try:
        with ExitStack() as stack:
            for around in _around:
                stack.enter_context(around())
            _call_listeners(batch)
    except Exception:  # the listeners' own failures are caught one by one: this is a wrapper's
        log.exception("delivering %d events failed", len(batch))
    shown = [event for event in batch if event.name not in _off_live]
    for publish in _publishers if shown else ():
        try:
            publish(shown)
        except Exception:
            log.warning("could not publish %d events", len(shown), exc_info=True)


def _call_listeners(batch: list[Event]) -> None:
    for event in batch:
        for listener in [*_listeners.get(event.name, ()), *_listeners.get("*", ())]:
            try:
                listener(event)
            except Exception:
                log.exception("event listener failed", extra={"event_name": event.name})
    for name, listeners in list(_batch_listeners.items()):
        mine = [event for event in batch if event.name == name]
        for batch_listener in listeners if mine else ():
            try:
                batch_listener(mine)
            except Exception:
                log.exception("event listener failed", extra={"event_name": name})


@sa_event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    """Let the outboxes write their rows in the committing transaction (the outermost one only: a released
    savepoint's events wait for the outer commit). An outbox that fails fails the commit: losing the event
    silently would be worse. Events the outboxes emit are delivered after the commit like any other."""
    if session.get_nested_transaction() is not None or not _outboxes:
        return
    pending: list[Event] = list(session.info.get(_PENDING, ()))
    if pending:
        for outbox in _outboxes:
            outbox(session, pending)


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    """Deliver once the outermost transaction has committed. SQLAlchemy also calls this hook when a
    savepoint is released (the savepoint is still the session's nested transaction then): those events
    wait for the outer commit, since the transaction is still open and may roll back."""
    if session.get_nested_transaction() is not None:
        return
    pending: list[Event] = session.info.pop(_PENDING, [])
    if pending:
        deliver(pending)


@sa_event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # only the outermost rollback drops the events
        session.info.pop(_PENDING, None)
